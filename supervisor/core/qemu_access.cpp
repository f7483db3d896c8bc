// QEMU's user (from the files sysusers.d writes) and the files opened for it.
#include "supervisor/core/qemu_access.hpp"

#include <fcntl.h>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"
#include "supervisor/core/image_create.hpp"
#include "supervisor/core/passwd_files.hpp"

namespace vmforge::supervisor {
namespace {

constexpr const char* kPasswd = "/etc/passwd";
constexpr const char* kGroup = "/etc/group";

Result<launch::Credentials> lookup_user(const std::string& name) {
  auto passwd = read_file(kPasswd);
  if (!passwd) {
    return unexpected(errno_error(fmt::format("Failed to read {} to find QEMU's user '{}'", kPasswd, name),
                                  passwd.error().errno_value));
  }
  std::optional<PasswdUser> user = find_passwd_user(*passwd, name);
  if (!user) {
    const bool ours = name == kDefaultQemuUser;
    return unexpected(Error(
        fmt::format("QEMU's user '{}' does not exist in {}. {}", name, kPasswd,
                    ours ? "Create it with 'systemd-sysusers vmforge.conf' (the sysusers.d file vmforge installs), "
                           "or choose another with [qemu] user = \"NAME\" (\"root\" keeps QEMU root)"
                         : "Create it (systemd-sysusers, useradd --system), or change [qemu] user"),
        ENOENT));
  }
  auto group = read_file(kGroup);
  if (!group) {
    return unexpected(
        errno_error(fmt::format("Failed to read {} for the groups of '{}'", kGroup, name), group.error().errno_value));
  }
  launch::Credentials found{user->uid, user->gid, {user->gid}};
  for (gid_t gid : member_gids(*group, name)) {
    if (gid != found.gid) found.groups.push_back(gid);
  }
  return found;
}

}  // namespace

Result<std::optional<launch::Credentials>> qemu_credentials(const Vm& vm, uid_t self) {
  using Switch = std::optional<launch::Credentials>;
  const Qemu& q = vm.qemu;
  if (q.uid && q.gid) return Switch(launch::Credentials{*q.uid, *q.gid, {q.groups.begin(), q.groups.end()}});
  if (!q.user && self != 0) return Switch();
  const std::string name = q.user.value_or(std::string(kDefaultQemuUser));
  if (name == "root" && self == 0) return Switch();
  VMFORGE_TRY(launch::Credentials credentials, lookup_user(name));
  if (credentials.uid == self && self != 0) return Switch();
  return Switch(std::move(credentials));
}

Result<UniqueFd> open_for_qemu(const PassedFile& file) {
  if (file.create) VMFORGE_TRY_VOID(create_image_if_missing(file.path, *file.create));
  int flags = O_CLOEXEC | O_NOCTTY;
  std::string_view what = "read";
  switch (file.open) {
    case FileOpen::read: flags |= O_RDONLY; break;
    case FileOpen::read_write:
      flags |= O_RDWR;
      what = "read and write";
      break;
    case FileOpen::create:
      flags |= O_WRONLY | O_CREAT | O_TRUNC;
      what = "create";
      break;
    case FileOpen::append:
      flags |= O_WRONLY | O_CREAT | O_APPEND;
      what = "append to";
      break;
  }
  UniqueFd fd(open(file.path.c_str(), flags, 0600));
  if (!fd) return unexpected(errno_error(fmt::format("Failed to open '{}' to {} for QEMU", file.path, what)));
  return fd;
}

}  // namespace vmforge::supervisor
