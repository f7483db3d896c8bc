// External snapshots of a running VM: a new qcow2 layer above each chosen disk, all at one
// instant (a QMP transaction), then recorded in the chain record so that every later start,
// restart and plan uses the layer.
#include "supervisor/core/snapshots.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/lower/snapshot.hpp"
#include "supervisor/core/control_protocol.hpp"
#include "supervisor/core/control_server.hpp"
#include "supervisor/core/disk_chains.hpp"
#include "supervisor/core/image_create.hpp"
#include "supervisor/core/step_runner.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

struct Snapshots {
  explicit Snapshots(Supervisor& s) : self(s) {}
  Supervisor& self;
  std::unique_ptr<StepRunner> runner;  // the snapshot being taken
};

bool written(const Disk& d) { return !d.readonly && d.media == DiskMedia::disk; }

// The disks a request names ("disks": ["data", …]), else every written one.
Result<std::vector<const Disk*>> chosen_disks(const Vm& vm, const JsonValue& body) {
  std::vector<const Disk*> out;
  const JsonValue* named = body.find("disks");
  const JsonArray* ids = named ? named->as_array() : nullptr;
  if (!ids || ids->empty()) {
    for (const Disk& d : vm.disks) {
      if (written(d)) out.push_back(&d);
    }
    if (out.empty()) return unexpected(Error(fmt::format("VM '{}' has no writable disk to snapshot.", vm.name)));
    return out;
  }
  for (const JsonValue& id : *ids) {
    const std::string_view want = id.as_string().value_or("");
    auto it = std::find_if(vm.disks.begin(), vm.disks.end(), [&](const Disk& d) { return d.id.str() == want; });
    if (it == vm.disks.end()) return unexpected(Error(fmt::format("VM '{}' has no disk '{}'.", vm.name, want)));
    out.push_back(&*it);
  }
  return out;
}

// The new layer of each disk: "FILE.NAME.qcow2" next to the disk's file (where its owner
// keeps the disk's data), a node name never used before in this record.
Result<std::vector<NewLayer>> new_layers(const std::vector<const Disk*>& disks, std::string_view name,
                                         DiskChains& chains) {
  std::vector<NewLayer> layers;
  for (const Disk* d : disks) {
    if (d->file.starts_with("/dev/")) {
      return unexpected(Error(fmt::format(
          "Disk '{}' is the host device '{}': a snapshot layer needs a directory next to a file.", d->id.str(), d->file)));
    }
    const std::string file = fmt::format("{}.{}.qcow2", d->file, name);
    struct stat st {};
    // An old file would be taken as the new layer (images are made only when missing).
    if (lstat(file.c_str(), &st) == 0 || errno != ENOENT) {
      return unexpected(Error(fmt::format("'{}' exists already: remove it or choose another snapshot name.", file)));
    }
    layers.push_back({d->id, {file, d->id.derived(fmt::format("s{}", chains.next_node++))}});
  }
  return layers;
}

void record_snapshot(Supervisor& self, DiskChains chains, Vm vm, const std::vector<NewLayer>& layers,
                     SnapshotInfo info) {
  for (const NewLayer& l : layers) {
    const Disk& d = *std::find_if(vm.disks.begin(), vm.disks.end(), [&](const Disk& x) { return x.id == l.disk; });
    DiskChain* chain = chains.find(d.id.str());
    if (!chain) chain = &chains.disks.emplace_back(DiskChain{d.id.str(), d.file, {}});
    // A disk whose manifest now names another file starts a chain of its own.
    if (chain->base != d.file) *chain = DiskChain{d.id.str(), d.file, {}};
    chain->layers.push_back({info.name, l.layer.file, l.layer.node});
  }
  chains.snapshots.push_back(std::move(info));
  if (auto saved = save_disk_chains(self.state_dir(), vm, chains); !saved) {
    sd::log_error("The snapshot was taken, but recording it failed: {}. A restart of QEMU would go back to the "
                  "layers below it.",
                  saved.error().message);
  }
  use_disk_chains(chains, vm);
  self.set_applied(vm);
}

