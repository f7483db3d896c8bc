// The migrate request: capabilities, parameters, `migrate`, then MIGRATION events and a poll of
// query-migrate until QEMU says completed, failed or cancelled.
#include "supervisor/core/migration.hpp"

#include <time.h>

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "supervisor/core/cancel_request.hpp"
#include "supervisor/core/line_socket.hpp"
#include "supervisor/core/migration_handshake.hpp"
#include "supervisor/core/migration_socket.hpp"
#include "supervisor/core/observe.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/event_loop.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/log.hpp"

namespace vmforge::supervisor {
namespace {

using PeerPtr = std::shared_ptr<ControlPeer>;

constexpr std::chrono::seconds kQueryTimeout{30};
constexpr std::uint64_t kPollUsec = 1000000;  // progress and the post-copy check
constexpr std::uint64_t kRetryUsec = 200000;  // a destination not listening yet is tried again after this
constexpr std::uint64_t kStatsUsec = 20000;   // `completed` may come before its statistics are filled in
constexpr int kStatsTries = 25;
// The destination answers the handshake once its QEMU listens, which may take a restart of
// that QEMU with the source's PCI layout.
constexpr std::uint64_t kHandshakeUsec = 60000000;

// Nothing listens at the URI yet (tcp, unix).
bool destination_absent(const Error& error) { return error.errno_value == ECONNREFUSED || error.errno_value == ENOENT; }

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// What the `migrate` request asks for over the manifest's [migration].
struct Outgoing {
  std::string uri;
  MigrationSettings settings;
  std::uint64_t wait_usec = 0;  // --wait-for-destination
  bool detach = false;
};

// One outgoing migration; at most one per VM.
class MigrationRun {
 public:
  MigrationRun(Supervisor& self, std::unique_ptr<MigrationRun>& slot, PeerPtr peer, const ControlRequest& request,
               Outgoing out)
      : self_(self), slot_(slot), peer_(std::move(peer)), request_id_(request.id), out_(std::move(out)) {}

  ~MigrationRun() { self_.set_migrating(false); }

  void start() {
    self_.set_migrating(true);
    deadline_usec_ = sd::loop_now_usec(self_.event()) + out_.wait_usec;
    subscription_ = self_.qmp()->subscribe("MIGRATION", {}, [this](const qmp::Event& e) { on_event(e); });
    auto timer = sd::add_time<&MigrationRun::on_timer>(
        self_.event(), CLOCK_MONOTONIC, sd::loop_now_usec(self_.event()) + kPollUsec, 10000, this, "migration-poll");
    if (!timer) return fail(timer.error().message);
    timer_ = std::move(*timer);
    self_.announce(sd::LogLevel::notice, fmt::format("Migrating VM '{}' to '{}'.", self_.vm().name, out_.uri));
    execute(qmp::migrate_set_capabilities(migration_capabilities(out_.settings)), [this](JsonValue) {
      execute(qmp::migrate_set_parameters(migration_parameters(out_.settings)), [this](JsonValue) { observe_pins(); });
    });
  }

  /// migrate_cancel; the VM keeps running here. A migration already completed completes.
  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    if (waiting_ || handshake_) {
      return fail("Migration cancelled while waiting for the destination; the VM keeps running here.");
    }
    if (sent_) execute(qmp::migrate_cancel(), [](JsonValue) {});
  }

 private:
  void execute(QmpCall call, std::function<void(JsonValue)> then) {
    qmp::Client* client = self_.qmp();
    if (client == nullptr) return fail("QMP is not connected.");
    auto sent = client->execute(call, kQueryTimeout,
                                [this, alive = std::weak_ptr<int>(alive_), command = call.command,
                                 then = std::move(then)](Result<JsonValue> reply) {
                                  if (alive.expired()) return;
                                  if (!reply)
                                    return fail(fmt::format("'{}' failed: {}", command, reply.error().message));
                                  then(std::move(*reply));
                                });
    if (!sent) fail(sent.error().message);
  }

