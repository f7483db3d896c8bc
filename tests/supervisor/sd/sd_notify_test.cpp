// Tests for the sd_notify wrapper against a NOTIFY_SOCKET this test listens on.
#include "supervisor/sd/notify.hpp"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/supervisor/core/notify_listener.hpp"
#include "tests/support/temp_dir.hpp"

using std::chrono::microseconds;
using vmforge::sd::Notifier;

TEST_CASE("the ready notification is sent once; the rest as asked", "[notify]") {
  auto tmp = vmforge::test::temp_dir();
  vmforge::test::NotifyListener listener(tmp.path() + "/notify");
  Notifier n;
  n.ready("Running.");
  n.ready("Running again.");
  n.watchdog();
  n.stopping("Powering down.", microseconds(35000000));
  CHECK(n.ready_sent());
  CHECK(listener.receive() == "READY=1\nSTATUS=Running.");
  CHECK(listener.receive() == "STATUS=Running again.");
  CHECK(listener.receive() == "WATCHDOG=1");
  CHECK(listener.receive() == "STOPPING=1\nSTATUS=Powering down.\nEXTEND_TIMEOUT_USEC=35000000");
}

TEST_CASE("the watchdog interval is honoured only for our own PID", "[notify]") {
  setenv("WATCHDOG_USEC", "4000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  CHECK(Notifier::watchdog_interval() == microseconds(4000000));
  setenv("WATCHDOG_PID", "1", 1);
  CHECK(Notifier::watchdog_interval() == microseconds(0));
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  CHECK(Notifier::watchdog_interval() == microseconds(0));
}
