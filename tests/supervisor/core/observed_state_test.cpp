// observed_state: the observation queries and the resource set built from QEMU 7.2's replies,
// recorded from a real VM by observed/record.py (observed/replies.json; the VM's manifests are
// observed/booted.toml and observed/applied.toml).
#include <filesystem>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "compiler/diff/diff.hpp"
#include "compiler/diff/render.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/observed_state.hpp"
#include "tests/support/source_tree.hpp"

using namespace vmforge;
using namespace vmforge::supervisor;
namespace fs = std::filesystem;

namespace {

fs::path data_dir() { return test::source_path("tests/supervisor/core/observed"); }

Vm manifest(std::string_view name) {
  const fs::path path = data_dir() / name;
  auto vm = load_and_validate(path.string());
  if (!vm) FAIL(vm.error().render(test::file_text(path)));
  return std::move(*vm);
}

// The recorded replies, answered the way observe() takes them: the return value, or null for
// a query QEMU refused (observe() sends only optional queries that may be refused).
class Recording {
 public:
  Recording() {
    auto parsed = parse_json(test::file_text(data_dir() / "replies.json"));
    REQUIRE(parsed);
    REQUIRE(parsed->as_array());
    entries_ = std::move(*parsed->as_array());
  }

  JsonValue reply(const Query& q) const {
    JsonValue args;
    if (!q.call.arguments.empty()) {
      auto parsed = parse_json(q.call.arguments);
      REQUIRE(parsed);
      args = std::move(*parsed);
    }
    for (const JsonValue& e : entries_) {
      const JsonValue* recorded_args = e.find("arguments");
      if (e.get_string("execute") != std::optional<std::string_view>(q.call.command) || !recorded_args ||
          !(*recorded_args == args)) {
        continue;
      }
      if (const JsonValue* value = e.find("return")) return *value;
      INFO(q.call.command << " " << q.call.arguments << ": " << e.get_string("error").value_or(""));
      CHECK(q.optional);
      return JsonValue();
    }
    FAIL("not recorded (run observed/record.py again): " << q.call.command << " " << q.call.arguments);
    return JsonValue();
  }

  std::vector<JsonValue> replies(const std::vector<Query>& queries) const {
    std::vector<JsonValue> out;
    for (const Query& q : queries) out.push_back(reply(q));
    return out;
  }

  // What observe() makes of these replies.
  ResourceSet observe(const ObserveContext& context) const {
    FirstReplies first = first_replies(replies(first_queries()));
    SecondQueries wanted = second_queries(first, context);
    return build_observed(first, second_replies(wanted, replies(second_calls(wanted))), context);
  }

 private:
  JsonArray entries_;
};

// As the supervisor observes before an apply of `desired` (applied.toml unless said otherwise).
ObserveContext q35_context(const Vm& desired) {
  ObserveContext context;
  context.root_ports = true;
  context.link_up = {{"eth0", true}, {"eth1", true}};
  context.identity = identity_of(resources_of(desired));
  return context;
}

ObserveContext q35_context() { return q35_context(manifest("applied.toml")); }

const Resource& find(const ResourceSet& set, std::string_view key) {
  const Resource* r = set.find(key);
  if (!r) FAIL("no " << key);
  return *r;
}

using Props = std::map<std::string, std::string>;

// `props` with what query-block shows for a device that is not throttled.
Props unthrottled(Props props) {
  props["throttle_group"] = "none";
  for (const IoLimitName& name : kIoLimitNames)
    props[std::string(name.key)] = std::to_string(io_limit_unset(name.part));
  return props;
}

// The one change that brings what QEMU has (`observed`) to manifest `text`.
Change only_change(std::string_view text, const ResourceSet& observed) {
  auto desired = validate_text(text, "/m/t.toml");
  if (!desired) FAIL(desired.error().render(""));
  auto planned = diff(*desired, Current{observed, nullptr});
  REQUIRE(planned);
  REQUIRE(planned->changes.size() == 1);
  return planned->changes[0];
}

}  // namespace