  // Where the devices sit now (live additions took free root ports or slots): the destination lays
  // its QEMU out the same (migration_handshake.hpp).
  void observe_pins() {
    qmp::Client* client = self_.qmp();
    if (client == nullptr) return fail("QMP is not connected.");
    ObserveContext context;
    context.root_ports = self_.vm().machine.family == MachineFamily::q35;
    context.bus_slots = self_.vm().machine.family == MachineFamily::pc;
    observe(*client, std::move(context), [this, alive = std::weak_ptr<int>(alive_)](Result<ResourceSet> seen) {
      if (alive.expired()) return;
      if (!seen) return fail(fmt::format("Failed to observe the VM's devices: {}", seen.error().message));
      hello_ = hello_line(MigrationHello{kHandshakeVersion, self_.vm().name, observed_pins(seen->facts())});
      // --detach returns now: Pacemaker's migrate_to starts the destination only after it.
      if (out_.detach && peer_) answer_detached();
      handshake();
    });
  }

  void handshake() {
    if (cancelled_) return fail("Migration cancelled before it began; the VM keeps running here.");
    auto fd = connect_migration_uri(out_.uri);
    if (!fd) return handshake_failed(fd.error());
    auto socket = LineSocket::open(self_.event(), std::move(*fd), kHandshakeMaxLine,
                                   sd::loop_now_usec(self_.event()) + kHandshakeUsec,
                                   [this](Result<std::string> line) { answered(std::move(line)); });
    if (!socket) return fail(socket.error().message);
    handshake_ = std::move(*socket);
    handshake_->send(hello_);
  }

  void answered(Result<std::string> line) {
    handshake_.reset();
    if (!line) return handshake_failed(line.error());
    if (waiting_) (void)arm_poll(sd::loop_now_usec(self_.event()));
    waiting_ = false;
    if (auto ok = parse_reply(*line); !ok) {
      return fail(fmt::format("The destination '{}' refused the migration of VM '{}': {}. The VM keeps running here.",
                              out_.uri, self_.vm().name, ok.error().message));
    }
    send_migrate();
  }

  void handshake_failed(const Error& error) {
    if (destination_absent(error) && sd::loop_now_usec(self_.event()) + kRetryUsec < deadline_usec_ && !cancelled_) {
      if (!waiting_)
        sd::log_info("The destination '{}' does not listen yet ({}): trying again.", out_.uri, error.message);
      waiting_ = true;
      (void)timer_.set_time(sd::loop_now_usec(self_.event()) + kRetryUsec);
      (void)timer_.set_enabled(sd::Enabled::oneshot);
      return;
    }
    fail(fmt::format("Migration of VM '{}' to '{}' failed: the handshake with the destination's supervisor failed: {} "
                     "(is 'vmforge run --incoming {}' of the same vmforge version waiting there?). The VM keeps "
                     "running here.",
                     self_.vm().name, out_.uri, error.message, out_.uri));
  }

  void send_migrate() {
    if (cancelled_) return fail("Migration cancelled before it began; the VM keeps running here.");
    execute(qmp::migrate(out_.uri), [this](JsonValue) { sent_ = true; });
  }

  void answer_detached() {
    JsonWriter w;
    w.begin_object().field("uri", out_.uri).field("detached", true).end_object();
    peer_->send_return(request_id_, w.str());
    peer_.reset();
  }

  void on_event(const qmp::Event& event) {
    const std::string_view status = event.data.get_string("status").value_or("");
    if (status == "completed") {
      timer_.reset();
      query_stats(kStatsTries);
    } else if (status == "failed") {
      query([this](const qmp::MigrationInfo& info) { failed(info); });
    } else if (status == "cancelled") {
      fail("Migration cancelled; the VM keeps running here.");
    } else if (status == "postcopy-active") {
      self_.announce(sd::LogLevel::notice, fmt::format("VM '{}' runs on the destination now (post-copy); the rest of "
                                                       "its RAM follows.",
                                                       self_.vm().name));
    }
  }

  void query(std::function<void(const qmp::MigrationInfo&)> then) {
    execute(qmp::query_migrate(), [this, then = std::move(then)](JsonValue reply) {
      auto info = qmp::parse_migration(reply);
      if (!info) return fail(info.error().message);
      self_.set_migration_status(reply.to_json());
      then(*info);
    });
  }

