// GuestIo against a fake port: a unix listener stands for QEMU's socket and the test writes the
// guest's answers into the serial log; answer parsing; the pattern and its checksum.
#include "tests/support/guest_io.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge;
using namespace vmforge::test;
using namespace std::chrono_literals;

namespace {

UniqueFd listen_at(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd.get(), 1) == 0);
  return fd;
}

std::string receive_line(int fd) {
  std::string line;
  char c;
  while (recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
  return line;
}

}  // namespace

TEST_CASE("the pattern block and its checksum are the guest's", "[support]") {
  const std::string block = pattern_block("A");
  REQUIRE(block.size() == 4096);
  CHECK(block.substr(0, 6) == "A\nA\nA\n");
  CHECK(pattern_block("base-1").substr(4088) == "base-1\nb");  // the last unit is cut
  // FNV-1a 64, computed independently (Python) over the same bytes.
  CHECK(pattern_sum("A", 2) == "863d2f4b6be64325");
  CHECK(pattern_sum("base-1", 1) == "2450fe54c0e8112e");
  CHECK(pattern_sum("A", 0) == "cbf29ce484222325");
}

TEST_CASE("an io answer is parsed, a guest error is an error", "[support]") {
  auto ok = parse_io_answer("ok dev=vdb blocks=50 ms=5012 sum=863d2f4b6be64325 pattern=A");
  REQUIRE(ok);
  CHECK(ok->dev == "vdb");
  CHECK(ok->blocks == 50);
  CHECK(ok->ms == 5012);
  CHECK(ok->sum == "863d2f4b6be64325");
  CHECK(ok->pattern == "A");
  auto error = parse_io_answer("error no disk with serial X");
  REQUIRE_FALSE(error);
  CHECK(error.error().message == "the guest says: no disk with serial X");
  CHECK_FALSE(parse_io_answer("ok dev=vdb blocks=x ms=1 sum=863d2f4b6be64325"));
  CHECK_FALSE(parse_io_answer("ok dev=vdb blocks=1 ms=1 sum=short"));
  CHECK_FALSE(parse_io_answer("maybe"));
}

TEST_CASE("GuestIo sends tagged commands and waits for their own answers", "[support]") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  const std::string socket = dir->file("cmd.sock");
  const std::string log = dir->file("serial.log");
  UniqueFd listener = listen_at(socket);
  SerialReport report(log);
  auto io = GuestIo::connect(socket, report);
  REQUIRE(io);
  UniqueFd port(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(port);

  auto first = io->send("write D1 0 A 2");
  REQUIRE(first);
  auto second = io->send("read D1 0 2");
  REQUIRE(second);
  CHECK(receive_line(port.get()) == *first + " write D1 0 A 2");
  CHECK(receive_line(port.get()) == *second + " read D1 0 2");
  CHECK(*first != *second);

  std::ofstream(log, std::ios::app) << "vmforge-guest: io." << *second
                                    << "=ok dev=vda blocks=2 ms=7 sum=863d2f4b6be64325 pattern=A\r\n"
                                    << "vmforge-guest: io." << *first
                                    << "=ok dev=vda blocks=2 ms=3 sum=863d2f4b6be64325\r\n";
  auto written = io->wait(*first, 1s);
  REQUIRE(written);
  CHECK(written->ms == 3);
  auto read = io->wait(*second, 1s);
  REQUIRE(read);
  CHECK(read->pattern == "A");
  CHECK(read->ms == 7);
  CHECK_FALSE(io->wait("no-such-tag", 30ms));
}

TEST_CASE("GuestIo says which socket it could not reach", "[support]") {
  auto dir = TempDir::create();
  REQUIRE(dir);
  SerialReport report(dir->file("serial.log"));
  auto io = GuestIo::connect(dir->file("none.sock"), report);
  REQUIRE_FALSE(io);
  CHECK_THAT(io.error().message, Catch::Contains("none.sock"));
}
