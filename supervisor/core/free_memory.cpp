// release_free_memory through glibc's malloc_trim.
#include "supervisor/core/free_memory.hpp"

#include <malloc.h>

namespace vmforge::supervisor {

void release_free_memory() {
  // 0: keep no pad at the heap's top; glibc also returns whole free pages inside the heap.
  malloc_trim(0);
}

}  // namespace vmforge::supervisor