  void failed(const qmp::MigrationInfo& info) {
    const std::string why = info.error_desc.value_or("QEMU gave no reason");
    fail(fmt::format("Migration of VM '{}' to '{}' failed: {}. The VM keeps running here.", self_.vm().name, out_.uri,
                     why));
  }

  Result<void> on_timer(std::uint64_t now) {
    // A retry of the handshake arms the timer again itself if it must wait more.
    if (waiting_) {
      if (!handshake_) handshake();
      return {};
    }
    if (sent_) query([this](const qmp::MigrationInfo& info) { progress(info); });
    return arm_poll(now);
  }

  Result<void> arm_poll(std::uint64_t now) {
    VMFORGE_TRY_VOID(timer_.set_time(now + kPollUsec));
    return timer_.set_enabled(sd::Enabled::oneshot);
  }

  // The post-copy switch: once precopy made `postcopy_after_passes` passes over RAM without
  // converging, the VM moves and the rest of RAM follows on demand.
  void progress(const qmp::MigrationInfo& info) {
    const MigrationSettings& s = out_.settings;
    if (!s.postcopy || switched_ || info.status != "active" || !info.ram) return;
    if (info.ram->dirty_sync_count < s.postcopy_after_passes) return;
    switched_ = true;
    self_.announce(sd::LogLevel::notice,
                   fmt::format("Precopy did not converge in {} passes ({:.0f} MiB remaining): switching to post-copy.",
                               info.ram->dirty_sync_count, mib(info.ram->remaining)));
    execute(qmp::migrate_start_postcopy(), [](JsonValue) {});
  }

  // QEMU may report `completed` before it filled in total-time and downtime: asked again a few
  // times until it has.
  void query_stats(int tries) {
    query([this, tries](const qmp::MigrationInfo& info) {
      if (info.total_time.value_or(0) == 0 && tries > 1) {
        auto timer = sd::add_time<&MigrationRun::on_stats_timer>(self_.event(), CLOCK_MONOTONIC,
                                                                 sd::loop_now_usec(self_.event()) + kStatsUsec, 1000,
                                                                 this, "migration-stats");
        if (!timer) return completed(info);
        stats_tries_ = tries - 1;
        timer_ = std::move(*timer);
        return;
      }
      completed(info);
    });
  }

  Result<void> on_stats_timer(std::uint64_t) {
    query_stats(stats_tries_);
    return {};
  }

  void completed(const qmp::MigrationInfo& info) {
    const std::uint64_t sent = info.ram ? info.ram->transferred : 0;
    JsonWriter w;
    w.begin_object().field("uri", out_.uri).field("total_time_ms", info.total_time.value_or(0));
    w.field("downtime_ms", info.downtime.value_or(0)).field("transferred", sent).end_object();
    std::string text =
        fmt::format("VM '{}' migrated to '{}' in {:.1f}s (downtime {} ms, {:.0f} MiB sent).", self_.vm().name, out_.uri,
                    static_cast<double>(info.total_time.value_or(0)) / 1000, info.downtime.value_or(0), mib(sent));
    Supervisor& self = self_;
    finish(
        [reply = w.take()](const PeerPtr& peer, const std::optional<JsonValue>& id) { peer->send_return(id, reply); });
    self.migrated(text);
  }

  void fail(const std::string& message) {
    sd::log_warning("{}", message);
    finish(
        [message](const PeerPtr& peer, const std::optional<JsonValue>& id) { peer->send_error(id, kFailed, message); });
  }

  // Ends this run (it is destroyed here), then answers the CLI if it still waits.
  void finish(std::function<void(const PeerPtr&, const std::optional<JsonValue>&)> answer) {
    if (qmp::Client* client = self_.qmp(); client && subscription_ != 0) client->unsubscribe(subscription_);
    PeerPtr peer = std::move(peer_);
    std::optional<JsonValue> id = std::move(request_id_);
    std::unique_ptr<MigrationRun> self = std::move(slot_);
    if (peer) answer(peer, id);
  }