TEST_CASE("recorded QEMU replies become the VM's resources", "[supervisor][observe]") {
  const ResourceSet set = Recording().observe(q35_context());

  const Resource& data1 = find(set, "disk:data1");
  CHECK(data1.hotplugged);
  CHECK(data1.props == unthrottled({{"driver", "virtio-blk-pci"},
                                    {"file", "/tmp/vmforge-observed/d1.raw"},
                                    {"format", "raw"},
                                    {"readonly", "false"},
                                    {"serial", "D1"},
                                    {"size", "8388608"}}));  // query-block's virtual size
  const Resource& cd0 = find(set, "disk:cd0");
  CHECK_FALSE(cd0.hotplugged);
  // The manifest gives cd0 no serial: QEMU's is not asked for.
  CHECK(cd0.props == unthrottled({{"driver", "scsi-cd"},
                                  {"file", "/tmp/vmforge-observed/a.iso"},
                                  {"format", "raw"},
                                  {"readonly", "true"},
                                  {"size", "1048576"}}));
  CHECK(find(set, "scsi_controller:scsi0").props == Props{{"driver", "virtio-scsi-pci"}});

  CHECK(find(set, "net:eth0").props ==
        Props{{"driver", "virtio-net-pci"}, {"mac", "52:54:00:12:34:56"}, {"backend", "user"}, {"link", "up"}});
  CHECK_FALSE(find(set, "net:eth0").hotplugged);
  CHECK(find(set, "net:eth1").hotplugged);
  CHECK(find(set, "net:eth1").props.at("mac") == "52:54:00:00:00:21");

  const Resource& chan1 = find(set, "channel:chan1");
  CHECK(chan1.hotplugged);
  CHECK(chan1.props == Props{{"driver", "virtserialport"}, {"name", "org.vmforge.rec"}});
  CHECK_FALSE(find(set, "virtio_serial:vser0").hotplugged);

  const Resource& mem1 = find(set, "dimm:mem1");
  CHECK(mem1.hotplugged);
  CHECK(mem1.props == Props{{"driver", "pc-dimm"}, {"size", "268435456"}});
  // query-balloon's `actual`, once the guest followed the boot plan's target.
  CHECK(find(set, "balloon:bal0").props == Props{{"driver", "virtio-balloon-pci"}, {"target", "384M"}});

  // Two boot CPUs and the one applied.toml added; QEMU lists four slots.
  CHECK_FALSE(find(set, "cpu:0").hotplugged);
  CHECK_FALSE(find(set, "cpu:1").hotplugged);
  CHECK(find(set, "cpu:2").hotplugged);
  CHECK_FALSE(set.find("cpu:3"));
  CHECK(set.facts().max_cpus == 4);
  CHECK(set.facts().boot_cpus == 2);

  // data2 was deleted behind vmforge's back: no device, its two nodes left over. QEMU's main
  // RAM object 'pc.ram' looks like a name vmforge derives; the diff leaves it alone, as no
  // manifest has a device 'pc'.
  CHECK_FALSE(set.find("disk:data2"));
  CHECK(find(set, "node:data2.fmt").props.empty());
  CHECK(find(set, "node:data2.file").props.empty());
  std::vector<std::string> backends;
  for (const Resource* r : set.all()) {
    if (is_backend(r->kind)) backends.push_back(r->key());
  }
  CHECK(backends == std::vector<std::string>{"node:data2.file", "node:data2.fmt", "object:pc.ram"});

  // Seven generated root ports (data1, data2, eth1 and hotplug_slots = 4): data2's is free again.
  REQUIRE(set.facts().free_ports);
  CHECK(*set.facts().free_ports ==
        std::vector<std::string>{"vmforge-rp1", "vmforge-rp3", "vmforge-rp4", "vmforge-rp5", "vmforge-rp6"});
}

