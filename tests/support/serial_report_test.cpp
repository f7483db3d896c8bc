// SerialReport: incremental reads, line-by-line consumption, escapes, fields, timeouts.
#include "tests/support/serial_report.hpp"

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/result_printer.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vmforge::test;
using namespace std::chrono_literals;

namespace {

void append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

}  // namespace

TEST_CASE("SerialReport keeps the latest value per key and sees ready", "[support]") {
  auto dir = temp_dir();
  std::string log = dir.file("serial.log");
  SerialReport report(log);
  CHECK_FALSE(report.wait_ready(30ms));  // the file does not exist yet

  append(log, "SeaBIOS noise\r\n[    1.0] kernel line\r\nvmforge-guest: cpus=1\r\n"
              "vmforge-guest: block.vda=size=1048576 serial=root1 ro=0\r\n"
              "vmforge-guest: cpus=2\r\nvmforge-guest: ready\r\n");
  auto v = report.wait_ready(1s);
  REQUIRE(v);
  CHECK(v->ready());
  CHECK((*v)["cpus"] == "2");
  CHECK(report_field((*v)["block.vda"], "serial") == "root1");
  CHECK(report_field((*v)["block.vda"], "size") == "1048576");
  CHECK_FALSE(report_field((*v)["block.vda"], "label"));
  CHECK_FALSE(v->get("nets"));
  CHECK(report.lines().size() == 4);
}

TEST_CASE("SerialReport consumes line by line, so transient states are seen", "[support]") {
  auto dir = temp_dir();
  std::string log = dir.file("serial.log");
  append(log, "vmforge-guest: blocks=vda,vdb\nvmforge-guest: blocks=vda\n");
  SerialReport report(log);
  REQUIRE(report.wait_for_key(
      "blocks", [](std::string_view l) { return report_list_has(l, "vdb"); }, 1s));
  REQUIRE(report.wait_for_value("blocks", "vda", 1s));
  CHECK_FALSE(report.wait_for_value("blocks", "vda,vdb", 50ms));
}

TEST_CASE("SerialReport joins a line written in pieces and finds the marker mid-line", "[support]") {
  auto dir = temp_dir();
  std::string log = dir.file("serial.log");
  SerialReport report(log);
  append(log, "vmforge-guest: nets=et");
  CHECK_FALSE(report.wait_for_value("nets", "eth0", 30ms));
  append(log, "h0\ngarbage vmforge-guest: vsock.cid=3\n");
  CHECK(report.wait_for_value("nets", "eth0", 1s));
  CHECK(report.wait_for_value("vsock.cid", "3", 1s));
}

TEST_CASE("an empty value means gone; poweroff is seen", "[support]") {
  auto dir = temp_dir();
  std::string log = dir.file("serial.log");
  append(log, "vmforge-guest: block.vdb=size=1 serial=x ro=0\nvmforge-guest: block.vdb=\n"
              "vmforge-guest: poweroff\n");
  SerialReport report(log);
  auto v = report.wait_for([](const ReportValues& r) { return r.powered_off(); }, 1s, "poweroff");
  REQUIRE(v);
  CHECK(v->get("block.vdb") == "");
}

TEST_CASE("a timeout names what was awaited, the last report lines and the log's end", "[support]") {
  auto dir = temp_dir();
  std::string log = dir.file("serial.log");
  append(log, "vmforge-guest: cpus=1\nKernel panic - not syncing: test\n");
  SerialReport report(log);
  auto r = report.wait_for_value("cpus", "2", 50ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().errno_value == ETIMEDOUT);
  CHECK_THAT(r.error().message, Catch::StartsWith("Timed out after 50 ms waiting for 'cpus=2'"));
  CHECK_THAT(r.error().message, Catch::Contains("\n  cpus=1\n"));
  CHECK_THAT(r.error().message, Catch::Contains("Kernel panic - not syncing: test"));
}

TEST_CASE("decode_report_value undoes the reporter's escapes", "[support]") {
  CHECK(decode_report_value("#cloud-config\\nhostname: t\\xc3\\xa9st\\n") == "#cloud-config\nhostname: t\xc3\xa9st\n");
  CHECK(decode_report_value("a\\\\b\\tc\\rd") == "a\\b\tc\rd");
  CHECK(decode_report_value("bad \\xZZ and end\\") == "bad xZZ and end\\");
}

TEST_CASE("report_list_has matches whole items", "[support]") {
  CHECK(report_list_has("sda,vda,vdb", "vda"));
  CHECK_FALSE(report_list_has("sda,vda,vdb", "vd"));
  CHECK_FALSE(report_list_has("", "vda"));
  CHECK(report_list_has("balloon", "balloon"));
}