  Supervisor& self_;
  std::unique_ptr<MigrationRun>& slot_;
  PeerPtr peer_;  // the CLI waiting for the outcome; none once it detached
  std::optional<JsonValue> request_id_;
  Outgoing out_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // replies after the run ended are dropped
  qmp::SubscriptionId subscription_ = 0;
  sd::EventSource timer_;
  std::string hello_;                      // the handshake line, once the VM was observed
  std::unique_ptr<LineSocket> handshake_;  // while the destination has not answered
  std::uint64_t deadline_usec_ = 0;
  int stats_tries_ = 0;
  bool sent_ = false;     // QEMU accepted `migrate`: a cancel goes to QEMU
  bool waiting_ = false;  // the destination does not listen yet: a retry is due
  bool cancelled_ = false;
  bool switched_ = false;  // migrate-start-postcopy sent
};

// The request's members over the manifest's [migration]; an error message if one is invalid.
Result<Outgoing> outgoing_of(const Supervisor& self, const JsonValue& body) {
  Outgoing out;
  out.uri = std::string(body.get_string("uri").value_or(""));
  if (!valid_migration_uri(out.uri)) {
    return unexpected(Error(R"(Request 'migrate' needs "uri": 'tcp:HOST:PORT' or 'unix:/PATH'.)"));
  }
  out.settings = self.vm().migration;
  MigrationSettings& s = out.settings;
  if (auto b = body.get_uint64("bandwidth")) s.bandwidth = ByteSize(*b);
  if (auto d = body.get_uint64("downtime_limit_ms")) s.downtime_limit = Duration(std::chrono::milliseconds(*d));
  if (body.get_bool("auto_converge").value_or(false)) s.auto_converge = true;
  if (body.get_bool("postcopy").value_or(false)) s.postcopy = true;
  if (auto m = body.get_uint64("multifd")) s.multifd = static_cast<std::uint32_t>(std::min<std::uint64_t>(*m, 255));
  out.wait_usec = body.get_uint64("wait_for_destination_s").value_or(0) * 1000000u;
  out.detach = body.get_bool("detach").value_or(false);
  return out;
}

}  // namespace

bool valid_migration_uri(std::string_view uri) {
  if (uri.starts_with("unix:/")) return uri.size() > 6;
  if (!uri.starts_with("tcp:")) return false;
  const std::string_view rest = uri.substr(4);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return false;
  for (char c : rest.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
  }
  return rest.size() - colon - 1 <= 5;
}

std::vector<qmp::MigrationCapability> migration_capabilities(const MigrationSettings& settings) {
  return {{"events", true},
          {"return-path", true},
          {"auto-converge", settings.auto_converge},
          {"postcopy-ram", settings.postcopy},
          {"multifd", settings.multifd > 0}};
}

qmp::MigrationParameters migration_parameters(const MigrationSettings& settings) {
  qmp::MigrationParameters p;
  if (settings.bandwidth) p.max_bandwidth = settings.bandwidth->bytes();
  if (settings.downtime_limit) p.downtime_limit = static_cast<std::uint64_t>(settings.downtime_limit->ms().count());
  if (settings.multifd > 0) p.multifd_channels = settings.multifd;
  return p;
}

void add_migration_handler(Supervisor& self) {
  auto slot = std::make_shared<std::unique_ptr<MigrationRun>>();
  self.control().add_handler("migrate", [&self, slot](const PeerPtr& peer, const ControlRequest& request) {
    auto out = outgoing_of(self, request.body);
    if (!out) {
      peer->send_error(request.id, kInvalidRequest, out.error().message);
      return;
    }
    if (*slot) {
      peer->send_error(request.id, kFailed, fmt::format("A migration of '{}' is running already.", self.vm().name));
      return;
    }
    if (self.state() != VmState::running || self.qmp() == nullptr) {
      peer->send_error(
          request.id, kUnavailable,
          fmt::format("VM '{}' is {}: only a running VM migrates.", self.vm().name, to_string(self.state())));
      return;
    }
    if (auto refusal = self.refusal_while_busy(); !refusal.empty()) {
      return peer->send_error(request.id, kUnavailable, refusal);
    }
    *slot = std::make_unique<MigrationRun>(self, *slot, peer, request, std::move(*out));
    (*slot)->start();
  });
  add_cancel_request(self, "migrate-cancel", "migration", slot);
}

}  // namespace vmforge::supervisor
