// Starting QEMU from a Plan, applying its steps, and comparing QEMU's view with the plan.
#include "tests/integration/plan_vm.hpp"

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "supervisor/core/qemu_access.hpp"
#include "supervisor/launch/listen_unix.hpp"

namespace vmforge::test {
namespace {

using Mismatches = std::vector<std::string>;

std::vector<JsonValue> json_values(const Plan& plan, std::string_view option, std::string_view command, bool with_steps,
                                   Mismatches& out) {
  std::vector<JsonValue> values;
  auto add = [&](std::string_view text) {
    auto value = parse_json(text);
    if (value) {
      values.push_back(std::move(*value));
    } else {
      out.push_back(fmt::format("not JSON: {}", text));
    }
  };
  for (std::size_t i = 0; i + 1 < plan.argv.size(); ++i) {
    if (plan.argv[i] == option) add(plan.argv[i + 1]);
  }
  if (with_steps) {
    for (const auto& step : plan.steps) {
      if (step.call.command == command) add(step.call.arguments);
    }
  }
  return values;
}

// A QOM read of `expected`'s property: links read back as their path.
bool same_value(const JsonValue& expected, const JsonValue& actual) {
  if (auto text = expected.as_string()) {
    auto got = actual.as_string();
    return got && (*got == *text || *got == "/objects/" + std::string(*text));
  }
  if (expected.is_bool()) return actual.as_bool() == expected.as_bool();
  if (auto n = expected.as_uint64()) return actual.as_uint64() == n;
  if (auto n = expected.as_int64()) return actual.as_int64() == n;
  // A struct property (a throttle group's limits) reads back with every member, defaults too.
  if (const auto* members = expected.as_object()) {
    if (!actual.as_object()) return false;
    for (const auto& member : *members) {
      const JsonValue* got = actual.find(member.key);
      if (!got || !same_value(member.value, *got)) return false;
    }
    return true;
  }
  return expected == actual;
}

std::optional<int> devfn(std::string_view addr) {
  unsigned slot = 0;
  unsigned function = 0;
  if (std::sscanf(std::string(addr).c_str(), "0x%x.0x%x", &slot, &function) != 2) return std::nullopt;
  return static_cast<int>(slot * 8 + function);
}

std::map<std::string, std::string> qom_children(qmp::BlockingClient& qmp, const std::string& path, Mismatches& out) {
  std::map<std::string, std::string> children;
  JsonWriter w;
  w.begin_object().field("path", path).end_object();
  auto list = qmp.execute("qom-list", w.str());
  if (!list || !list->as_array()) {
    out.push_back(fmt::format("qom-list {} failed", path));
    return children;
  }
  for (const auto& entry : *list->as_array()) {
    children[std::string(entry.get_string("name").value_or(""))] = std::string(entry.get_string("type").value_or(""));
  }
  return children;
}

// Properties a device takes but QOM does not read back the way they were given.
const std::set<std::string_view> kWriteOnly = {"vhostfd"};

void check_device(qmp::BlockingClient& qmp, const JsonValue& dev, const std::map<std::string, std::string>& peripherals,
                  Mismatches& out) {
  const std::string id(dev.get_string("id").value_or(""));
  const std::string driver(dev.get_string("driver").value_or(""));
  auto it = peripherals.find(id);
  if (it == peripherals.end()) {
    out.push_back(fmt::format("device '{}' ({}) is missing", id, driver));
    return;
  }
  if (it->second != "child<" + driver + ">")
    out.push_back(fmt::format("device '{}' is a {}, not {}", id, it->second, driver));
  const std::string path = "/machine/peripheral/" + id;
  for (const auto& member : *dev.as_object()) {
    if (member.key == "driver" || member.key == "id" || kWriteOnly.count(member.key) != 0) continue;
    if (member.key == "bus") {
      auto parent = qom_get(qmp, path, "parent_bus");
      std::string want = std::string("/").append(member.value.as_string().value_or(""));
      std::string got(parent ? parent->as_string().value_or("") : "");
      if (got.size() < want.size() || got.compare(got.size() - want.size(), want.size(), want) != 0) {
        out.push_back(fmt::format("device '{}' sits on '{}', not on '{}'", id, got, want.substr(1)));
      }
      continue;
    }
    auto actual = qom_get(qmp, path, member.key);
    if (!actual) {
      out.push_back(fmt::format("device '{}': qom-get {}: {}", id, member.key, actual.error().message));
      continue;
    }
    if (member.key == "addr" && member.value.is_string()) {  // a PCI address, read back as devfn
      if (actual->as_int64() != devfn(member.value.as_string().value_or(""))) {
        out.push_back(fmt::format("device '{}' has addr {}, not {}", id, actual->to_json(), member.value.to_json()));
      }
      continue;
    }
    if (!same_value(member.value, *actual)) {
      out.push_back(
          fmt::format("device '{}' has {} = {}, not {}", id, member.key, actual->to_json(), member.value.to_json()));
    }
  }
}

// Devices given a slot on the root bus must show there in query-pci (bus 0).
void check_root_bus(qmp::BlockingClient& qmp, const std::vector<JsonValue>& devices, Mismatches& out) {
  auto pci = qmp.execute("query-pci");
  std::set<std::pair<std::string, int>> seen;
  if (pci && pci->as_array()) {
    for (const auto& bus : *pci->as_array()) {
      const JsonValue* list = bus.find("devices");
      if (bus.get_int64("bus") != 0 || list == nullptr || !list->as_array()) continue;
      for (const auto& d : *list->as_array()) {
        int fn = static_cast<int>(d.get_int64("slot").value_or(-1) * 8 + d.get_int64("function").value_or(0));
        seen.insert({std::string(d.get_string("qdev_id").value_or("")), fn});
      }
    }
  }
  for (const auto& dev : devices) {
    auto bus = dev.get_string("bus");
    auto addr = dev.get_string("addr");
    if (!bus || !addr || (*bus != "pcie.0" && *bus != "pci.0")) continue;
    const std::string id(dev.get_string("id").value_or(""));
    if (seen.count({id, devfn(*addr).value_or(-1)}) == 0) {
      out.push_back(fmt::format("query-pci shows no '{}' at {} on the root bus", id, *addr));
    }
  }
}

void check_block_nodes(qmp::BlockingClient& qmp, const std::vector<JsonValue>& nodes, Mismatches& out) {
  auto list = qmp.execute("query-named-block-nodes", R"({"flat":true})");
  std::map<std::string, const JsonValue*> by_name;
  if (list && list->as_array()) {
    for (const auto& n : *list->as_array()) by_name[std::string(n.get_string("node-name").value_or(""))] = &n;
  }
  for (const auto& node : nodes) {
    const std::string name(node.get_string("node-name").value_or(""));
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      out.push_back(fmt::format("block node '{}' is missing", name));
      continue;
    }
    const JsonValue& got = *it->second;
    if (got.get_string("drv") != node.get_string("driver")) {
      out.push_back(
          fmt::format("block node '{}' has driver {}", name, got.find("drv") ? got.find("drv")->to_json() : "?"));
    }
    if (got.get_bool("ro").value_or(false) != node.get_bool("read-only").value_or(false)) {
      out.push_back(fmt::format("block node '{}' has the wrong read-only flag", name));
    }
    if (auto filename = node.get_string("filename"); filename && got.get_string("file") != filename) {
      out.push_back(
          fmt::format("block node '{}' reads '{}', not '{}'", name, got.get_string("file").value_or(""), *filename));
    }
  }
}

void check_objects(qmp::BlockingClient& qmp, const std::vector<JsonValue>& objects, Mismatches& out) {
  const auto children = qom_children(qmp, "/objects", out);
  for (const auto& object : objects) {
    const std::string id(object.get_string("id").value_or(""));
    if (children.count(id) == 0) {
      out.push_back(fmt::format("object '{}' is missing", id));
      continue;
    }
    for (const auto& member : *object.as_object()) {
      if (member.key == "qom-type" || member.key == "id") continue;
      auto actual = qom_get(qmp, "/objects/" + id, member.key);
      if (!actual || !same_value(member.value, *actual)) {
        out.push_back(fmt::format("object '{}' has {} = {}, not {}", id, member.key,
                                  actual ? actual->to_json() : actual.error().message, member.value.to_json()));
      }
    }
  }
}

struct ChardevWant {
  std::string id;
  std::string backend;
  std::string path;
};

// The files the plan passes to QEMU: fd set id -> host path (Plan::files at their fd numbers,
// and with_steps the add-fd steps' sets).
std::map<std::int64_t, std::string> passed_files(const Plan& plan, bool with_steps) {
  std::map<std::int64_t, std::string> sets;
  for (const HostFile& f : plan.files) sets[f.fd] = f.file.path;
  if (with_steps) {
    for (const auto& step : plan.steps) {
      if (step.call.command != "add-fd" || !step.call.file) continue;
      auto args = parse_json(step.call.arguments);
      if (!args) continue;
      if (auto id = args->get_int64("fdset-id")) sets[*id] = step.call.file->path;
    }
  }
  return sets;
}

// The host path behind "/dev/fdset/N" as the plan passes it; other names as they are.
std::string host_path(const std::string& name, const std::map<std::int64_t, std::string>& passed) {
  constexpr std::string_view kFdset = "/dev/fdset/";
  if (!name.starts_with(kFdset)) return name;
  for (const auto& [id, path] : passed) {
    if (name.substr(kFdset.size()) == std::to_string(id)) return path;
  }
  return name;
}

// Each passed file is in its fd set, named by its path (the opaque observation reads).
void check_fdsets(qmp::BlockingClient& qmp, const std::map<std::int64_t, std::string>& passed, Mismatches& out) {
  auto sets = qmp.execute("query-fdsets");
  for (const auto& [id, path] : passed) {
    bool found = false;
    for (const auto& set : sets && sets->as_array() ? *sets->as_array() : JsonArray()) {
      const JsonValue* fds = set.find("fds");
      if (set.get_int64("fdset-id") != id || !fds || !fds->as_array()) continue;
      for (const auto& fd : *fds->as_array()) found = found || fd.get_string("opaque") == path;
    }
    if (!found) out.push_back(fmt::format("fd set {} for '{}' is missing", id, path));
  }
}

void check_chardevs(qmp::BlockingClient& qmp, const std::vector<ChardevWant>& wanted,
                    const std::map<std::int64_t, std::string>& passed, Mismatches& out) {
  auto list = qmp.execute("query-chardev");
  std::map<std::string, std::string> filenames;
  if (list && list->as_array()) {
    for (const auto& c : *list->as_array()) {
      filenames[std::string(c.get_string("label").value_or(""))] = std::string(c.get_string("filename").value_or(""));
    }
  }
  for (const auto& want : wanted) {
    auto it = filenames.find(want.id);
    if (it == filenames.end()) {
      out.push_back(fmt::format("chardev '{}' is missing", want.id));
    } else if (want.backend == "socket" && !want.path.empty() &&
               it->second.find("unix:" + want.path) == std::string::npos) {
      out.push_back(fmt::format("chardev '{}' is '{}', not a socket at '{}'", want.id, it->second, want.path));
    } else if (want.backend == "file" && !std::filesystem::exists(host_path(want.path, passed))) {
      out.push_back(fmt::format("chardev '{}' did not create '{}'", want.id, host_path(want.path, passed)));
    } else if (want.backend == "pty" && it->second.rfind("pty:", 0) != 0) {
      out.push_back(fmt::format("chardev '{}' is '{}', not a pty", want.id, it->second));
    }
  }
}

std::vector<ChardevWant> chardevs_of(const Plan& plan, bool with_steps, Mismatches& out) {
  std::vector<ChardevWant> wanted;
  for (std::size_t i = 0; i + 1 < plan.argv.size(); ++i) {
    if (plan.argv[i] != "-chardev") continue;
    ChardevWant want;
    for (const auto& [key, value] : split_option(plan.argv[i + 1])) {
      if (key.empty()) want.backend = value;
      if (key == "id") want.id = value;
      if (key == "path") want.path = value;
    }
    wanted.push_back(want);
  }
  if (with_steps) {
    for (const auto& step : plan.steps) {
      if (step.call.command != "chardev-add") continue;
      auto args = parse_json(step.call.arguments);
      if (!args) {
        out.push_back("chardev-add arguments are not JSON");
        continue;
      }
      ChardevWant want{std::string(args->get_string("id").value_or("")), "", ""};
      if (const JsonValue* backend = args->find("backend")) {
        want.backend = std::string(backend->get_string("type").value_or(""));
        if (const JsonValue* p = backend->find_path({"data", "addr", "data", "path"}))
          want.path = std::string(p->as_string().value_or(""));
        if (const JsonValue* p = backend->find_path({"data", "out"}))
          want.path = std::string(p->as_string().value_or(""));
      }
      wanted.push_back(want);
    }
  }
  return wanted;
}

}  // namespace

