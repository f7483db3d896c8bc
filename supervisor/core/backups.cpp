// The backup request: query the disks' nodes, run the backup steps, detach the targets, record.
#include "supervisor/core/backups.hpp"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/json_writer.hpp"
#include "compiler/lower/context.hpp"
#include "compiler/qmp/ops_backup.hpp"
#include "compiler/qmp/ops_block.hpp"
#include "compiler/qmp/ops_fd.hpp"
#include "supervisor/core/backup_record.hpp"
#include "supervisor/core/step_runner.hpp"
#include "supervisor/core/cancel_request.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

using PeerPtr = std::shared_ptr<ControlPeer>;

constexpr std::uint32_t kJobTimeoutMs = 24u * 3600u * 1000u;  // a job is ended by cancelling it, not by a clock
constexpr std::chrono::seconds kQueryTimeout{30};
constexpr std::uint64_t kCancelRepeatUsec = 100000;

std::string fd_key(const DiskBackup& d) { return "backup\n" + d.target; }

std::string node_name(std::string_view tag, std::size_t index, std::string_view part) {
  return fmt::format("bk{}-{}-{}", tag, index, part);
}

// The elements of `v`, none if it is not an array.
const JsonArray& items(const JsonValue& v) {
  static const JsonArray kNone;
  return v.as_array() ? *v.as_array() : kNone;
}

// Target nodes are "bk<tag>-<n>-fmt"/"-file"; a disk's nodes always hold a '.' ("<id>.fmt").
bool is_target_node(std::string_view name) {
  return name.starts_with("bk") && name.find('.') == std::string_view::npos &&
         (name.ends_with("-fmt") || name.ends_with("-file"));
}