TEST_CASE("diffed with the manifest it was made from, only the change behind vmforge's back shows",
          "[supervisor][observe]") {
  const Vm applied = manifest("applied.toml");
  const ResourceSet set = Recording().observe(q35_context());
  auto changes = diff(applied, Current{set, &applied});
  REQUIRE(changes);
  INFO(render_diff_text(*changes));
  REQUIRE(changes->changes.size() == 2);
  const Change& leak = changes->changes[0];
  CHECK(leak.action == Action::remove);
  CHECK(leak.resource == "disk:data2");
  REQUIRE(leak.steps.size() == 2);
  CHECK(leak.steps[0].call.arguments == R"({"node-name":"data2.fmt"})");
  CHECK(leak.steps[1].call.arguments == R"({"node-name":"data2.file"})");
  const Change& re_add = changes->changes[1];
  CHECK(re_add.action == Action::add);
  CHECK(re_add.resource == "disk:data2");
  // Onto the first free root port, not the one the manifest's own layout would pick.
  CHECK(re_add.notes.at(0).find("free root port") != std::string::npos);

  // The booted manifest has one CPU less: QEMU 7.2 cannot unplug it, so that is a restart.
  const Vm booted = manifest("booted.toml");
  changes = diff(booted, Current{set, &applied});
  REQUIRE(changes);
  CHECK(changes->needs_restart());
  CHECK(render_diff_text(*changes).find("! cpu  (restart required: [cpu] 'count')") != std::string::npos);
}

TEST_CASE("round two asks only what the diff compares, and where devices sit to find free ports",
          "[supervisor][observe]") {
  const Recording recording;
  const FirstReplies first = first_replies(recording.replies(first_queries()));
  auto asked = [&](const ObserveContext& context) {
    std::set<std::string> out;
    for (const PropertyQuery& q : second_queries(first, context)) out.insert(q.device + "." + q.property);
    return out;
  };
  const std::set<std::string> before_apply = asked(q35_context());
  // Identity properties the manifest sets (data1 has a serial, chan1 a name); cd0 has no
  // serial in the manifest, so QEMU's is not compared and not asked for.
  for (std::string_view expected : {"data1.hotplugged", "data1.serial", "chan1.hotplugged", "chan1.name",
                                    "cd0.hotplugged", "eth0.hotplugged", "bal0.hotplugged"}) {
    CHECK(before_apply.count(std::string(expected)));
  }
  CHECK_FALSE(before_apply.count("cd0.serial"));
  // Where every device that may sit on a root port is; never the ports, CPUs, DIMMs, ISA,
  // virtio-serial or SCSI devices. DIMMs answer through query-memory-devices.
  for (std::string_view expected : {"data1.parent_bus", "eth1.parent_bus", "scsi0.parent_bus", "vser0.parent_bus"}) {
    CHECK(before_apply.count(std::string(expected)));
  }
  for (const std::string& a : before_apply) {
    CHECK_FALSE(a.starts_with("mem1."));
    CHECK_FALSE(a.starts_with("vmforge-"));
    CHECK_FALSE(a.starts_with("cd0.parent"));
    CHECK_FALSE(a.starts_with("chan1.parent"));
    CHECK_FALSE(a.starts_with("ser0.parent"));
  }
  // Checking an apply's outcome places nothing (no parent_bus), and asks `hotplugged` only of
  // devices the manifest lacks: booted.toml has everything applied.toml has.
  ObserveContext check = q35_context();
  check.check_only = true;
  CHECK(asked(check) == std::set<std::string>{"data1.serial", "chan1.name"});
  // Every call is an optional qom-get (a device may lack a property).
  for (const Query& q : second_calls(second_queries(first, q35_context()))) {
    CHECK(q.call.command == "qom-get");
    CHECK(q.optional);
  }
}

TEST_CASE("optional replies missing: no CPUs, DIMM or balloon target are made up", "[supervisor][observe]") {
  const Recording recording;
  std::vector<JsonValue> replies = recording.replies(first_queries());
  const std::vector<Query> queries = first_queries();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (queries[i].optional) replies[i] = JsonValue();
  }
  FirstReplies first = first_replies(std::move(replies));
  const ObserveContext context = q35_context();
  SecondQueries wanted = second_queries(first, context);
  const ResourceSet set =
      build_observed(first, second_replies(wanted, recording.replies(second_calls(wanted))), context);
  CHECK_FALSE(set.find("cpu:0"));
  CHECK(set.facts().max_cpus == 0);
  CHECK(find(set, "balloon:bal0").props == Props{{"driver", "virtio-balloon-pci"}});
  CHECK(find(set, "dimm:mem1").props == Props{{"driver", "pc-dimm"}});
  // Without the context's link states, a NIC's link is not claimed either.
  const ResourceSet no_links = recording.observe(ObserveContext{});
  CHECK_FALSE(no_links.find("net:eth0")->props.count("link"));
  CHECK_FALSE(no_links.facts().free_ports);
}

