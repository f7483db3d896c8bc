// Tests for resolving and creating a VM's state directory.
#include "supervisor/core/state_dir.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using vmforge::supervisor::check_vm_name;
using vmforge::supervisor::create_state_dir;
using vmforge::supervisor::resolve_state_dir;

namespace {

// Clears the variables resolve_state_dir() reads, restoring them afterwards.
class CleanEnv {
 public:
  CleanEnv() {
    for (const char* name : kNames) {
      const char* v = getenv(name);
      saved_.emplace_back(v ? std::optional<std::string>(v) : std::nullopt);
      unsetenv(name);
    }
  }
  ~CleanEnv() {
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (saved_[i]) setenv(kNames[i], saved_[i]->c_str(), 1);
      else unsetenv(kNames[i]);
    }
  }

 private:
  static constexpr const char* kNames[] = {"VMFORGE_RUNTIME_DIR", "RUNTIME_DIRECTORY", "XDG_RUNTIME_DIR"};
  std::vector<std::optional<std::string>> saved_;
};

}  // namespace

TEST_CASE("VM names that would escape the runtime root are refused", "[state_dir]") {
  CHECK(check_vm_name("web-1.prod_a"));
  for (const char* bad : {"", ".", "..", "a/b", "web vm", "x\n"}) {
    auto r = check_vm_name(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("Invalid VM name") == 0);
  }
}

TEST_CASE("the state dir follows --runtime-dir, then the environment", "[state_dir]") {
  CleanEnv env;
  CHECK(resolve_state_dir("web", std::string("/tmp/r"))->dir == "/tmp/r/web");
  setenv("VMFORGE_RUNTIME_DIR", "/tmp/env", 1);
  CHECK(resolve_state_dir("web", std::nullopt)->dir == "/tmp/env/web");
  CHECK(resolve_state_dir("web", std::string("/tmp/r"))->dir == "/tmp/r/web");
  unsetenv("VMFORGE_RUNTIME_DIR");
  setenv("RUNTIME_DIRECTORY", "/run/vmforge/web:/run/other", 1);
  CHECK(resolve_state_dir("web", std::nullopt)->dir == "/run/vmforge/web");
  unsetenv("RUNTIME_DIRECTORY");
  if (geteuid() == 0) {
    CHECK(resolve_state_dir("web", std::nullopt)->dir == "/run/vmforge/web");
  } else {
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    CHECK(resolve_state_dir("web", std::nullopt)->dir == "/run/user/1000/vmforge/web");
  }
}

TEST_CASE("under vmforge@NAME.service the manifest's name must be the unit instance", "[state_dir]") {
  CleanEnv env;
  setenv("RUNTIME_DIRECTORY", "/run/vmforge/web", 1);
  auto r = resolve_state_dir("demo", std::nullopt);
  REQUIRE_FALSE(r);
  CHECK(r.error().errno_value == EINVAL);
  CHECK(r.error().message ==
        "The manifest names VM 'demo', but systemd runs it in '/run/vmforge/web', the runtime directory of "
        "instance 'web': 'vmforge status demo' would not find it. A VM's name must be its unit's instance: "
        "set name = \"web\" in the manifest, or start vmforge@demo.service.");
  // --runtime-dir and VMFORGE_RUNTIME_DIR name the root, not the VM's own directory.
  CHECK(resolve_state_dir("demo", std::string("/tmp/r"))->dir == "/tmp/r/demo");
}

TEST_CASE("a state dir too long for socket paths is refused", "[state_dir]") {
  CleanEnv env;
  auto r = resolve_state_dir("web", std::string(100, 'x'));
  REQUIRE_FALSE(r);
  CHECK(r.error().errno_value == ENAMETOOLONG);
}

TEST_CASE("create_state_dir makes parents and a private leaf", "[state_dir]") {
  auto tmp = vmforge::test::temp_dir();
  auto state = resolve_state_dir("web", tmp.path() + "/a/b");
  REQUIRE(state);
  REQUIRE(create_state_dir(*state));
  REQUIRE(create_state_dir(*state));  // idempotent
  struct stat st {};
  REQUIRE(stat(state->dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}