void take_snapshot(const std::shared_ptr<Snapshots>& s, const std::shared_ptr<ControlPeer>& peer,
                   const ControlRequest& request) {
  auto fail = [&](const Error& e) { peer->send_error(request.id, kFailed, e.message); };
  if (s->runner) return fail(Error("Another snapshot is being taken; try again when it is done."));
  auto name = DeviceId::parse(request.body.get_string("name").value_or(""));
  if (!name) return fail(Error(fmt::format("Invalid snapshot name: {}.", name.error().message)));
  qmp::Client* client = s->self.qmp();
  if (!client || s->self.state() != VmState::running) {
    return fail(Error(fmt::format("VM '{}' is not running: snapshots are taken live.", s->self.vm().name)));
  }
  auto chains = load_disk_chains(s->self.state_dir(), s->self.vm());
  if (!chains) return fail(chains.error());
  if (chains->snapshot(name->str())) return fail(Error(fmt::format("Snapshot '{}' exists already.", name->str())));
  Vm vm = s->self.vm();
  use_disk_chains(*chains, vm);
  auto disks = chosen_disks(vm, request.body);
  if (!disks) return fail(disks.error());
  auto layers = new_layers(*disks, name->str(), *chains);
  if (!layers) return fail(layers.error());
  auto steps = snapshot_steps(vm, name->str(), *layers);
  if (!steps) return fail(steps.error());
  const std::size_t total = steps->size();
  SnapshotInfo info{name->str(), std::string(request.body.get_string("label").value_or("")), std::time(nullptr)};
  auto runner = StepRunner::start(
      s->self.event(), *client, std::move(*steps), {},
      [s, peer, id = request.id, chains = std::move(*chains), vm, layers = *layers, info, total,
       busy = s->self.begin_operation("a snapshot")](StepReport report) {
        auto keep = std::move(s->runner);
        if (!report.ok()) return peer->send_error(id, kFailed, report.describe(total));
        record_snapshot(s->self, chains, vm, layers, info);
        sd::log_notice("Snapshot '{}' taken of {} disk(s).", info.name, layers.size());
        JsonWriter w;
        w.begin_object().field("name", info.name).key("disks").begin_array();
        for (const NewLayer& l : layers) w.begin_object().field("disk", l.disk.str()).field("file", l.layer.file).end_object();
        w.end_array().end_object();
        peer->send_return(id, w.str());
      });
  if (!runner) return fail(runner.error());
  s->runner = std::move(*runner);
}

// The chain record, when the VM runs, no other snapshot request is under way and snapshot
// `name` exists.
Result<DiskChains> existing_snapshot(const Snapshots& s, const std::string& name) {
  if (s.runner || !s.self.qmp() || s.self.state() != VmState::running) {
    return unexpected(Error(fmt::format("VM '{}' is not running, or busy with another snapshot.", s.self.vm().name)));
  }
  VMFORGE_TRY(auto chains, load_disk_chains(s.self.state_dir(), s.self.vm()));
  if (!chains.snapshot(name)) return unexpected(Error(fmt::format("There is no snapshot '{}'.", name)));
  return chains;
}

