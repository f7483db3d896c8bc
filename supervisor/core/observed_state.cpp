// Parsing QEMU's query replies into a ResourceSet.
#include "supervisor/core/observed_state.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "compiler/lower/pci_layout.hpp"
#include "compiler/model/io_limits.hpp"
#include "compiler/model/units.hpp"
#include "compiler/qmp/ops_cpu.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "compiler/qmp/ops_memory.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::string_view kPeripheral = "/machine/peripheral/";
constexpr std::string_view kPcRootBus = "/machine/i440fx/pci.0";  // pc's root bus, a device's parent_bus
constexpr std::string_view kObjects = "/objects/";
constexpr std::string_view kThrottleGroupType = "throttle-group";

struct Device {
  std::string id;
  std::string type;
};

// qom-list entries {"name": ID, "type": "child<TYPE>"}.
std::vector<Device> children(const JsonValue& list) {
  std::vector<Device> out;
  const JsonArray* items = list.as_array();
  if (!items) return out;
  for (const JsonValue& item : *items) {
    auto name = item.get_string("name");
    auto type = item.get_string("type");
    if (!name || !type || !type->starts_with("child<") || !type->ends_with(">")) continue;
    out.push_back({std::string(*name), std::string(type->substr(6, type->size() - 7))});
  }
  return out;
}

// The kind table's QEMU types; a passed-through function is a NIC when the manifest says so.
std::optional<ResourceKind> kind_of(const Device& d, const ObserveContext& context) {
  auto kind = kind_of_qemu_type(d.type);
  if (kind == ResourceKind::vfio && context.vfio_nets.count(d.id)) return ResourceKind::net;
  return kind;
}

// Devices that never sit on a PCIe root port (every other type, unknown ones included, may).
bool off_root_ports(std::string_view type) {
  return type == "pcie-root-port" || type.ends_with("-cpu") || type == "pc-dimm" || type == "nvdimm" ||
         type == "isa-serial" || type == "virtserialport" || type == "virtconsole" || type.starts_with("scsi-") ||
         type.starts_with("ide-");
}

// "/machine/peripheral/vmforge-rp3/vmforge-rp3" -> "vmforge-rp3".
std::string port_of(std::string_view parent_bus) {
  if (!parent_bus.starts_with(kPeripheral)) return {};
  parent_bus.remove_prefix(kPeripheral.size());
  return std::string(parent_bus.substr(0, parent_bus.find('/')));
}

// Free ports or slots in the order they are handed out: those an apply of this supervisor
// freed last, the most recent last of all (ObserveContext::freed_ports).
template <typename Place>
void hand_out_freed_last(std::vector<Place>& free, const std::vector<Place>& freed) {
  auto rank = [&](const Place& place) {
    auto it = std::find(freed.begin(), freed.end(), place);
    return it == freed.end() ? 0 : 1 + (it - freed.begin());
  };
  std::stable_sort(free.begin(), free.end(), [&](const Place& a, const Place& b) { return rank(a) < rank(b); });
}

// pc: the slot of every device on pci.0 (its `addr` is devfn, slot << 3 | function); the
// hot-plugged ones' are their pins, and the slots no device has are free.
void add_bus_slots(const SecondReplies& second, const ObserveContext& context, MachineFacts& facts) {
  std::set<std::uint8_t> busy;
  for (const auto& [device, props] : second) {
    auto bus = props.find("parent_bus");
    auto addr = props.find("addr");
    if (bus == props.end() || addr == props.end() || bus->second.as_string() != kPcRootBus) continue;
    const auto devfn = addr->second.as_uint64();
    if (!devfn) continue;
    const auto slot = static_cast<std::uint8_t>(*devfn >> 3);
    busy.insert(slot);
    auto hot = props.find("hotplugged");
    if (hot != props.end() && hot->second.as_bool().value_or(false)) facts.device_slots[device] = slot;
  }
  facts.free_slots.emplace();
  for (std::uint8_t slot : root_bus_slots(MachineFamily::pc)) {
    if (!busy.count(slot)) facts.free_slots->push_back(slot);
  }
  hand_out_freed_last(*facts.free_slots, context.freed_slots);
}

// "/machine/peripheral/vd0/virtio-backend" or "cd0" -> the device id.
std::string qdev_id(std::string_view qdev) {
  if (qdev.starts_with(kPeripheral)) {
    qdev.remove_prefix(kPeripheral.size());
    return std::string(qdev.substr(0, qdev.find('/')));
  }
  return std::string(qdev);
}

