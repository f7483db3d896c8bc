// The source tree as tests see it ($VMFORGE_SOURCE_DIR, set by meson) and reading its files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vmforge::test {

/// $VMFORGE_SOURCE_DIR/`relative` (the directory itself, no trailing '/', when `relative` is
/// empty); fails the test case when the variable is not set.
std::filesystem::path source_path(std::string_view relative = {});

/// The whole content of `path`; "" when it cannot be read (a golden not written yet, a log
/// that never appeared), which the comparison that follows reports.
std::string file_text(const std::filesystem::path& path);

}  // namespace vmforge::test
