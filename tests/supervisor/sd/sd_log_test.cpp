// Tests for the logging destination choice and the stderr format.
#include "supervisor/sd/log.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "compiler/base/read_file.hpp"
#include "supervisor/core/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

// Points stderr at `path` for the lifetime of the object.
class StderrTo {
 public:
  explicit StderrTo(const std::string& path) : saved_(dup(STDERR_FILENO)) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrTo() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }

 private:
  int saved_;
};

}  // namespace

TEST_CASE("without the journal, messages go to stderr prefixed with the VM name", "[log]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/err";
  unsetenv("JOURNAL_STREAM");
  unsetenv("VMFORGE_LOG_LEVEL");
  {
    StderrTo redirect(path);
    vmforge::sd::log_setup("web");
    CHECK_FALSE(vmforge::sd::log_to_journal());
    vmforge::sd::log_notice("Sending ACPI power button event to guest.");
    vmforge::sd::log_debug("not shown");
    vmforge::sd::log_message(vmforge::sd::LogLevel::info, "QMP event 'RESUME'.", {{"QMP_EVENT", "RESUME"}});
  }
  CHECK(*vmforge::read_file(path) == "web: Sending ACPI power button event to guest.\nweb: QMP event 'RESUME'.\n");
}

TEST_CASE("JOURNAL_STREAM counts only when it names our stderr", "[log]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/err";
  StderrTo redirect(path);
  struct stat st {};
  REQUIRE(fstat(STDERR_FILENO, &st) == 0);
  setenv("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino).c_str(), 1);
  vmforge::sd::log_setup("web");
  CHECK(vmforge::sd::log_to_journal());
  setenv("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino + 1).c_str(), 1);
  vmforge::sd::log_setup("web");
  CHECK_FALSE(vmforge::sd::log_to_journal());
  unsetenv("JOURNAL_STREAM");
  vmforge::sd::log_setup("");
}

TEST_CASE("the rate limit lets a burst through per interval and counts the rest", "[log]") {
  vmforge::sd::LogRateLimit limit(std::chrono::seconds(10), 3);
  std::uint64_t suppressed = 99;
  const std::uint64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) {
    CHECK(limit.admit(t0 + i, suppressed));
    CHECK(suppressed == 0);
  }
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(limit.admit(t0 + 100 + i, suppressed));
  CHECK(limit.admit(t0 + 10'000'000, suppressed));  // the next interval says how many were lost
  CHECK(suppressed == 1000);
  CHECK(limit.admit(t0 + 10'000'001, suppressed));
  CHECK(suppressed == 0);
}

TEST_CASE("a flood through log_limited writes the burst, then one line for the suppressed", "[log]") {
  auto tmp = vmforge::test::temp_dir();
  std::string path = tmp.path() + "/err";
  unsetenv("JOURNAL_STREAM");
  {
    StderrTo redirect(path);
    vmforge::sd::log_setup("web");
    vmforge::sd::LogRateLimit limit(std::chrono::milliseconds(200), 2);
    for (int i = 0; i < 100000; ++i)
      vmforge::sd::log_limited(limit, vmforge::sd::LogLevel::info, "QMP event 'RTC_CHANGE'.");
    usleep(250000);
    vmforge::sd::log_limited(limit, vmforge::sd::LogLevel::info, "QMP event 'RESUME'.");
  }
  vmforge::sd::log_setup("");
  CHECK(*vmforge::read_file(path) ==
        "web: QMP event 'RTC_CHANGE'.\nweb: QMP event 'RTC_CHANGE'.\nweb: Suppressed 99998 similar log messages.\n"
        "web: QMP event 'RESUME'.\n");
}