std::string json_text(const JsonValue& v) {
  if (auto s = v.as_string()) return std::string(*s);
  if (auto b = v.as_bool()) return *b ? "true" : "false";
  if (auto u = v.as_uint64()) return fmt::format("{}", *u);
  if (auto i = v.as_int64()) return fmt::format("{}", *i);
  return v.to_json();
}

// The file a manifest named for a disk. A format node with options of its own ("backing":
// null) shows as "json:{…,"file":{…,"filename":F}}", and a file QEMU got through an fd set as
// "/dev/fdset/N", whose opaque is the path (vmforge sets it).
std::string manifest_file(std::string file, const JsonValue& fdsets) {
  if (file.starts_with("json:")) {
    auto tree = parse_json(std::string_view(file).substr(5));
    const JsonValue* inner = tree ? tree->find("file") : nullptr;
    if (auto name = inner ? inner->get_string("filename") : std::nullopt) file = std::string(*name);
  }
  constexpr std::string_view kFdset = "/dev/fdset/";
  if (!file.starts_with(kFdset)) return file;
  const std::string_view set = std::string_view(file).substr(kFdset.size());
  if (const JsonArray* sets = fdsets.as_array()) {
    for (const JsonValue& s : *sets) {
      const JsonValue* id = s.find("fdset-id");
      const JsonArray* fds = s.find("fds") ? s.find("fds")->as_array() : nullptr;
      if (!id || id->to_json() != set || !fds || fds->empty()) continue;
      if (auto opaque = fds->front().get_string("opaque")) return std::string(*opaque);
    }
  }
  return file;
}

const JsonValue* named_node(const JsonValue& nodes, std::string_view name) {
  if (const JsonArray* list = nodes.as_array()) {
    for (const JsonValue& node : *list) {
      if (node.get_string("node-name") == std::optional(name)) return &node;
    }
  }
  return nullptr;
}

// Above a disk's own format node ("data.fmt") QEMU may write a snapshot layer: the disk's file
// is then the one below (the manifest's), and the layer is shown as such.
void add_snapshot_layer(const FirstReplies& first, const DeviceId& disk, std::map<std::string, std::string>& props) {
  const JsonValue* own = named_node(first.nodes, disk.derived("fmt"));
  auto file = own ? own->get_string("file") : std::nullopt;
  auto active = props.find("file");
  if (!file || active == props.end()) return;
  std::string base = manifest_file(std::string(*file), first.fdsets);
  if (base == active->second) return;
  props["layer"] = std::exchange(active->second, std::move(base));
  if (auto drv = own->get_string("drv")) props["format"] = std::string(*drv);
}

// The group the device's backend is in and that group's limits, as query-block shows them (a
// burst and its length only when the burst is set; without a group, none).
void add_disk_throttle(const JsonValue& inserted, std::map<std::string, std::string>& props) {
  auto group = inserted.get_string("group");
  props["throttle_group"] = std::string(group.value_or(kNoThrottleGroup));
  for (const IoLimitName& name : kIoLimitNames) {
    auto value = group ? inserted.get_uint64(name.legacy) : std::nullopt;
    props[std::string(name.key)] = fmt::format("{}", value.value_or(io_limit_unset(name.part)));
  }
}

void add_disk_media(const FirstReplies& first, std::map<std::string, Resource>& devices) {
  const JsonArray* block = first.block.as_array();
  if (!block) return;
  for (const JsonValue& b : *block) {
    auto qdev = b.get_string("qdev");
    const JsonValue* inserted = b.find("inserted");
    if (!qdev || !inserted) continue;
    auto it = devices.find(qdev_id(*qdev));
    if (it == devices.end() || it->second.kind != ResourceKind::disk) continue;
    auto& props = it->second.props;
    add_disk_throttle(*inserted, props);
    // A backup job inserts a copy-before-write filter node above the image while it runs. The
    // image is the node below it, which QEMU shows as the filter's backing image.
    auto is_filter = [](std::optional<std::string_view> drv) { return drv == "copy-before-write"; };
    const JsonValue* image = inserted;
    const JsonValue* image_info = inserted->find("image");  // the format node's, with its virtual size
    std::string_view file_key = "file";
    std::string_view format_key = "drv";
    while (image && is_filter(image->get_string(format_key))) {
      image = image_info ? image_info->find("backing-image") : nullptr;
      image_info = image;
      file_key = "filename";
      format_key = "format";
    }
    if (!image) continue;
    if (auto file = image->get_string(file_key)) props["file"] = manifest_file(std::string(*file), first.fdsets);
    if (auto drv = image->get_string(format_key)) props["format"] = std::string(*drv);
    add_snapshot_layer(first, DeviceId(it->first), props);
    if (auto ro = inserted->get_bool("ro")) props["readonly"] = *ro ? "true" : "false";
    if (auto size = image_info ? image_info->get_uint64("virtual-size") : std::nullopt) {
      props["size"] = fmt::format("{}", *size);
    }
  }
}

