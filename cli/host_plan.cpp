// The host plan: every manifest of DIR checked first, then per VM `+ start` (no supervisor
// runs it), its running supervisor's own plan, or with --prune `- stop` (runs, no manifest).
#include "cli/host_plan.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "cli/host_manifests.hpp"
#include "cli/host_vms.hpp"
#include "cli/vm_connect.hpp"
#include "cli/vm_request.hpp"
#include "compiler/base/json_writer.hpp"

namespace vmforge::cli {
namespace {

enum class Action { start, change, unchanged, stop, failed };

std::string_view to_string(Action a) {
  switch (a) {
    case Action::start: return "start";
    case Action::change: return "change";
    case Action::unchanged: return "unchanged";
    case Action::stop: return "stop";
    case Action::failed: return "failed";
  }
  return "failed";
}

struct Entry {
  std::string name;
  std::string manifest;  // in DIR; for a VM to stop, the one it runs
  Action action = Action::failed;
  std::optional<VmPlan> plan;
  std::string error;
};

// What a running VM's supervisor said to "plan", or why it could not.
void take_plan(Entry& e, Result<VmPlan> plan) {
  if (!plan) {
    e.error = plan.error().message;
    return;
  }
  e.action = plan->changes == 0 ? Action::unchanged : Action::change;
  e.plan = std::move(*plan);
}

// Every running VM (`ask[i]` its manifest) is asked before any reply is read: their
// supervisors observe their QEMUs at the same time, not one after the other.
void plan_running(std::vector<Entry>& entries, const std::vector<const Vm*>& ask,
                  const std::optional<std::string>& runtime_dir) {
  std::vector<std::optional<supervisor::VmClient>> asked(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (ask[i] == nullptr) continue;
    auto client = connect_vm(entries[i].name, runtime_dir);
    auto sent = client ? client->send_plan(manifest_source(*ask[i])) : Result<void>(unexpected(client.error()));
    if (!sent) {
      take_plan(entries[i], unexpected(std::move(sent).error()));
      continue;
    }
    asked[i] = std::move(*client);
  }
  const auto deadline = std::chrono::steady_clock::now() + kPlanTimeout;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!asked[i]) continue;
    take_plan(entries[i], vm_plan(asked[i]->read_reply(time_left(deadline))));
  }
}

std::string indent(std::string_view text, std::string_view prefix) {
  std::string out;
  while (!text.empty()) {
    size_t nl = std::min(text.find('\n'), text.size() - 1);
    std::string_view line = text.substr(0, nl + 1);
    out += line == "\n" ? std::string(line) : fmt::format("{}{}", prefix, line);
    text.remove_prefix(nl + 1);
  }
  return out;
}

void print_text(const HostPlanOptions& o, const std::vector<Entry>& entries, const std::map<Action, size_t>& count) {
  fmt::print("Comparing the manifests in '{}' with the VMs of this host{}.\n\n", o.dir,
             o.prune ? " (VMs without a manifest are stopped: --prune)" : "");
  for (const Entry& e : entries) {
    switch (e.action) {
      case Action::start: fmt::print("+ {}: start (no supervisor runs it) from '{}'\n", e.name, e.manifest); break;
      case Action::stop: fmt::print("- {}: stop (it has no manifest in '{}')\n", e.name, o.dir); break;
      case Action::unchanged: fmt::print("  {}: no changes\n", e.name); break;
      case Action::change:
        fmt::print("~ {}: changes from '{}':\n{}", e.name, e.manifest, indent(e.plan->text, "    "));
        break;
      case Action::failed: fmt::print("? {}: cannot plan: {}\n", e.name, e.error); break;
    }
  }
  auto n = [&](Action a) { return count.count(a) ? count.at(a) : 0; };
  fmt::print("\nHost plan: {} to start, {} to change, {} to stop, {} unchanged{}.\n", n(Action::start),
             n(Action::change), n(Action::stop), n(Action::unchanged),
             n(Action::failed) ? fmt::format(", {} failed", n(Action::failed)) : "");
}

void print_json(const HostPlanOptions& o, const std::vector<Entry>& entries, const std::map<Action, size_t>& count) {
  JsonWriter w;
  w.begin_object().field("dir", o.dir).field("prune", o.prune).key("vms").begin_array();
  for (const Entry& e : entries) {
    w.begin_object().field("name", e.name).field("action", to_string(e.action)).field("manifest", e.manifest);
    w.key("plan");
    if (e.plan) {
      w.raw(e.plan->diff.to_json());
    } else {
      w.null();
    }
    if (!e.error.empty()) w.field("error", e.error);
    w.end_object();
  }
  w.end_array();
  for (Action a : {Action::start, Action::change, Action::stop, Action::unchanged, Action::failed}) {
    w.field(to_string(a), static_cast<std::uint64_t>(count.count(a) ? count.at(a) : 0));
  }
  w.end_object();
  fmt::print("{}\n", w.str());
}

}  // namespace

int host_plan(const HostPlanOptions& o) {
  auto manifests = load_host_manifests(o.dir);
  if (!manifests) {
    fmt::print(stderr, "vmforge plan: '{}' has errors; nothing planned.\n", o.dir);
    return kFailed;
  }
  auto host = survey_host(o.runtime_dir);
  if (!host) {
    fmt::print(stderr, "vmforge plan: {}\n", host.error().message);
    return kFailed;
  }
  std::map<std::string, const HostVm*> running;
  for (const HostVm& vm : *host) running[vm.name] = &vm;
  std::vector<Entry> entries;
  std::vector<const Vm*> ask;
  for (const Vm& vm : *manifests) {
    auto it = running.find(vm.name);
    const bool supervised = it != running.end() && it->second->supervised();
    Entry& e = entries.emplace_back();
    e.name = vm.name;
    e.manifest = vm.source_path;
    e.action = supervised ? Action::failed : Action::start;  // a running VM's: until its supervisor answers
    ask.push_back(supervised ? &vm : nullptr);
    if (it != running.end()) running.erase(it);
  }
  plan_running(entries, ask, o.runtime_dir);
  if (o.prune) {
    for (const auto& [name, vm] : running) {
      if (!vm->supervised()) continue;
      Entry& e = entries.emplace_back();
      e.name = name;
      e.manifest = vm->manifest;
      e.action = Action::stop;
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  std::map<Action, size_t> count;
  for (const Entry& e : entries) ++count[e.action];
  if (o.json) {
    print_json(o, entries, count);
  } else {
    print_text(o, entries, count);
  }
  for (const Entry& e : entries) {
    if (o.json && e.action == Action::failed) fmt::print(stderr, "vmforge plan: VM '{}': {}\n", e.name, e.error);
  }
  if (count.count(Action::failed)) return kFailed;
  return count.count(Action::start) || count.count(Action::change) || count.count(Action::stop) ? kChanges : kNoChanges;
}

}  // namespace vmforge::cli