// Back to snapshot NAME: each of its layers (the writes made after it) is replaced by an empty
// one at the same path and node, and QEMU restarts onto the chain. The layers below, which hold
// the snapshot, are not touched: the same snapshot can be reverted to again.
void revert_snapshot(const std::shared_ptr<Snapshots>& s, const std::shared_ptr<ControlPeer>& peer,
                     const ControlRequest& request) {
  auto fail = [&](const Error& e) { peer->send_error(request.id, kFailed, e.message); };
  const std::string name(request.body.get_string("name").value_or(""));
  if (!request.body.get_bool("allow_restart").value_or(false)) {
    return fail(Error(fmt::format("Reverting to snapshot '{}' restarts QEMU: the guest boots again on its disks as "
                                  "they were at the snapshot. Run again with --allow-restart.",
                                  name)));
  }
  auto chains = existing_snapshot(*s, name);
  if (!chains) return fail(chains.error());
  Vm vm = s->self.vm();
  use_disk_chains(*chains, vm);
  std::vector<std::pair<std::string, ImageCreate>> fresh;  // layer file, how to make it again
  for (const DiskChain& chain : chains->disks) {
    for (std::size_t i = 0; i < chain.layers.size(); ++i) {
      const ChainLayer& layer = chain.layers[i];
      if (layer.snapshot != name) continue;
      if (i + 1 != chain.layers.size()) {
        return fail(Error(fmt::format("Snapshot '{}' was taken after '{}' on disk '{}': reverting would drop it.",
                                      chain.layers.back().snapshot, name, chain.disk)));
      }
      auto disk = std::find_if(vm.disks.begin(), vm.disks.end(), [&](const Disk& d) { return d.id.str() == chain.disk; });
      if (disk == vm.disks.end() || disk->layers.empty()) {
        return fail(Error(fmt::format("Disk '{}' of snapshot '{}' is not in the running manifest with its file '{}'.",
                                      chain.disk, name, chain.base)));
      }
      const bool on_base = i == 0;
      fresh.push_back({layer.file, ImageCreate{std::string(to_string(DiskFormat::qcow2)), std::nullopt,
                                               on_base ? chain.base : chain.layers[i - 1].file,
                                               std::string(to_string(on_base ? disk->format : DiskFormat::qcow2))}});
    }
  }
  for (const auto& [file, create] : fresh) {
    // QEMU keeps writing to the old file until it exits; those writes are what is dropped.
    if (unlink(file.c_str()) != 0 && errno != ENOENT) {
      return fail(errno_error(fmt::format("Failed to remove '{}'", file)));
    }
    if (auto made = create_image_if_missing(file, create); !made) return fail(made.error());
  }
  sd::log_notice("Reverting to snapshot '{}': restarting QEMU.", name);
  s->self.restart(vm, [peer, id = request.id, name](Result<void> restarted) {
    if (!restarted) return peer->send_error(id, kFailed, restarted.error().message);
    JsonWriter w;
    w.begin_object().field("name", name).field("restarted", true).end_object();
    peer->send_return(id, w.str());
  });
}

