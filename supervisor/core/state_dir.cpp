// Resolving and creating a VM's state directory.
#include "supervisor/core/state_dir.hpp"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"

namespace vmforge::supervisor {
namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// systemd's RuntimeDirectory=vmforge/%i: the unit instance names the directory, and clients
// find a VM by its manifest's name (ROOT/NAME), so the two must agree.
Result<std::string> unit_runtime_dir(std::string_view name, std::string dir) {
  std::string_view instance = std::string_view(dir).substr(dir.rfind('/') + 1);
  if (instance != name) {
    return unexpected(
        Error(fmt::format("The manifest names VM '{}', but systemd runs it in '{}', the runtime directory "
                          "of instance '{}': 'vmforge status {}' would not find it. A VM's name must be its "
                          "unit's instance: set name = \"{}\" in the manifest, or start vmforge@{}.service.",
                          name, dir, instance, name, instance, name),
              EINVAL));
  }
  return dir;
}

// The first entry of $RUNTIME_DIRECTORY, when systemd set it.
std::optional<std::string> unit_dir() {
  auto dirs = env("RUNTIME_DIRECTORY");
  if (!dirs) return std::nullopt;
  return dirs->substr(0, dirs->find(':'));
}

Result<std::string> choose_dir(std::string_view name, const std::optional<std::string>& runtime_root) {
  if (!runtime_root && !env("VMFORGE_RUNTIME_DIR")) {
    if (auto dir = unit_dir()) return unit_runtime_dir(name, *dir);
  }
  VMFORGE_TRY(std::string root, resolve_runtime_root(runtime_root));
  return fmt::format("{}/{}", root, name);
}

}  // namespace

Result<std::string> resolve_runtime_root(const std::optional<std::string>& runtime_root) {
  if (runtime_root) return *runtime_root;
  if (auto root = env("VMFORGE_RUNTIME_DIR")) return *root;
  if (auto dir = unit_dir()) return dir->substr(0, dir->rfind('/'));
  if (geteuid() == 0) return std::string("/run/vmforge");
  if (auto xdg = env("XDG_RUNTIME_DIR")) return fmt::format("{}/vmforge", *xdg);
  return unexpected(Error("Cannot find a runtime directory: XDG_RUNTIME_DIR is not set. Set it, or pass "
                          "'--runtime-dir DIR' (or VMFORGE_RUNTIME_DIR).",
                          ENOENT));
}

Result<void> check_vm_name(std::string_view name) {
  bool valid = !name.empty() && name != "." && name != "..";
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    valid = valid && ok;
  }
  if (!valid) {
    return unexpected(
        Error(fmt::format("Invalid VM name '{}': use letters, digits, '_', '.' and '-' only.", name), EINVAL));
  }
  return {};
}

Result<StateDir> resolve_state_dir(std::string_view name, const std::optional<std::string>& runtime_root) {
  VMFORGE_TRY_VOID(check_vm_name(name));
  VMFORGE_TRY(std::string dir, choose_dir(name, runtime_root));
  StateDir state{std::move(dir)};
  // The longest socket name is control.sock; sun_path needs room for the NUL too.
  if (state.control_socket().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return unexpected(Error(fmt::format("State directory '{}' is too long for a unix socket path ({} bytes at most); "
                                        "choose a shorter '--runtime-dir'.",
                                        state.dir, sizeof(sockaddr_un{}.sun_path) - 1 - std::strlen("/control.sock")),
                            ENAMETOOLONG));
  }
  return state;
}

Result<void> create_state_dir(const StateDir& state) {
  for (size_t slash = state.dir.find('/', 1); slash != std::string::npos; slash = state.dir.find('/', slash + 1)) {
    std::string parent = state.dir.substr(0, slash);
    if (mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST) {
      return unexpected(errno_error(fmt::format("Failed to create directory '{}'", parent)));
    }
  }
  if (mkdir(state.dir.c_str(), 0700) < 0 && errno != EEXIST) {
    return unexpected(errno_error(fmt::format("Failed to create state directory '{}'", state.dir)));
  }
  return {};
}

}  // namespace vmforge::supervisor
