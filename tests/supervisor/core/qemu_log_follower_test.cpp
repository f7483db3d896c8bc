// QemuLogFollower: each line QEMU appends to qemu.log reaches the sink once, whole lines only
// (a partial one waits for its end), long lines in pieces, a truncated file from its start.
#include "supervisor/core/qemu_log_follower.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "supervisor/sd/event_loop.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/supervisor/sd/run_loop_until.hpp"

using namespace vmforge;
using namespace std::chrono_literals;

namespace {

struct Followed {
  test::TempDir dir = test::temp_dir();
  std::string path = dir.file("qemu.log");
  UniqueFd writer{open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
  sd::EventLoop loop = *sd::EventLoop::create();
  std::vector<std::string> lines;
  std::unique_ptr<supervisor::QemuLogFollower> follower;

  void start(off_t from = 0) {
    auto started = supervisor::QemuLogFollower::start(loop.get(), path, from,
                                                      [this](std::string_view line) { lines.emplace_back(line); });
    REQUIRE(started);
    follower = std::move(*started);
  }
  void write_text(std::string_view text) {
    REQUIRE(::write(writer.get(), text.data(), text.size()) == ssize_t(text.size()));
  }
  // Runs the loop until `count` lines arrived (or 2 s passed).
  void wait_for(std::size_t count) {
    test::run_loop_until(loop, [&] { return lines.size() >= count; }, 2s, 100ms);
  }
};

}  // namespace

TEST_CASE("each appended line reaches the sink once; a partial line waits for its end", "[supervisor]") {
  Followed f;
  f.write_text("before the watch\n");
  f.start();
  CHECK(f.lines == std::vector<std::string>{"before the watch"});
  f.write_text("qemu-system-x86_64: warning: one\nqemu-system-x86_64: err");
  f.wait_for(2);
  CHECK(f.lines.back() == "qemu-system-x86_64: warning: one");
  f.write_text("or: two\n\n");
  f.wait_for(3);
  CHECK(f.lines == std::vector<std::string>{"before the watch", "qemu-system-x86_64: warning: one",
                                            "qemu-system-x86_64: error: two"});
  REQUIRE(f.loop.run_once(50ms));
  CHECK(f.lines.size() == 3);  // the empty line is not handed over
}

TEST_CASE("an adopted QEMU's earlier output is not handed over again", "[supervisor]") {
  Followed f;
  f.write_text("logged by the previous supervisor\n");
  f.start(static_cast<off_t>(std::string("logged by the previous supervisor\n").size()));
  CHECK(f.lines.empty());
  f.write_text("new\n");
  f.wait_for(1);
  CHECK(f.lines == std::vector<std::string>{"new"});
}

TEST_CASE("a line longer than the limit comes in pieces; a truncated log is read from its start", "[supervisor]") {
  Followed f;
  f.start();
  const std::size_t max = supervisor::QemuLogFollower::kMaxLine;
  f.write_text(std::string(max * 2 + 10, 'x') + "\n");
  f.wait_for(3);
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[0].size() == max);
  CHECK(f.lines[1].size() == max);
  CHECK(f.lines[2].size() == 10);
  // A QEMU started again truncates qemu.log (O_TRUNC) and writes from its beginning.
  REQUIRE(::ftruncate(f.writer.get(), 0) == 0);
  REQUIRE(::lseek(f.writer.get(), 0, SEEK_SET) == 0);
  f.write_text("after restart\n");
  f.wait_for(4);
  CHECK(f.lines.back() == "after restart");
}
