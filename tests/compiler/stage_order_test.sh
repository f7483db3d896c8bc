#!/bin/bash
# Usage: stage_order_test.sh COMPILER_DIR STAGE...  (the stages in build order)
# Fails when a file of one stage includes a header of a later stage: the order in
# compiler/meson.build is the order the code follows, not only the order it links in.
set -u
dir=$1
shift
stages=("$@")
failed=0
for ((i = 0; i < ${#stages[@]}; i++)); do
  for ((j = i + 1; j < ${#stages[@]}; j++)); do
    later=${stages[j]}
    while IFS= read -r hit; do
      echo "compiler/${hit#"$dir"/}: stage '${stages[i]}' includes stage '$later', which comes after it"
      failed=1
    done < <(grep -Hn "#include \"compiler/$later/" "$dir/${stages[i]}"/*.[ch]pp)
  done
done
for stage in "${stages[@]}"; do
  [ -d "$dir/$stage" ] || { echo "compiler/$stage: no such stage folder"; failed=1; }
done
exit $failed
