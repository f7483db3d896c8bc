// The built-in control requests: status, events, qmp, stop, backup (backups.hpp) and migrate
// (migration.hpp). Their
// wire format is in README ("Control socket"); plan/apply add theirs through add_handler().
#include <unistd.h>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "supervisor/core/backups.hpp"
#include "supervisor/core/migration.hpp"
#include "supervisor/core/disk_chains.hpp"
#include "supervisor/core/run_state.hpp"
#include "supervisor/core/supervisor.hpp"
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/pid_unit.hpp"

namespace vmforge::supervisor {
namespace {

using PeerPtr = std::shared_ptr<ControlPeer>;

constexpr std::chrono::milliseconds kPassThroughTimeout{60000};

void send_qmp_error(const PeerPtr& peer, const ControlRequest& request, const Error& error) {
  std::string_view qmp_class = qmp::qmp_error_class(error);
  peer->send_error(request.id, qmp_class.empty() ? kFailed : qmp_class, error.message);
}

// The headline of `status`: QEMU's run state once the VM is up, else the supervisor's state.
std::string status_run_state(VmState state, const JsonValue* qemu_status) {
  if (state == VmState::running && qemu_status)
    return std::string(qemu_status->get_string("status").value_or("unknown"));
  return std::string(to_string(state));
}

bool status_healthy(VmState state, const JsonValue* qemu_status) {
  return state == VmState::running && qemu_status && !run_state_unhealthy(status_run_state(state, qemu_status));
}

}  // namespace

void Supervisor::add_builtin_handlers() {
  // The unit this supervisor runs in, once: `vmforge list` reads it here instead of asking
  // libsystemd about every supervisor's cgroup itself.
  control_->add_handler("status", [this, unit = sd::unit_of_pid(getpid())](const PeerPtr& peer,
                                                                           const ControlRequest& request) {
    auto reply = [this, peer, id = request.id, &unit](const JsonValue* qemu_status) {
      JsonWriter w;
      w.begin_object().field("name", vm_.name).field("state", to_string(state_));
      w.field("run_state", status_run_state(state_, qemu_status)).field("healthy", status_healthy(state_, qemu_status));
      if (qemu_status) w.key("qemu_status").raw(qemu_status->to_json());
      w.field("qemu_pid", static_cast<std::int64_t>(qemu_pid()))
          .field("supervisor_pid", static_cast<std::int64_t>(getpid()));
      w.field("adopted", adopted()).field("manifest", vm_.source_path).field("manifest_sha256", vm_.source_sha256);
      w.field("state_dir", state_dir_.dir).field("qemu", plan_.qemu_binary);
      if (!migration_status_.empty()) w.key("migration").raw(migration_status_);
      // A damaged record is reported by plan and snapshot; status still answers.
      if (auto chains = load_disk_chains(state_dir_, vm_)) w.key("layers").raw(active_layers_json(*chains, vm_));
      w.key("unit");
      if (unit) {
        w.begin_object().field("name", unit->name).field("manager", unit->user ? "user" : "system").end_object();
      } else {
        w.null();
      }
      w.end_object();
      peer->send_return(id, w.str());
    };
    qmp::Client* client = qmp();
    if (client == nullptr) {
      reply(nullptr);
      return;
    }
    // Run-state changes come as events to every monitor, so a reused reply is current.
    auto sent = client->query(qmp::query_status(), std::chrono::milliseconds(5000),
                              [reply](Result<JsonValue> status) { reply(status ? &*status : nullptr); });
    if (!sent) reply(nullptr);
  });

  control_->add_handler("events", [this](const PeerPtr& peer, const ControlRequest& request) {
    peer->send_return(request.id, "{}");
    peer->subscribe_events();
    JsonWriter w;
    w.begin_object().field("event", "STATE").field("source", "supervisor");
    w.key("data").begin_object().field("state", to_string(state_)).end_object().end_object();
    peer->send(w.str());
  });

  control_->add_handler("qmp", [this](const PeerPtr& peer, const ControlRequest& request) {
    const JsonValue* command = request.body.find("command");
    auto execute = command ? command->get_string("execute") : std::nullopt;
    const JsonValue* arguments = command ? command->find("arguments") : nullptr;
    // The client matches replies to commands in order: an out-of-band one would overtake them.
    // A command's own "id" is not sent either (nor needed).
    if (command && command->find("exec-oob") != nullptr) {
      peer->send_error(request.id, kInvalidRequest,
                       R"(Out-of-band QMP commands ("exec-oob") are not supported: use "execute".)");
      return;
    }
    if (!execute || (arguments && !arguments->is_object())) {
      peer->send_error(request.id, kInvalidRequest,
                       R"(Request 'qmp' needs "command": {"execute": NAME, "arguments": {...}}.)");
      return;
    }
    if (*execute == "qmp_capabilities") {
      peer->send_error(request.id, kInvalidRequest, "The supervisor negotiated QMP capabilities already.");
      return;
    }
    qmp::Client* client = qmp();
    if (client == nullptr) {
      peer->send_error(request.id, kUnavailable, fmt::format("QMP is not connected (VM is {}).", to_string(state_)));
      return;
    }
    auto sent = client->execute(*execute, arguments ? arguments->to_json() : "", kPassThroughTimeout,
                                [peer, request](Result<JsonValue> reply) {
                                  if (reply) {
                                    peer->send_return(request.id, reply->to_json());
                                  } else {
                                    send_qmp_error(peer, request, reply.error());
                                  }
                                });
    if (!sent) send_qmp_error(peer, request, sent.error());
  });

  control_->add_handler("stop", [this](const PeerPtr& peer, const ControlRequest& request) {
    peer->send_return(request.id, R"({"state":"stopping"})");
    request_stop(fmt::format("Stop requested over the control socket (uid {})", peer->uid()));
  });

  add_backup_handler(*this);
  add_migration_handler(*this);
}

}  // namespace vmforge::supervisor