std::optional<std::int64_t> fdset_of(std::string_view filename) {
  constexpr std::string_view kFdset = "/dev/fdset/";
  if (!filename.starts_with(kFdset)) return std::nullopt;
  std::int64_t id = 0;
  for (char c : filename.substr(kFdset.size())) {
    if (c < '0' || c > '9' || id > (std::int64_t{1} << 40)) return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

// The path vmforge gave as the opaque of fd set `id`'s fds (the target image).
std::optional<std::string> fdset_opaque(const JsonValue& fdsets, std::int64_t id) {
  for (const JsonValue& set : items(fdsets)) {
    if (set.get_int64("fdset-id") != id) continue;
    const JsonValue* fds = set.find("fds");
    if (fds == nullptr) continue;
    for (const JsonValue& fd : items(*fds)) {
      if (auto opaque = fd.get_string("opaque")) return std::string(*opaque);
    }
  }
  return std::nullopt;
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// "20261207T152300Z", the backup's id and its files' suffix.
std::string utc_stamp() {
  const time_t now = time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char text[32];
  strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// What QEMU says about a format node: its virtual size and whether it has vmforge's bitmap.
struct NodeInfo {
  std::uint64_t size = 0;
  bool has_bitmap = false;
};

std::optional<NodeInfo> node_info(const JsonValue& nodes, std::string_view name) {
  const JsonArray* list = nodes.as_array();
  if (!list) return std::nullopt;
  for (const JsonValue& n : *list) {
    if (n.get_string("node-name") != name) continue;
    const JsonValue* image = n.find("image");
    auto size = image ? image->get_uint64("virtual-size") : std::nullopt;
    if (!size) return std::nullopt;
    NodeInfo info{*size, false};
    if (const JsonValue* bitmaps = n.find("dirty-bitmaps"); bitmaps && bitmaps->as_array()) {
      for (const JsonValue& b : *bitmaps->as_array()) info.has_bitmap |= b.get_string("name") == kBackupBitmap;
    }
    return info;
  }
  return std::nullopt;
}

// One backup in progress; at most one per VM.
class BackupRun {
 public:
  BackupRun(Supervisor& self, std::unique_ptr<BackupRun>& slot, PeerPtr peer, const ControlRequest& request,
            std::string dir, bool incremental)
      : self_(self), slot_(slot), peer_(std::move(peer)), request_id_(request.id), dir_(std::move(dir)),
        incremental_(incremental), busy_(self.begin_operation("a backup")) {}

  void start() {
    started_ = std::chrono::steady_clock::now();
    query("query-jobs", "", [this](JsonValue jobs) {
      query("query-named-block-nodes", R"({"flat":true})", [this, jobs](JsonValue nodes) {
        query("query-fdsets", "", [this, jobs, nodes](JsonValue fdsets) { clean_up(jobs, nodes, fdsets); });
      });
    });
  }

  /// Cancels the jobs now and every 100 ms until the steps end, so that a job started after
  /// the request is cancelled too: its step fails, the undos detach the targets and copied()
  /// removes the images. A backup whose jobs all completed first completes.
  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    if (!runner_) return;  // still planning: plan() stops
    auto timer = sd::add_time<&BackupRun::on_cancel_timer>(self_.event(), CLOCK_MONOTONIC, 0, 10000, this,
                                                           "backup-cancel");
    if (!timer) return fail(timer.error().message);
    cancel_timer_ = std::move(*timer);
  }

 private:
  void query(std::string_view command, std::string_view arguments, std::function<void(JsonValue)> then) {
    qmp::Client* client = self_.qmp();
    if (client == nullptr) return fail("QMP is not connected.");
    auto sent = client->execute(command, arguments, kQueryTimeout,
                                [this, command = std::string(command), then](Result<JsonValue> reply) {
                                  if (!reply) return fail(fmt::format("'{}' failed: {}", command, reply.error().message));
                                  then(std::move(*reply));
                                });
    if (!sent) fail(sent.error().message);
  }

  // What a supervisor killed during a backup left in QEMU: this one runs one backup at a time,
  // so every backup job and target node there is now is an orphan. Running jobs are cancelled
  // (the bitmap then still marks everything since the last recorded backup); targets are
  // detached and their images removed. A target without a running job means its job ended
  // unseen: if it succeeded, it reset the bitmap to a backup nobody recorded, so the bitmaps are
  // dropped and the next incremental backup asks for a full one instead of missing changes.
  void clean_up(const JsonValue& jobs, const JsonValue& nodes, const JsonValue& fdsets) {
    std::vector<PlanStep> steps;
    std::size_t running = 0;
    for (const JsonValue& job : items(jobs)) {
      const std::string id(job.get_string("id").value_or(""));
      if (!id.starts_with(kBackupJobPrefix)) continue;
      ++running;
      QmpCall cancel = qmp::job_cancel(id);
      cancel.completion = {Completion::Kind::event, "BLOCK_JOB_CANCELLED", id, 0};
      steps.push_back({"orphans", std::move(cancel), std::nullopt});
    }
    std::vector<std::string> targets;
    std::vector<PlanStep> files;
    std::size_t detached = 0;
    const JsonArray& list = items(nodes);
    for (const JsonValue& n : list) {
      const std::string name(n.get_string("node-name").value_or(""));
      if (!is_target_node(name)) continue;
      if (name.ends_with("-fmt")) {
        ++detached;
        steps.push_back({"orphans", qmp::blockdev_del(name), std::nullopt});
        continue;
      }
      files.push_back({"orphans", qmp::blockdev_del(name), std::nullopt});
      const auto fdset = fdset_of(n.get_string("file").value_or(""));
      if (!fdset) continue;
      files.push_back({"orphans", qmp::remove_fd(*fdset), std::nullopt});
      if (auto path = fdset_opaque(fdsets, *fdset)) targets.push_back(*path);
    }
    steps.insert(steps.end(), files.begin(), files.end());
    if (detached > running) {
      for (const JsonValue& n : list) {
        if (!node_info(nodes, n.get_string("node-name").value_or("")).value_or(NodeInfo{}).has_bitmap) continue;
        steps.push_back({"orphans", qmp::block_dirty_bitmap_remove(std::string(*n.get_string("node-name")),
                                                                   kBackupBitmap), std::nullopt});
      }
    }
    if (steps.empty()) return query_disks();
    sd::log_notice("Cleaning up after an interrupted backup: {} job(s) to cancel, {} image(s) to detach{}.", running,
                   detached, detached > running ? ", dirty bitmaps dropped (the next backup must be full)" : "");
    const std::size_t total = steps.size();
    run(std::move(steps), [this, targets, total](StepReport report) {
      for (const std::string& t : targets) {
        if (t.ends_with(".qcow2")) unlink(t.c_str());
      }
      if (!report.ok()) {
        return fail(fmt::format("Failed to clean up after an interrupted backup: {}", report.describe(total)));
      }
      runner_.reset();
      query_disks();
    });
  }

  void query_disks() {
    query("query-named-block-nodes", R"({"flat":true})", [this](JsonValue nodes) { plan(std::move(nodes)); });
  }

  Result<void> on_cancel_timer(std::uint64_t usec) {
    if (qmp::Client* client = self_.qmp()) {
      for (const DiskBackup& d : disks_) {
        // A job that has not started or has ended already answers with an error: expected.
        (void)client->execute(qmp::job_cancel(backup_job_id(d.disk)), kQueryTimeout, [](Result<JsonValue>) {});
      }
    }
    (void)usec;  // the time it was due: with a start of 0, far in the past
    VMFORGE_TRY_VOID(cancel_timer_.set_time(sd::loop_now_usec(self_.event()) + kCancelRepeatUsec));
    return cancel_timer_.set_enabled(sd::Enabled::oneshot);
  }

  void plan(JsonValue nodes) {
    if (cancelled_) return fail("Backup cancelled before it began.");
    auto record = load_backup_record(self_.state_dir(), self_.vm());
    if (!record) return fail(record.error().message);
    record_ = std::move(*record);
    const Vm& vm = self_.vm();
    tag_ = utc_stamp();
    for (int n = 2; n < 100 && taken(vm); ++n) tag_ = fmt::format("{}-{}", utc_stamp(), n);
    for (const Disk& d : vm.disks) {
      if (d.media != DiskMedia::disk || d.readonly) continue;
      if (d.format != DiskFormat::qcow2) {
        return fail(fmt::format("Disk '{}' is {}: vmforge backs up qcow2 disks only (the dirty bitmap that makes "
                                "incremental backups is stored in the image).",
                                d.id.str(), to_string(d.format)));
      }
      DiskBackup b{d.id.str(), d.id.derived("fmt"), 0, target_of(vm, d), {}, false};
      auto info = node_info(nodes, b.node);
      if (!info) return fail(fmt::format("QEMU shows no node '{}' for disk '{}'.", b.node, b.disk));
      b.size = info->size;
      b.add_bitmap = !info->has_bitmap;
      if (incremental_) {
        b.parent = last_backup_file(record_, b.disk);
        if (b.parent.empty() || !info->has_bitmap) {
          return fail(fmt::format("Disk '{}' has no full backup to build on{}: run 'vmforge backup {} --to DIR' "
                                  "without --incremental first.",
                                  b.disk, b.parent.empty() ? "" : " (its dirty bitmap is gone)", vm.name));
        }
        if (!exists(b.parent)) {
          return fail(fmt::format("Disk '{}''s previous backup '{}' is missing: make a full backup.", b.disk,
                                  b.parent));
        }
      }
      disks_.push_back(std::move(b));
    }
    if (disks_.empty()) return fail(fmt::format("VM '{}' has no writable disk to back up.", vm.name));
    steps_ = backup_steps(tag_, disks_, kJobTimeoutMs);
    self_.announce(sd::LogLevel::notice, fmt::format("Backing up {} disk(s) of '{}' ({}) into '{}'.", disks_.size(),
                                                     vm.name, incremental_ ? "incremental" : "full", dir_));
    run(steps_, [this](StepReport report) { copied(std::move(report)); });
  }

  bool taken(const Vm& vm) const {
    for (const BackupEntry& e : record_) {
      if (e.id == tag_) return true;
    }
    for (const Disk& d : vm.disks) {
      if (exists(target_of(vm, d))) return true;
    }
    return false;
  }

  std::string target_of(const Vm& vm, const Disk& d) const {
    return fmt::format("{}/{}-{}-{}.qcow2", dir_, vm.name, d.id.str(), tag_);
  }

  void run(std::vector<PlanStep> steps, StepRunner::Done done) {
    qmp::Client* client = self_.qmp();
    if (client == nullptr) return fail("QMP is not connected.");
    StepRunnerOptions options;
    options.on_progress = [this](std::size_t index, const PlanStep& step, StepPhase phase) {
      self_.publish_step(index, step, phase);
    };
    auto runner = StepRunner::start(self_.event(), *client, std::move(steps), std::move(options), std::move(done));
    if (!runner) return fail(runner.error().message);
    runner_ = std::move(*runner);
  }

  void copied(StepReport report) {
    cancel_timer_.reset();
    if (!report.ok()) {
      // The undos detached what was attached; the partial images go, earlier backups stay.
      for (const DiskBackup& d : disks_) unlink(d.target.c_str());
      if (cancelled_) return fail("Backup cancelled: its images are removed, earlier backups are kept.");
      return fail(fmt::format("Backup failed, its images removed: {}", report.describe(steps_.size())));
    }
    run(release_steps(steps_), [this](StepReport released) { recorded(std::move(released)); });
  }

  void recorded(StepReport released) {
    if (!released.ok()) {
      sd::log_warning("Backup '{}' is complete, but detaching its images failed: {}", tag_,
                      released.describe(steps_.size()));
    }
    BackupEntry entry{tag_, incremental_, {}};
    for (const DiskBackup& d : disks_) entry.disks.push_back({d.disk, d.target, file_size(d.target)});
    record_.push_back(entry);
    std::vector<BackupEntry> expired;
    if (auto keep = self_.vm().backup.keep) expired = expire_backups(record_, *keep);
    // The record first: an image it no longer names is one no recorded backup builds on.
    if (auto saved = save_backup_record(self_.state_dir(), self_.vm(), record_); !saved) return fail(saved.error().message);
    std::vector<std::string> removed;
    for (const BackupEntry& e : expired) {
      for (const BackedUpDisk& d : e.disks) {
        if (unlink(d.file.c_str()) == 0 || errno == ENOENT) {
          removed.push_back(d.file);
        } else {
          sd::log_warning("{}, ignoring.",
                          errno_error(fmt::format("Failed to remove '{}' of expired backup '{}'", d.file, e.id)).message);
        }
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    JsonWriter w;
    w.begin_object().field("id", entry.id).field("incremental", entry.incremental).field("seconds", seconds);
    w.key("disks").begin_array();
    for (const BackedUpDisk& d : entry.disks) {
      w.begin_object().field("disk", d.disk).field("file", d.file).field("bytes", d.bytes).end_object();
    }
    w.end_array().key("removed").begin_array();
    for (const std::string& file : removed) w.value(file);
    w.end_array().end_object();
    self_.announce(sd::LogLevel::notice, fmt::format("Backup '{}' of '{}' done in {:.1f}s.", tag_, self_.vm().name,
                                                     seconds));
    finish([reply = w.take()](const PeerPtr& peer, const std::optional<JsonValue>& id) {
      peer->send_return(id, reply);
    });
  }

  void fail(const std::string& message) {
    sd::log_warning("{}", message);
    finish([message](const PeerPtr& peer, const std::optional<JsonValue>& id) {
      peer->send_error(id, kFailed, message);
    });
  }

  // Ends this run (it is destroyed here), then answers.
  void finish(std::function<void(const PeerPtr&, const std::optional<JsonValue>&)> answer) {
    PeerPtr peer = std::move(peer_);
    std::optional<JsonValue> id = std::move(request_id_);
    std::unique_ptr<BackupRun> self = std::move(slot_);
    answer(peer, id);
  }

  Supervisor& self_;
  std::unique_ptr<BackupRun>& slot_;
  PeerPtr peer_;
  std::optional<JsonValue> request_id_;
  std::string dir_;
  bool incremental_;
  std::string tag_;
  std::vector<BackupEntry> record_;
  std::vector<DiskBackup> disks_;
  std::vector<PlanStep> steps_;
  std::unique_ptr<StepRunner> runner_;
  std::chrono::steady_clock::time_point started_;
  bool cancelled_ = false;
  sd::EventSource cancel_timer_;
  Supervisor::Operation busy_;
};

}  // namespace

std::string backup_job_id(std::string_view disk) { return fmt::format("{}{}", kBackupJobPrefix, disk); }

std::vector<PlanStep> backup_steps(std::string_view tag, const std::vector<DiskBackup>& disks,
                                   std::uint32_t job_timeout_ms) {
  // One resource: the steps run in order, the transaction after every target is attached.
  const std::string resource = "backup";
  std::vector<PlanStep> steps;
  std::vector<qmp::TransactionAction> actions;
  std::vector<std::string> jobs;
  for (std::size_t i = 0; i < disks.size(); ++i) {
    const DiskBackup& d = disks[i];
    ImageCreate create{"qcow2", d.size, d.parent, d.parent.empty() ? "" : "qcow2"};
    steps.push_back(add_fd_step(resource, fd_key(d), PassedFile{d.target, FileOpen::read_write, std::move(create)}));

    qmp::BlockdevFile file;
    file.node_name = node_name(tag, i, "file");
    file.filename = hot_fdset_path(fd_key(d));
    steps.push_back({resource, qmp::blockdev_add(file), qmp::blockdev_del(file.node_name)});
    qmp::BlockdevFormat format;
    format.driver = "qcow2";
    format.node_name = node_name(tag, i, "fmt");
    format.file = file.node_name;
    format.backing = std::optional<std::string>();
    steps.push_back({resource, qmp::blockdev_add(format), qmp::blockdev_del(format.node_name)});

    if (d.add_bitmap) {
      actions.push_back({"block-dirty-bitmap-add", arguments(qmp::DirtyBitmapAdd{d.node, std::string(kBackupBitmap)})});
    }
    jobs.push_back(backup_job_id(d.disk));
    qmp::BlockdevBackup backup{jobs.back(), d.node, format.node_name, d.parent.empty() ? "full" : "incremental",
                               std::string(kBackupBitmap)};
    actions.push_back({"blockdev-backup", arguments(backup)});
  }
  if (!jobs.empty()) steps.push_back({resource, qmp::backup_transaction(actions, jobs, job_timeout_ms), std::nullopt});
  return steps;
}

std::vector<PlanStep> release_steps(const std::vector<PlanStep>& steps) {
  std::vector<PlanStep> release;
  for (auto s = steps.rbegin(); s != steps.rend(); ++s) {
    if (s->undo) release.push_back({s->resource, *s->undo, std::nullopt});
  }
  return release;
}

void add_backup_handler(Supervisor& self) {
  auto slot = std::make_shared<std::unique_ptr<BackupRun>>();
  self.control().add_handler("backup", [&self, slot](const PeerPtr& peer, const ControlRequest& request) {
    auto dir = request.body.get_string("dir");
    if (!dir || !dir->starts_with('/')) {
      peer->send_error(request.id, kInvalidRequest, R"(Request 'backup' needs "dir": an absolute directory.)");
      return;
    }
    if (*slot) {
      peer->send_error(request.id, kFailed, fmt::format("A backup of '{}' is running already.", self.vm().name));
      return;
    }
    if (auto refusal = self.refusal_while_migrating("'backup'"); !refusal.empty()) {
      return peer->send_error(request.id, kUnavailable, refusal);
    }
    if (self.qmp() == nullptr) {
      peer->send_error(request.id, kUnavailable, fmt::format("QMP is not connected (VM is {}).", to_string(self.state())));
      return;
    }
    *slot = std::make_unique<BackupRun>(self, *slot, peer, request, std::string(*dir),
                                        request.body.get_bool("incremental").value_or(false));
    (*slot)->start();
  });
  add_cancel_request(self, "backup-cancel", "backup", slot);
}

}  // namespace vmforge::supervisor
