// The manifest drop-in of vmforge@NAME.service.
#include "cli/unit_manifest.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kDropInName = "50-vmforge-manifest.conf";

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value == '/' ? std::string(value) : fallback;
}

// $XDG_CONFIG_HOME, ~/.config by default: a user manager's %E.
std::string user_config_home() { return env_or("XDG_CONFIG_HOME", fmt::format("{}/.config", env_or("HOME", ""))); }

// The manager's drop-in roots, as systemd.unit(5) lists them.
std::string drop_in_root(sd::ManagerScope scope, bool persistent) {
  if (scope == sd::ManagerScope::system) return persistent ? "/etc/systemd/system" : "/run/systemd/system";
  // fmt::format, not operator+: GCC 12 at -O3 reports a false -Werror=restrict inside it.
  if (persistent) return fmt::format("{}/systemd/user", user_config_home());
  return fmt::format("{}/systemd/user", env_or("XDG_RUNTIME_DIR", ""));
}

std::string drop_in_path(const std::string& name, sd::ManagerScope scope, bool persistent) {
  return fmt::format("{}/{}.d/{}", drop_in_root(scope, persistent), unit_name(name), kDropInName);
}

// A value in a unit file's double quotes: '%' is a specifier, '\' and '"' are escapes.
Result<std::string> quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      return unexpected(
          Error(fmt::format("The manifest path '{}' has a line break; a unit file cannot name it.", text), EINVAL));
    }
    if (c == '%') out += '%';
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

Result<bool> remove_file(const std::string& path) {
  if (unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return unexpected(Error(fmt::format("Failed to remove '{}': {}", path, std::strerror(errno)), errno));
}

Result<void> make_dirs(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string part = dir.substr(0, slash);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      return unexpected(Error(fmt::format("Failed to create '{}': {}", part, std::strerror(errno)), errno));
    }
    if (slash == std::string::npos) return {};
  }
}

}  // namespace

sd::ManagerScope own_manager() { return geteuid() == 0 ? sd::ManagerScope::system : sd::ManagerScope::user; }

std::string unit_manifest_dir(sd::ManagerScope scope) {
  if (scope == sd::ManagerScope::system) return VMFORGE_SYSCONFDIR "/vmforge";
  return fmt::format("{}/vmforge", user_config_home());
}

std::string unit_name(const std::string& name) { return fmt::format("vmforge@{}.service", name); }

Result<bool> point_unit_at(const std::string& name, const std::string& manifest, sd::ManagerScope scope,
                           bool persistent) {
  const std::string here = drop_in_path(name, scope, persistent);
  VMFORGE_TRY(bool changed, remove_file(drop_in_path(name, scope, !persistent)));
  if (manifest == fmt::format("{}/{}.toml", unit_manifest_dir(scope), name)) {
    VMFORGE_TRY(bool removed, remove_file(here));
    return changed || removed;
  }
  VMFORGE_TRY(std::string value, quoted(fmt::format("VMFORGE_MANIFEST={}", manifest)));
  std::string content = fmt::format(
      "# Written by 'vmforge apply DIR': this VM's manifest is in that directory.\n[Service]\nEnvironment={}\n", value);
  if (auto current = read_file(here); current && *current == content) return changed;
  VMFORGE_TRY_VOID(make_dirs(here.substr(0, here.rfind('/'))));
  VMFORGE_TRY_VOID(supervisor::write_file_atomic(here, content, 0644));
  return true;
}

}  // namespace vmforge::cli
