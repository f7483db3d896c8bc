// listen_unix: mode 0600, stale sockets replaced, live ones and other files refused.
#include "supervisor/launch/listen_unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;

namespace {

bool can_connect(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  return connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

TEST_CASE("listen_unix binds a 0600 listening socket", "[launch]") {
  auto dir = test::temp_dir();
  std::string path = dir.file("qmp.sock");
  auto fd = launch::listen_unix(path);
  REQUIRE(fd);
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(can_connect(path));
  int accepting = 0;
  socklen_t len = sizeof accepting;
  REQUIRE(getsockopt(fd->get(), SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0);
  CHECK(accepting == 1);
}

TEST_CASE("listen_unix replaces a stale socket but not a live one", "[launch]") {
  auto dir = test::temp_dir();
  std::string path = dir.file("qmp.sock");
  {
    auto first = launch::listen_unix(path);
    REQUIRE(first);
    auto second = launch::listen_unix(path);
    REQUIRE_FALSE(second);
    CHECK(second.error().errno_value == EADDRINUSE);
    CHECK(second.error().message ==
          "Cannot create the socket '" + path + "': another process is listening on it; stop it first");
  }
  // The first socket is closed; its file stays behind, stale.
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  auto again = launch::listen_unix(path);
  REQUIRE(again);
  CHECK(can_connect(path));
}

TEST_CASE("listen_unix refuses to replace what is not a socket", "[launch]") {
  auto dir = test::temp_dir();
  std::string path = dir.file("file");
  std::ofstream(path) << "keep me";
  auto fd = launch::listen_unix(path);
  REQUIRE_FALSE(fd);
  CHECK(fd.error().errno_value == EEXIST);
  std::string content;
  std::getline(std::ifstream(path), content);
  CHECK(content == "keep me");
}

TEST_CASE("listen_unix refuses paths longer than sun_path", "[launch]") {
  auto dir = test::temp_dir();
  std::string longest = dir.file(std::string(107 - dir.path().size() - 1, 'x'));
  REQUIRE(longest.size() == 107);
  CHECK(launch::listen_unix(longest));
  auto fd = launch::listen_unix(longest + "y");
  REQUIRE_FALSE(fd);
  CHECK(fd.error().errno_value == ENAMETOOLONG);
  CHECK_THAT(fd.error().message, Catch::EndsWith("a unix socket path must have 1 to 107 bytes; "
                                                 "use a shorter directory"));
}