Result<JsonValue> qom_get(qmp::BlockingClient& qmp, const std::string& path, std::string_view property) {
  JsonWriter w;
  w.begin_object().field("path", path).field("property", property).end_object();
  return qmp.execute("qom-get", w.str());
}

Result<PlanVm> start_plan(const Plan& plan, const TempDir& dir, std::vector<launch::FdMapping> fds) {
  const std::string socket = dir.file("qmp.sock");
  VMFORGE_TRY(UniqueFd listener, launch::listen_unix(socket));
  launch::SpawnOptions options;
  options.argv.push_back(plan.qemu_binary);
  options.argv.insert(options.argv.end(), plan.argv.begin(), plan.argv.end());
  options.fds = std::move(fds);
  options.fds.push_back({listener.get(), kQmpListenFd});
  std::vector<UniqueFd> files;
  for (const HostFile& f : plan.files) {
    VMFORGE_TRY(UniqueFd fd, supervisor::open_for_qemu(f.file));
    options.fds.push_back({fd.get(), f.fd});
    files.push_back(std::move(fd));
  }
  VMFORGE_TRY(launch::Process qemu, launch::spawn(options));
  // Only QEMU holds the listening socket now: if it dies, connecting fails instead of hanging.
  listener = UniqueFd();
  auto client = qmp::BlockingClient::connect(socket);
  if (!client) {
    auto status = qemu.wait(std::chrono::seconds(5));
    if (status) return unexpected(qemu.exit_error(*status));
    return unexpected(client.error());
  }
  return PlanVm{std::move(qemu), std::move(*client)};
}

