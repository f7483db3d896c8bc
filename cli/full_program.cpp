#include "cli/full_program.hpp"

#include <limits.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"

namespace vmforge::cli {

std::string full_program_path() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string path(self, static_cast<size_t>(n));
    path.resize(path.rfind('/') + 1);
    path += "vmforge-full";
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return VMFORGE_FULL_PROGRAM;
}

Error exec_full_program(char* const* command_argv) {
  std::string path = full_program_path();
  std::vector<char*> argv{path.data()};
  for (char* const* arg = command_argv; *arg != nullptr; ++arg) argv.push_back(*arg);
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  return errno_error(fmt::format("Failed to execute '{}'", path));
}

}  // namespace vmforge::cli