struct NetClient {
  std::string name;
  std::map<std::string, std::string> fields;
  std::string peer_type;
};

// `info network`: "nic0: index=0,type=nic,model=virtio-net-pci,macaddr=…" lines, each followed
// by its peer as " \ net0: index=0,type=user,…".
std::vector<NetClient> parse_network(std::string_view text) {
  std::vector<NetClient> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const bool peer = line.starts_with(" \\ ");
    if (peer) line.remove_prefix(3);
    auto colon = line.find(": ");
    if (colon == std::string_view::npos || line.starts_with(" ")) continue;
    NetClient client{std::string(line.substr(0, colon)), {}, {}};
    std::string_view rest = line.substr(colon + 2);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view field = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      auto eq = field.find('=');
      if (eq != std::string_view::npos)
        client.fields[std::string(field.substr(0, eq))] = std::string(field.substr(eq + 1));
    }
    if (peer && !out.empty()) {
      out.back().peer_type = client.fields["type"];
      client.peer_type = "peer";
    }
    out.push_back(std::move(client));
  }
  return out;
}

// NIC properties; every client that is not a NIC is a netdev name (for leak detection).
void add_network(const FirstReplies& first, const ObserveContext& context, std::map<std::string, Resource>& devices,
                 std::vector<std::string>& netdevs) {
  for (NetClient& c : parse_network(first.network.as_string().value_or(""))) {
    if (c.fields["type"] != "nic") {
      netdevs.push_back(c.name);
      continue;
    }
    auto it = devices.find(c.name);
    if (it == devices.end() || it->second.kind != ResourceKind::net) continue;
    auto& props = it->second.props;
    props["mac"] = c.fields["macaddr"];
    if (!c.peer_type.empty()) props["backend"] = c.peer_type;
    auto link = context.link_up.find(c.name);
    if (link != context.link_up.end()) props["link"] = link->second ? "up" : "down";
  }
}

// The target vmforge last asked for where it knows one (QEMU shows only how far the guest
// followed, and a guest without a balloon driver never does), else query-balloon's `actual`.
void add_balloon(const FirstReplies& first, const ObserveContext& context, std::map<std::string, Resource>& devices) {
  auto actual = first.balloon.get_uint64("actual");
  for (auto& [id, r] : devices) {
    if (r.kind != ResourceKind::balloon) continue;
    auto asked = context.balloon_targets.find(id);
    if (asked != context.balloon_targets.end()) {
      r.props["target"] = ByteSize(asked->second).to_string();
    } else if (actual) {
      r.props["target"] = ByteSize(*actual).to_string();
    }
  }
}

void add_cpus(const FirstReplies& first, ResourceSet& set) {
  const JsonArray* cpus = first.cpus.as_array();
  if (!cpus) return;
  // QEMU lists the possible CPUs from the last slot to the first.
  const std::size_t n = cpus->size();
  std::uint32_t boot = 0;
  for (std::size_t pos = 0; pos < n; ++pos) {
    auto path = (*cpus)[pos].get_string("qom-path");
    if (!path) continue;
    Resource r;
    r.kind = ResourceKind::cpu;
    r.id = fmt::format("{}", n - 1 - pos);
    r.hotplugged = path->starts_with(kPeripheral);
    boot += r.hotplugged ? 0 : 1;
    set.add(std::move(r));
  }
  set.facts().max_cpus = static_cast<std::uint32_t>(n);
  set.facts().boot_cpus = boot;
}

void add_dimms(const FirstReplies& first, std::map<std::string, Resource>& devices) {
  const JsonArray* mem = first.memory_devices.as_array();
  if (!mem) return;
  for (const JsonValue& m : *mem) {
    if (m.get_string("type") != std::optional<std::string_view>("dimm")) continue;
    const JsonValue* data = m.find("data");
    auto id = data ? data->get_string("id") : std::nullopt;
    if (!id) continue;
    auto it = devices.find(std::string(*id));
    if (it == devices.end()) continue;
    if (auto size = data->get_uint64("size")) it->second.props["size"] = fmt::format("{}", *size);
    if (auto hot = data->get_bool("hotplugged")) it->second.hotplugged = *hot;
  }
}