Result<void> apply_steps(qmp::BlockingClient& qmp, const std::vector<PlanStep>& steps) {
  for (const auto& step : steps) {
    const Completion& done = step.call.completion;
    UniqueFd file;
    if (step.call.file) {
      VMFORGE_TRY(file, supervisor::open_for_qemu(*step.call.file));
    }
    const int fd = file.get();
    const std::span<const int> fds = file ? std::span<const int>(&fd, 1) : std::span<const int>();
    Result<JsonValue> reply =
        done.kind == Completion::Kind::reply
            ? qmp.execute(step.call.command, step.call.arguments, qmp::kDefaultTimeout, fds)
            : qmp.execute_until(step.call.command, step.call.arguments,
                                qmp::EventMatch{done.event, qmp::data_equals("device", done.device_id)},
                                std::chrono::milliseconds(done.timeout_ms));
    if (!reply) {
      return unexpected(Error(fmt::format("step {} {} {}: {}", step.resource, step.call.command, step.call.arguments,
                                          reply.error().message)));
    }
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> split_option(const std::string& text) {
  std::vector<std::string> items(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
      items.back() += ',';
      ++i;
    } else if (text[i] == ',') {
      items.emplace_back();
    } else {
      items.back() += text[i];
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      out.emplace_back("", item);
    } else {
      out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
  }
  return out;
}

std::vector<std::string> plan_mismatches(qmp::BlockingClient& qmp, const Plan& plan, bool with_steps) {
  Mismatches out;
  const auto devices = json_values(plan, "-device", "device_add", with_steps, out);
  const auto peripherals = qom_children(qmp, "/machine/peripheral", out);
  for (const auto& dev : devices) check_device(qmp, dev, peripherals, out);
  check_root_bus(qmp, devices, out);
  check_block_nodes(qmp, json_values(plan, "-blockdev", "blockdev-add", with_steps, out), out);
  check_objects(qmp, json_values(plan, "-object", "object-add", with_steps, out), out);
  const auto passed = passed_files(plan, with_steps);
  check_chardevs(qmp, chardevs_of(plan, with_steps, out), passed, out);
  check_fdsets(qmp, passed, out);
  return out;
}

}  // namespace vmforge::test
