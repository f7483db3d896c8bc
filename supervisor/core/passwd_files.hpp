// The lines of /etc/passwd and /etc/group that say who QEMU's user is, read from their text:
// glibc's fgetpwent/fgetgrent took ~0.2 ms of the path to QEMU's spawn, ten times a read(2) of
// both files and a scan of their lines.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

namespace vmforge::supervisor {

struct PasswdUser {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// The uid and primary gid of the first line for `name` in `passwd` (passwd(5):
/// name:password:uid:gid:gecos:home:shell). Blank, '#' and malformed lines are skipped, as
/// fgetpwent skips them.
std::optional<PasswdUser> find_passwd_user(std::string_view passwd, std::string_view name);

/// The gids of the lines of `group` (group(5): name:password:gid:member,...) that list `name`
/// as a member, in file order; blank, '#' and malformed lines skipped.
std::vector<gid_t> member_gids(std::string_view group, std::string_view name);

}  // namespace vmforge::supervisor