// Bytes from QEMU must never crash the supervisor: root ports whose names only look like
// vmforge's (no number, not a number, a number no integer holds) are not counted as free.
TEST_CASE("odd replies: root port names that are not vmforge's numbers are not free ports", "[supervisor][observe]") {
  const Recording recording;
  FirstReplies first = first_replies(recording.replies(first_queries()));
  std::string peripheral = first.peripheral.to_json();
  REQUIRE(peripheral.ends_with("]"));
  peripheral.pop_back();
  for (std::string_view odd :
       {"vmforge-rp", "vmforge-rpx", "vmforge-rp7x", "vmforge-rp-1", "vmforge-rp99999999999999999999999999"}) {
    peripheral += fmt::format(R"(,{{"name":"{}","type":"child<pcie-root-port>"}})", odd);
  }
  auto parsed = parse_json(peripheral + "]");
  REQUIRE(parsed);
  first.peripheral = std::move(*parsed);
  const ObserveContext context = q35_context();
  SecondQueries wanted = second_queries(first, context);
  std::optional<ResourceSet> set;
  REQUIRE_NOTHROW(
      set.emplace(build_observed(first, second_replies(wanted, recording.replies(second_calls(wanted))), context)));
  REQUIRE(set->facts().free_ports);
  CHECK(*set->facts().free_ports ==
        std::vector<std::string>{"vmforge-rp1", "vmforge-rp3", "vmforge-rp4", "vmforge-rp5", "vmforge-rp6"});
  // Where each device sits, for an undone removal to plug it back there.
  CHECK(set->facts().device_ports.at("data1") == "vmforge-rp0");
}

TEST_CASE("root ports an apply freed are handed out last, the most recently freed last of all",
          "[supervisor][observe]") {
  ObserveContext context = q35_context();
  context.freed_ports = {"vmforge-rp4", "vmforge-rp0", "vmforge-rp1"};  // rp0 is in use again
  const ResourceSet set = Recording().observe(context);
  REQUIRE(set.facts().free_ports);
  CHECK(*set.facts().free_ports ==
        std::vector<std::string>{"vmforge-rp3", "vmforge-rp5", "vmforge-rp6", "vmforge-rp4", "vmforge-rp1"});
}

// A guest without a balloon driver never moves `actual`: compared with it, plan would show
// the target change forever. The target vmforge asked for is what the diff compares.
TEST_CASE("the balloon's target is the one vmforge asked for, not what the guest reached", "[supervisor][observe]") {
  const Recording recording;
  ObserveContext context = q35_context();
  context.balloon_targets["bal0"] = 256ull << 20;
  CHECK(recording.observe(context).find("balloon:bal0")->props.at("target") == "256M");
  // Without one (nothing known), QEMU's `actual`.
  CHECK(recording.observe(q35_context()).find("balloon:bal0")->props.at("target") == "384M");
}

// A disk being backed up: QEMU 7.2 puts a copy-before-write filter between the device and the
// format node while the job runs; the disk is unchanged.
TEST_CASE("a disk being backed up shows its image, not the backup's filter", "[supervisor][observe]") {
  FirstReplies first;
  first.peripheral = *parse_json(R"([{"name":"type","type":"string"},{"name":"data","type":"child<virtio-blk-pci>"}])");
  first.block = *parse_json(
      R"([{"io-status":"ok","device":"","locked":false,"removable":false,"qdev":"/machine/peripheral/data/virtio-backend",)"
      R"("type":"unknown","inserted":{"iops":0,"ro":false,"node-name":"data.cbw","drv":"copy-before-write",)"
      R"("bps":0,"file":"json:{}","image":{"format":"copy-before-write","virtual-size":1048576,"filename":"json:{}",)"
      R"("backing-image":{"virtual-size":1048576,"filename":"/srv/data.qcow2","format":"qcow2"}}}}])");
  const ResourceSet set = build_observed(first, {}, ObserveContext{});
  const Resource& data = find(set, "disk:data");
  CHECK(data.props.at("file") == "/srv/data.qcow2");
  CHECK(data.props.at("format") == "qcow2");
  CHECK(data.props.at("size") == "1048576");
}