// Throttle groups with the limits QEMU has, by manifest key.
void add_throttle_groups(const FirstReplies& first, const SecondReplies& second, ResourceSet& set) {
  for (const Device& o : children(first.objects)) {
    if (o.type != kThrottleGroupType) continue;
    auto limits = second.find(fmt::format("{}{}", kObjects, o.id));
    if (limits == second.end() || !limits->second.count("limits")) continue;
    Resource r;
    r.kind = ResourceKind::throttle_group;
    r.id = o.id;
    const JsonValue& values = limits->second.at("limits");
    for (const IoLimitName& name : kIoLimitNames) {
      if (auto value = values.get_uint64(name.qemu)) r.props[std::string(name.key)] = fmt::format("{}", *value);
    }
    set.add(std::move(r));
  }
}

// Backends named after a device that QEMU no longer has.
void add_leaks(ResourceKind kind, const std::vector<std::string>& names,
               const std::map<std::string, Device>& all_devices, ResourceSet& set) {
  for (const std::string& name : names) {
    const std::string_view owner = backend_owner(name);
    if (owner.empty() || all_devices.count(std::string(owner))) continue;
    Resource r;
    r.kind = kind;
    r.id = name;
    set.add(std::move(r));
  }
}

// "vmforge-rp12" -> 12; nullopt for any other name (a port vmforge did not generate, or a
// number that does not fit).
std::optional<unsigned long> root_port_number(std::string_view id) {
  const std::string first = root_port_id(0);
  const std::string_view prefix = std::string_view(first).substr(0, first.size() - 1);
  if (!id.starts_with(prefix) || id.size() == prefix.size()) return std::nullopt;
  id.remove_prefix(prefix.size());
  unsigned long n = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  return n;
}

std::vector<std::string> strings_at(const JsonValue& list, std::string_view key) {
  std::vector<std::string> out;
  if (const JsonArray* items = list.as_array()) {
    for (const JsonValue& item : *items) {
      if (auto s = item.get_string(key)) out.emplace_back(*s);
    }
  }
  return out;
}

}  // namespace

namespace {

// Each round-one query with the member of FirstReplies its reply goes to.
struct FirstQuery {
  Query query;
  JsonValue FirstReplies::*reply;
};

const std::vector<FirstQuery>& first_round() {
  static const std::vector<FirstQuery> queries = {
      {{qmp::qom_list("/machine/peripheral")}, &FirstReplies::peripheral},
      {{QmpCall{"query-block"}}, &FirstReplies::block},
      {{QmpCall{"query-named-block-nodes", R"({"flat":true})"}}, &FirstReplies::nodes},
      {{QmpCall{"query-chardev"}}, &FirstReplies::chardevs},
      {{QmpCall{"human-monitor-command", R"({"command-line":"info network"})"}}, &FirstReplies::network},
      {{qmp::query_hotpluggable_cpus(), true}, &FirstReplies::cpus},
      {{qmp::query_memory_devices(), true}, &FirstReplies::memory_devices},
      {{qmp::qom_list("/objects")}, &FirstReplies::objects},
      {{qmp::query_balloon(), true}, &FirstReplies::balloon},
      {{QmpCall{"query-fdsets"}, true}, &FirstReplies::fdsets},
  };
  return queries;
}

}  // namespace

std::vector<Query> first_queries() {
  std::vector<Query> queries;
  for (const FirstQuery& q : first_round()) queries.push_back(q.query);
  return queries;
}

FirstReplies first_replies(std::vector<JsonValue> replies) {
  FirstReplies first;
  for (std::size_t i = 0; i < first_round().size() && i < replies.size(); ++i) {
    first.*(first_round()[i].reply) = std::move(replies[i]);
  }
  return first;
}

std::vector<Query> second_calls(const SecondQueries& queries) {
  std::vector<Query> calls;
  for (const PropertyQuery& q : queries) {
    calls.push_back({qmp::qom_get(fmt::format("{}{}", q.object ? kObjects : kPeripheral, q.device), q.property), true});
  }
  return calls;
}

SecondReplies second_replies(const SecondQueries& queries, std::vector<JsonValue> replies) {
  replies.resize(queries.size());
  SecondReplies second;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (replies[i].is_null()) continue;
    const std::string owner = queries[i].object ? fmt::format("{}{}", kObjects, queries[i].device) : queries[i].device;
    second[owner][queries[i].property] = std::move(replies[i]);
  }
  return second;
}

std::map<std::string, std::set<std::string>> identity_of(const ResourceSet& desired) {
  std::map<std::string, std::set<std::string>> identity;
  for (const Resource* r : desired.all()) {
    for (const auto& [prop, value] : r->props) identity[r->id].insert(prop);
  }
  return identity;
}