// Deleting snapshot NAME merges each of its layers into the one below, live, then forgets it:
// the guest's data stays whole, the boundary at NAME goes.
void delete_snapshot(const std::shared_ptr<Snapshots>& s, const std::shared_ptr<ControlPeer>& peer,
                     const ControlRequest& request) {
  auto fail = [&](const Error& e) { peer->send_error(request.id, kFailed, e.message); };
  const std::string name(request.body.get_string("name").value_or(""));
  auto chains = existing_snapshot(*s, name);
  if (!chains) return fail(chains.error());
  qmp::Client* client = s->self.qmp();
  Vm vm = s->self.vm();
  use_disk_chains(*chains, vm);
  std::vector<PlanStep> steps;
  for (const DiskChain& chain : chains->disks) {
    for (std::size_t i = 0; i < chain.layers.size(); ++i) {
      if (chain.layers[i].snapshot != name) continue;
      auto merge = merge_steps(vm, name, DeviceId(chain.disk), i, request.body.get_uint64("speed").value_or(0));
      if (!merge) return fail(merge.error());
      steps.insert(steps.end(), merge->begin(), merge->end());
    }
  }
  const std::size_t total = steps.size();
  StepRunnerOptions options;
  options.on_progress = [s](std::size_t index, const PlanStep& step, StepPhase phase) {
    s->self.publish_step(index, step, phase);
  };
  auto runner = StepRunner::start(
      s->self.event(), *client, std::move(steps), std::move(options),
      [s, peer, id = request.id, chains = std::move(*chains), vm, name, total,
       busy = s->self.begin_operation(fmt::format("the deletion of snapshot '{}'", name))](StepReport report) mutable {
        auto keep = std::move(s->runner);
        if (!report.ok()) return peer->send_error(id, kFailed, report.describe(total));
        std::vector<std::string> merged;
        for (DiskChain& chain : chains.disks) {
          for (auto it = chain.layers.begin(); it != chain.layers.end();) {
            if (it->snapshot != name) {
              ++it;
              continue;
            }
            merged.push_back(it->file);
            it = chain.layers.erase(it);
          }
        }
        std::erase_if(chains.snapshots, [&](const SnapshotInfo& info) { return info.name == name; });
        if (auto saved = save_disk_chains(s->self.state_dir(), vm, chains); !saved) {
          return peer->send_error(id, kFailed,
                                  fmt::format("The layers of '{}' were merged, but recording it failed: {}", name,
                                              saved.error().message));
        }
        for (const std::string& file : merged) {
          if (unlink(file.c_str()) != 0) sd::log_warning("Failed to remove merged layer '{}', ignoring.", file);
        }
        use_disk_chains(chains, vm);
        s->self.set_applied(vm);
        sd::log_notice("Snapshot '{}' deleted: {} layer(s) merged.", name, merged.size());
        JsonWriter w;
        w.begin_object().field("name", name).field("merged", static_cast<std::uint64_t>(merged.size())).end_object();
        peer->send_return(id, w.str());
      });
  if (!runner) return fail(runner.error());
  s->runner = std::move(*runner);
}

// {"snapshots": [{"name", "label", "created", "disks": [{"disk", "file"}]}], "active": [{"disk", "snapshot", "file"}]}
void list_snapshots(Supervisor& self, const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request) {
  auto chains = load_disk_chains(self.state_dir(), self.vm());
  if (!chains) return peer->send_error(request.id, kFailed, chains.error().message);
  JsonWriter w;
  w.begin_object().key("snapshots").begin_array();
  for (const SnapshotInfo& s : chains->snapshots) {
    w.begin_object().field("name", s.name).field("label", s.label).field("created", s.created);
    w.key("disks").begin_array();
    for (const DiskChain& chain : chains->disks) {
      for (const ChainLayer& l : chain.layers) {
        if (l.snapshot == s.name) w.begin_object().field("disk", chain.disk).field("file", l.file).end_object();
      }
    }
    w.end_array().end_object();
  }
  w.end_array().key("active").raw(active_layers_json(*chains, self.vm()));
  w.end_object();
  peer->send_return(request.id, w.str());
}

}  // namespace

void install_snapshots(Supervisor& supervisor) {
  auto shared = std::make_shared<Snapshots>(supervisor);
  // What changes the disks' block graph waits until no migration is under way.
  using Handler = void (*)(const std::shared_ptr<Snapshots>&, const std::shared_ptr<ControlPeer>&,
                           const ControlRequest&);
  auto add_changing = [&supervisor, shared](std::string name, Handler handler) {
    supervisor.control().add_handler(std::move(name), [&supervisor, shared, handler](
                                                          const std::shared_ptr<ControlPeer>& peer,
                                                          const ControlRequest& request) {
      const std::string refusal = supervisor.refusal_while_migrating(fmt::format("'{}'", request.name));
      if (!refusal.empty()) return peer->send_error(request.id, kUnavailable, refusal);
      handler(shared, peer, request);
    });
  };
  add_changing("snapshot", &take_snapshot);
  add_changing("snapshot-revert", &revert_snapshot);
  add_changing("snapshot-delete", &delete_snapshot);
  supervisor.control().add_handler("snapshot-list", [&supervisor](const std::shared_ptr<ControlPeer>& peer,
                                                                  const ControlRequest& request) {
    list_snapshots(supervisor, peer, request);
  });
}

}  // namespace vmforge::supervisor