// Replies of QEMU 7.2 for a disk whose device is in group 'slow' (block_set_io_throttle), whose
// iops-total was set to 5 by hand over QMP (qom-set) where the manifest says 10.
TEST_CASE("a throttled disk shows its group and limits, and the group the limits QEMU has", "[supervisor][observe]") {
  FirstReplies first;
  first.peripheral = *parse_json(R"([{"name":"type","type":"string"},{"name":"data","type":"child<virtio-blk-pci>"}])");
  first.block = *parse_json(
      R"([{"io-status":"ok","device":"","locked":false,"removable":false,"inserted":{"iops_rd":0,)"
      R"("detect_zeroes":"off","iops_max_length":1,"image":{"virtual-size":16777216,"filename":"/srv/data.img",)"
      R"("format":"raw","actual-size":0,"dirty-flag":false},"iops_wr":0,"group":"slow","ro":false,)"
      R"("node-name":"data.fmt","backing_file_depth":0,"drv":"raw","iops":5,"bps_wr":0,"write_threshold":0,)"
      R"("encrypted":false,"bps":0,"bps_rd":0,"cache":{"no-flush":false,"direct":false,"writeback":true},)"
      R"("iops_max":20,"file":"/srv/data.img"},"qdev":"/machine/peripheral/data/virtio-backend","type":"unknown"}])");
  first.objects = *parse_json(R"([{"name":"type","type":"string"},{"name":"slow","type":"child<throttle-group>"},)"
                              R"({"name":"pc.ram","type":"child<memory-backend-ram>"}])");
  ObserveContext context;
  const SecondQueries wanted = second_queries(first, context);
  const auto calls = second_calls(wanted);
  REQUIRE(calls.size() == 2);
  CHECK(calls[1].call.command == "qom-get");
  CHECK(calls[1].call.arguments == R"({"path":"/objects/slow","property":"limits"})");
  const JsonValue limits = *parse_json(
      R"({"bps-read-max-length":1,"iops-read-max-length":1,"bps-read-max":0,"bps-total":0,"iops-total-max-length":1,)"
      R"("iops-total":5,"iops-write-max":0,"bps-write":0,"bps-total-max":0,"bps-write-max":0,"iops-size":0,)"
      R"("iops-read":0,"iops-write-max-length":1,"iops-write":0,"bps-total-max-length":1,"iops-read-max":0,)"
      R"("bps-read":0,"bps-write-max-length":1,"iops-total-max":20})");
  const ResourceSet set = build_observed(first, second_replies(wanted, {JsonValue(), limits}), context);

  const Resource& data = find(set, "disk:data");
  CHECK(data.props.at("file") == "/srv/data.img");
  CHECK(data.props.at("format") == "raw");
  CHECK(data.props.at("throttle_group") == "slow");
  CHECK(data.props.at("iops_total") == "5");
  CHECK(data.props.at("iops_total_max") == "20");
  CHECK(data.props.at("iops_total_max_length") == "1");
  CHECK(data.props.at("bps_read_max_length") == "1");  // not shown: QEMU's default
  const Resource& slow = find(set, "throttle_group:slow");
  CHECK(slow.props.size() == kIoLimitNames.size());
  CHECK(slow.props.at("iops_total") == "5");
  CHECK(slow.props.at("iops_total_max") == "20");
  CHECK(slow.props.at("iops_total_max_length") == "1");
  CHECK(slow.props.at("bps_read") == "0");

  // The manifest's 10 comes back live: the hand-made 5 is drift.
  const Change change = only_change(R"(name = "t"
[[throttle_group]]
id = "slow"
iops_total = 10
iops_total_max = 20
[[disk]]
id = "data"
file = "/srv/data.img"
throttle_group = "slow"
)",
                                    set);
  CHECK(change.action == Action::update);
  CHECK(change.resource == "throttle_group:slow");
  CHECK(change.details == std::vector<std::string>{"iops_total: '5' -> '10'"});
  REQUIRE(change.steps.size() == 1);
  CHECK(change.steps[0].call.command == "qom-set");
  CHECK(change.steps[0].call.arguments.find(R"("iops-total":10,"iops-total-max":20,)") != std::string::npos);
}