SecondQueries second_queries(const FirstReplies& first, const ObserveContext& context) {
  SecondQueries out;
  for (const Device& d : children(first.peripheral)) {
    const bool placed = (context.root_ports || context.bus_slots) && !context.check_only && !off_root_ports(d.type);
    if (placed) out.push_back({d.id, "parent_bus"});
    if (placed && context.bus_slots) out.push_back({d.id, "addr"});
    auto kind = kind_of(d, context);
    if (!kind || *kind == ResourceKind::dimm) continue;
    auto wanted = context.identity.find(d.id);
    if (!context.check_only || wanted == context.identity.end()) out.push_back({d.id, "hotplugged"});
    const KindFacts& row = facts(*kind);
    if (!row.identity_prop.empty() && wanted != context.identity.end() &&
        wanted->second.count(std::string(row.identity_prop))) {
      out.push_back({d.id, std::string(row.identity_qemu)});
    }
  }
  for (const Device& o : children(first.objects)) {
    if (o.type == kThrottleGroupType) out.push_back({o.id, "limits", true});
  }
  return out;
}

ResourceSet build_observed(const FirstReplies& first, const SecondReplies& second, const ObserveContext& context) {
  ResourceSet set;
  std::map<std::string, Device> all_devices;
  std::map<std::string, Resource> devices;
  for (Device& d : children(first.peripheral)) {
    auto kind = kind_of(d, context);
    if (kind) {
      Resource r;
      r.kind = *kind;
      r.id = d.id;
      r.props["driver"] = d.type;
      if (r.kind == ResourceKind::vfio) r.props.erase("driver");
      auto props = second.find(d.id);
      if (props != second.end()) {
        for (const auto& [name, value] : props->second) {
          if (name == "hotplugged") {
            r.hotplugged = value.as_bool().value_or(false);
          } else if (name != "parent_bus") {
            const KindFacts& row = facts(r.kind);
            r.props[name == row.identity_qemu ? std::string(row.identity_prop) : name] = json_text(value);
          }
        }
      }
      devices.emplace(d.id, std::move(r));
    }
    all_devices.emplace(d.id, std::move(d));
  }
  add_disk_media(first, devices);
  std::vector<std::string> netdevs;
  add_network(first, context, devices, netdevs);
  add_dimms(first, devices);
  add_balloon(first, context, devices);
  for (auto& [id, r] : devices) set.add(std::move(r));
  add_cpus(first, set);
  add_throttle_groups(first, second, set);

  add_leaks(ResourceKind::node, strings_at(first.nodes, "node-name"), all_devices, set);
  add_leaks(ResourceKind::chardev, strings_at(first.chardevs, "label"), all_devices, set);
  add_leaks(ResourceKind::netdev, netdevs, all_devices, set);
  std::vector<std::string> objects;
  for (const Device& o : children(first.objects)) objects.push_back(o.id);
  add_leaks(ResourceKind::object, objects, all_devices, set);

  MachineFacts& facts = set.facts();
  facts.hotplug = context.hotplug;
  if (context.root_ports) {
    std::set<std::string> busy;
    for (const auto& [device, props] : second) {
      auto bus = props.find("parent_bus");
      if (bus == props.end()) continue;
      const std::string port = port_of(bus->second.as_string().value_or(""));
      busy.insert(port);
      if (!port.empty()) facts.device_ports[device] = port;
    }
    std::vector<std::pair<unsigned long, std::string>> free;
    for (const auto& [id, device] : all_devices) {
      auto number = root_port_number(id);
      if (device.type == "pcie-root-port" && number && !busy.count(id)) free.emplace_back(*number, id);
    }
    std::sort(free.begin(), free.end());
    facts.free_ports.emplace();
    for (auto& [n, port] : free) facts.free_ports->push_back(std::move(port));
    hand_out_freed_last(*facts.free_ports, context.freed_ports);
  }
  if (context.bus_slots) add_bus_slots(second, context, facts);
  return set;
}

PciPins observed_pins(const MachineFacts& facts) {
  PciPins pins;
  std::set<std::string> ports;
  for (const auto& [device, port] : facts.device_ports) {
    if (!root_port_number(port)) continue;  // a port of the manifest's own, which it lays out itself
    pins.ports.emplace(device, port);
    ports.insert(port);
  }
  pins.root_ports = ports.size() + (facts.free_ports ? facts.free_ports->size() : 0);
  pins.slots = facts.device_slots;
  return pins;
}

}  // namespace vmforge::supervisor
