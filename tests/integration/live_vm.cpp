// LiveVm: the test guest under `vmforge run`, driven through the vmforge CLI.
#include "tests/integration/live_vm.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <catch2/catch.hpp>

#include "tests/support/disk_image.hpp"
#include "tests/support/source_tree.hpp"

namespace vmforge::test {
namespace {

using namespace std::chrono_literals;

// Hot-added memory online_movable: the kernel can give a DIMM back only then.
constexpr std::string_view kCmdline = "console=ttyS0 quiet panic=-1 memhp_default_state=online_movable";

}  // namespace

LiveVm::LiveVm(std::string memory_options)
    : dir_(temp_dir()), report_(dir_.file("serial.log")), memory_options_(std::move(memory_options)) {
  auto guest = find_guest();
  REQUIRE(guest);
  guest_ = *guest;
  REQUIRE(create_disk_image(dir_.file("d1.raw"), "raw", 8 << 20));
}

LiveVm::~LiveVm() {
  if (supervisor_) {
    (void)supervisor_->signal(SIGTERM);
    (void)supervisor_->wait(30s);
  }
}

std::string LiveVm::manifest(std::string_view name, std::string_view extra, unsigned cpus, bool link_up) {
  std::string text =
      fmt::format("name = \"apt\"\n[machine]\ntype = \"{}\"\naccel = [\"tcg\"]\n{}"
                  "[cpu]\ncount = {}\nmax = 4\n[memory]\nsize = \"512M\"\nmax = \"2G\"\nslots = 2\n{}"
                  "[kernel]\npath = \"{}\"\ninitrd = \"{}\"\ncmdline = \"{}\"\n"
                  "[[serial]]\nid = \"ser0\"\nbackend = \"file\"\npath = \"{}\"\n"
                  "[[virtio_serial]]\nid = \"vser0\"\n"
                  "[[net]]\nid = \"eth0\"\nbackend = \"user\"\nmac = \"52:54:00:12:34:56\"\nlink = \"{}\"\n{}",
                  machine_, machine_ == "q35" ? "hotplug_slots = 8\n" : "", cpus, memory_options_, guest_.kernel,
                  guest_.initrd, kCmdline, dir_.file("serial.log"), link_up ? "up" : "down", extra);
  const std::string path = dir_.file(std::string(name) + ".toml");
  std::ofstream(path) << text;
  return path;
}

void LiveVm::start(const std::string& manifest) {
  launch::SpawnOptions options;
  options.argv = {vmforge_binary(), "run", manifest, "--runtime-dir", dir_.file("rt")};
  options.stderr_file = dir_.file("run.log");
  auto process = launch::spawn(options);
  REQUIRE(process);
  supervisor_.emplace(std::move(*process));
}

void LiveVm::boot(const std::string& manifest) {
  start(manifest);
  auto ready = report_.wait_ready(kGuestBootTimeout);
  if (!ready) FAIL(ready.error().message << "\n" << log());
}

CliResult LiveVm::cli(std::vector<std::string> args) {
  args.push_back("--runtime-dir");
  args.push_back(dir_.file("rt"));
  return run_vmforge(args, 120s);
}

JsonValue LiveVm::plan_json(const std::string& manifest) {
  CliResult plan = cli({"plan", manifest, "--json"});
  INFO(plan.out << plan.err);
  REQUIRE(plan.status == 2);
  auto json = parse_json(plan.out);
  REQUIRE(json);
  return std::move(*json);
}

void LiveVm::apply(const std::string& manifest) {
  CliResult apply = cli({"apply", manifest});
  INFO(apply.out << apply.err << log());
  REQUIRE(apply.status == 0);
}

void LiveVm::check_plan_adds(const std::string& manifest, std::string_view resource) {
  CliResult text = cli({"plan", manifest});
  INFO(text.out << text.err);
  CHECK(text.status == 2);
  CHECK(text.out.find(fmt::format("  + {}\n", resource)) != std::string::npos);
  CHECK(text.out.find("Plan: 1 to add, 0 to change, 0 to replace, 0 to remove, 0 restart required.") !=
        std::string::npos);
}

void LiveVm::check_plan_unplugs(const std::string& manifest, std::string_view resource, std::string_view id) {
  JsonValue plan = plan_json(manifest);
  CHECK(plan_outline(plan) == std::vector<std::string>{fmt::format("- {}", resource),
                                                       fmt::format("  device_del until DEVICE_DELETED of '{}'", id)});
  CHECK(plan.get_uint64("remove") == 1u);
  CHECK(step_arguments(plan, "device_del").get_string("id") == id);
}

JsonValue LiveVm::qmp(std::string_view json) {
  CliResult r = cli({"qmp", "apt", std::string(json)});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto value = parse_json(r.out);
  REQUIRE(value);
  return std::move(*value);
}

std::string LiveVm::block_nodes() {
  JsonValue nodes = qmp(R"({"execute":"query-named-block-nodes","arguments":{"flat":true}})");
  std::vector<std::string> names;
  const JsonValue* list = nodes.find("return") ? nodes.find("return") : &nodes;
  if (const JsonArray* items = list->as_array()) {
    for (const JsonValue& n : *items) names.emplace_back(n.get_string("node-name").value_or(""));
  }
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ","));
}

void LiveVm::wait_report(std::string_view key, const std::function<bool(std::string_view)>& predicate) {
  auto seen = report_.wait_for_key(key, predicate, kGuestReportTimeout);
  if (!seen) FAIL(seen.error().message << "\n" << log());
}

std::string LiveVm::log() const { return file_text(dir_.file("run.log")); }

std::vector<std::string> plan_outline(const JsonValue& plan) {
  std::vector<std::string> outline;
  const JsonValue* changes = plan.find("changes");
  REQUIRE(changes);
  REQUIRE(changes->as_array());
  for (const JsonValue& change : *changes->as_array()) {
    outline.push_back(
        fmt::format("{} {}", change.get_string("symbol").value_or("?"), change.get_string("resource").value_or("?")));
    const JsonValue* steps = change.find("steps");
    REQUIRE(steps);
    REQUIRE(steps->as_array());
    for (const JsonValue& step : *steps->as_array()) {
      std::string line = fmt::format("  {}", step.get_string("command").value_or("?"));
      if (const JsonValue* completion = step.find("completion"); completion && completion->get_string("event")) {
        line += fmt::format(" until {} of '{}'", *completion->get_string("event"),
                            completion->get_string("device").value_or("?"));
      }
      outline.push_back(std::move(line));
    }
  }
  return outline;
}

JsonValue step_arguments(const JsonValue& plan, std::string_view command) {
  for (const JsonValue& change : *plan.find("changes")->as_array()) {
    for (const JsonValue& step : *change.find("steps")->as_array()) {
      if (step.get_string("command") == command) return *step.find("arguments");
    }
  }
  FAIL("no step '" << command << "' in the plan");
  return JsonValue();
}

bool has(std::string_view list, std::string_view item) { return report_list_has(list, item); }

}  // namespace vmforge::test