// Replies of QEMU 7.2 for a disk whose device is not throttled (its limits lifted by hand, or
// never set) where the manifest gives it limits of its own: one block_set_io_throttle puts it
// in its group, and its undo lifts them again.
TEST_CASE("an unthrottled disk shows no group, and limits of its own come back live", "[supervisor][observe]") {
  FirstReplies first;
  first.peripheral = *parse_json(R"([{"name":"type","type":"string"},{"name":"data","type":"child<virtio-blk-pci>"}])");
  first.block = *parse_json(
      R"([{"io-status":"ok","device":"","locked":false,"removable":false,"inserted":{"iops_rd":0,)"
      R"("detect_zeroes":"off","image":{"virtual-size":16777216,"filename":"/srv/data.img","format":"raw",)"
      R"("actual-size":0,"dirty-flag":false},"iops_wr":0,"ro":false,"node-name":"data.fmt","backing_file_depth":0,)"
      R"("drv":"raw","iops":0,"bps_wr":0,"write_threshold":0,"encrypted":false,"bps":0,"bps_rd":0,)"
      R"("cache":{"no-flush":false,"direct":false,"writeback":true},"file":"/srv/data.img"},)"
      R"("qdev":"/machine/peripheral/data/virtio-backend","type":"unknown"}])");
  const ResourceSet set = build_observed(first, {}, ObserveContext{});
  const Resource& data = find(set, "disk:data");
  CHECK(data.props.at("throttle_group") == "none");
  CHECK(data.props.at("iops_total") == "0");

  const Change change = only_change(R"(name = "t"
[[disk]]
id = "data"
file = "/srv/data.img"
iops_total = 10
)",
                                    set);
  CHECK(change.action == Action::update);
  CHECK(change.resource == "disk:data");
  CHECK(change.details ==
        std::vector<std::string>{"iops_total: '0' -> '10'", "throttle_group: 'none' -> 'data.group'"});
  REQUIRE(change.steps.size() == 1);
  CHECK(change.steps[0].call.command == "block_set_io_throttle");
  CHECK(change.steps[0].call.arguments.starts_with(R"({"id":"/machine/peripheral/data/virtio-backend","iops":10,)"));
  CHECK(change.steps[0].call.arguments.ends_with(R"("group":"data.group"})"));
  REQUIRE(change.steps[0].undo);
  CHECK(change.steps[0].undo->arguments.find(R"("iops":0,)") != std::string::npos);
  CHECK(change.steps[0].undo->arguments.find("group") == std::string::npos);
}

// Replies of QEMU 7.2 (trimmed to what observation reads) for a raw disk written through a
// snapshot layer: "data.s1" (qcow2) over "data.fmt", both opened as nodes of their own.
TEST_CASE("a disk written through a snapshot layer shows its own file and the layer", "[supervisor][observe]") {
  FirstReplies first;
  first.peripheral = *parse_json(R"([{"name":"type","type":"string"},{"name":"data","type":"child<virtio-blk-pci>"}])");
  const std::string top_file =
      R"(json:{\"backing\": {\"driver\": \"raw\", \"file\": {\"driver\": \"file\", \"filename\": \"/srv/data.img\"}}, )"
      R"(\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", \"filename\": \"/srv/data.img.a.qcow2\"}})";
  first.block = *parse_json(
      R"([{"io-status":"ok","device":"","locked":false,"removable":false,"qdev":"/machine/peripheral/data/virtio-backend",)"
      R"("type":"unknown","inserted":{"ro":false,"node-name":"data.s1","backing_file_depth":1,"drv":"qcow2",)"
      R"("backing_file":"/srv/data.img","file":")" +
      top_file +
      R"(","image":{"backing-image":{"virtual-size":1048576,"filename":"/srv/data.img","format":"raw"},)"
      R"("virtual-size":1048576,"filename":")" +
      top_file + R"(","format":"qcow2"}}}])");
  first.nodes = *parse_json(R"([{"ro":false,"node-name":"data.s1","drv":"qcow2","file":")" + top_file +
                            R"("},{"ro":false,"node-name":"data.s1-file","drv":"file","file":"/srv/data.img.a.qcow2"},)"
                            R"({"ro":true,"node-name":"data.fmt","drv":"raw","file":"/srv/data.img"},)"
                            R"({"ro":true,"node-name":"data.file","drv":"file","file":"/srv/data.img"}])");
  ObserveContext context;
  const ResourceSet set = build_observed(first, second_replies(second_queries(first, context), {}), context);
  const Resource& data = find(set, "disk:data");
  CHECK(data.props.at("file") == "/srv/data.img");
  CHECK(data.props.at("format") == "raw");
  CHECK(data.props.at("layer") == "/srv/data.img.a.qcow2");
  CHECK(data.props.at("size") == "1048576");
  CHECK_FALSE(set.find("node:data.s1"));

  auto desired = validate_text("name = \"t\"\n[[disk]]\nid = \"data\"\nfile = \"/srv/data.img\"\n", "/m/t.toml");
  if (!desired) FAIL(desired.error().render(""));
  // The layer the chain record names: nothing to do.
  desired->disks[0].layers = {{"/srv/data.img.a.qcow2", "data.s1"}};
  auto same = diff(*desired, Current{set, nullptr});
  REQUIRE(same);
  CHECK(same->empty());
  // Another layer is another graph: not changed live.
  desired->disks[0].layers = {{"/srv/data.img.b.qcow2", "data.s2"}};
  auto other = diff(*desired, Current{set, nullptr});
  REQUIRE(other);
  REQUIRE(other->changes.size() == 1);
  CHECK(other->changes[0].resource == "disk:data");
  CHECK(other->changes[0].action != Action::update);
}

