// How `vmforge plan` shows a Diff: Terraform-like text for people, and JSON for programs.
#pragma once

#include <string>

#include "compiler/diff/diff.hpp"

namespace vmforge {

/// One block per change: `  + disk:data1`, its details, notes (`# ...`) and the exact QMP
/// steps, then the summary line. "No changes. ..." when the diff is empty.
std::string render_diff_text(const Diff& diff);

/// {"changes":[{"action","symbol","resource","details","key","reason","notes","steps"}],
///  "add":N,"change":N,"replace":N,"remove":N,"restart":N,"restart_required":bool}
std::string render_diff_json(const Diff& diff);

}  // namespace vmforge
