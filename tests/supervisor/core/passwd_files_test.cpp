// passwd_files: QEMU's user and its groups found in passwd(5) and group(5) text, skipping what
// fgetpwent/fgetgrent skip.
#include "supervisor/core/passwd_files.hpp"

#include <catch2/catch.hpp>

using namespace vmforge;
using namespace vmforge::supervisor;

TEST_CASE("a user's uid and primary gid come from its passwd line", "[passwd]") {
  constexpr std::string_view passwd = "root:x:0:0:root:/root:/bin/bash\n"
                                      "\n"
                                      "# a comment: ignored\n"
                                      "vmforge-qemu2:x:990:990::/:/usr/sbin/nologin\n"
                                      "vmforge-qemu:x:12:34:malformed, six fields:/\n"
                                      "vmforge-qemu:x:1x:34:not a number:/:/bin/sh\n"
                                      "vmforge-qemu:x:12:34:eight:fields:/:/bin/sh\n"
                                      "  vmforge-qemu:x:994:995:vmforge QEMU:/:/usr/sbin/nologin\n"
                                      "vmforge-qemu:x:1:1:a second line does not count:/:/bin/sh";
  auto user = find_passwd_user(passwd, "vmforge-qemu");
  REQUIRE(user);
  CHECK(user->uid == 994);
  CHECK(user->gid == 995);
  auto root = find_passwd_user(passwd, "root");
  REQUIRE(root);
  CHECK(root->uid == 0);
  CHECK_FALSE(find_passwd_user(passwd, "vmforge"));
  CHECK_FALSE(find_passwd_user(passwd, ""));
  CHECK_FALSE(find_passwd_user("", "root"));
}

TEST_CASE("a user's supplementary groups are the group lines listing it, in file order", "[passwd]") {
  constexpr std::string_view group = "kvm:x:104:vmforge-qemu\n"
                                     "# vmforge-qemu:x:1:vmforge-qemu\n"
                                     "audio:x:29:pulse,vmforge-qemu,alice\n"
                                     "qemu:x:50:vmforge-qemu2,qemu\n"
                                     "broken:x:51\n"
                                     "broken:x:notanumber:vmforge-qemu\n"
                                     "nobody-listed:x:52:\n"
                                     "render:x:105:alice,vmforge-qemu";
  CHECK(member_gids(group, "vmforge-qemu") == std::vector<gid_t>{104, 29, 105});
  CHECK(member_gids(group, "alice") == std::vector<gid_t>{29, 105});
  CHECK(member_gids(group, "vmforge").empty());
  CHECK(member_gids(group, "").empty());
}