TEST_CASE("the pins of a running VM: its devices on generated root ports, and how many ports it has", "[observe]") {
  MachineFacts facts;
  facts.device_ports = {{"data1", "vmforge-rp0"}, {"data2", "vmforge-rp3"}, {"own", "rp-manifest"}};
  facts.free_ports = std::vector<std::string>{"vmforge-rp1", "vmforge-rp2"};
  CHECK(observed_pins(facts) == PciPins{4, {{"data1", "vmforge-rp0"}, {"data2", "vmforge-rp3"}}});
  CHECK(observed_pins(MachineFacts{}) == PciPins{});
}

TEST_CASE("pc: the slot of each device on pci.0; hot ones are pins, free ones are handed out freed last",
          "[supervisor][observe]") {
  const Recording recording;
  const FirstReplies first = first_replies(recording.replies(first_queries()));
  ObserveContext context = q35_context();
  context.root_ports = false;
  context.bus_slots = true;
  std::set<std::string> asked;
  for (const PropertyQuery& q : second_queries(first, context)) asked.insert(q.device + "." + q.property);
  for (std::string_view expected : {"data1.parent_bus", "data1.addr", "eth1.addr", "vser0.addr"}) {
    CHECK(asked.count(std::string(expected)));
  }
  CHECK_FALSE(asked.count("cd0.addr"));
  CHECK_FALSE(asked.count("chan1.addr"));

  auto json = [](std::string_view text) {
    auto value = parse_json(text);
    REQUIRE(value);
    return *value;
  };
  SecondReplies second;
  // addr is devfn: slot << 3 | function.
  second["data1"] = {
      {"parent_bus", json(R"("/machine/i440fx/pci.0")")}, {"addr", json("24")}, {"hotplugged", json("true")}};
  second["eth1"] = {
      {"parent_bus", json(R"("/machine/i440fx/pci.0")")}, {"addr", json("40")}, {"hotplugged", json("false")}};
  // Behind a bridge of the manifest's: not on pci.0.
  second["vser0"] = {
      {"parent_bus", json(R"("/machine/peripheral/br0/br0")")}, {"addr", json("16")}, {"hotplugged", json("true")}};
  context.freed_slots = {0x04, 0x03};  // 3 is in use again
  const ResourceSet set = build_observed(first, second, context);
  CHECK(set.facts().device_slots == std::map<std::string, std::uint8_t>{{"data1", 0x03}});
  REQUIRE(set.facts().free_slots);
  std::vector<std::uint8_t> free{0x02};
  for (std::uint8_t slot = 0x06; slot <= 0x1f; ++slot) free.push_back(slot);
  free.push_back(0x04);
  CHECK(*set.facts().free_slots == free);
  CHECK(observed_pins(set.facts()) == PciPins{0, {}, {{"data1", 0x03}}});
}
