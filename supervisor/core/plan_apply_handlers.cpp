// Control handlers for plan and apply.
#include "supervisor/core/plan_apply_handlers.hpp"

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"
#include "compiler/diff/render.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "supervisor/core/disk_chains.hpp"

namespace vmforge::supervisor {
namespace {

// The manifest a request carries, validated; or an error reply already sent.
std::optional<Vm> request_manifest(const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request,
                                   const Reconciler& reconciler) {
  auto path = request.body.get_string("path");
  auto text = request.body.get_string("text");
  if (!path || !text) {
    peer->send_error(request.id, kInvalidRequest, "The request lacks the string members 'path' and 'text'.");
    return std::nullopt;
  }
  auto vm = validate_text(*text, *path);
  if (!vm) {
    peer->send_error(request.id, kFailed, vm.error().render(*text));
    return std::nullopt;
  }
  if (vm->name != reconciler.applied().name) {
    peer->send_error(request.id, kFailed,
                     fmt::format("The manifest describes VM '{}', but this supervisor runs '{}'.", vm->name,
                                 reconciler.applied().name));
    return std::nullopt;
  }
  return std::move(*vm);
}

void write_diff(JsonWriter& w, const Diff& diff) {
  w.field("changes", static_cast<std::uint64_t>(diff.changes.size()));
  w.key("diff").raw(render_diff_json(diff));
  w.field("text", render_diff_text(diff));
}

}  // namespace

void add_plan_apply_handlers(ControlServer& server, Reconciler& reconciler, ApplyFunction apply) {
  server.add_handler("plan", [&reconciler](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request) {
    auto vm = request_manifest(peer, request, reconciler);
    if (!vm) return;
    auto chains = load_disk_chains(reconciler.state(), *vm);
    if (!chains) return peer->send_error(request.id, kFailed, chains.error().message);
    std::string layers = active_layers_json(*chains, *vm);
    reconciler.plan(std::move(*vm), [peer, id = request.id, layers](Result<Diff> planned) {
      if (!planned) return peer->send_error(id, kFailed, planned.error().message);
      JsonWriter w;
      w.begin_object();
      write_diff(w, *planned);
      w.key("layers").raw(layers);
      w.end_object();
      peer->send_return(id, w.str());
    });
  });
  server.add_handler("apply",
                     [&reconciler, apply](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request) {
                       auto vm = request_manifest(peer, request, reconciler);
                       if (!vm) return;
                       const bool allow_restart = request.body.get_bool("allow_restart").value_or(false);
                       apply(std::move(*vm), allow_restart, [peer, id = request.id](Result<ApplyOutcome> outcome) {
                         if (!outcome) return peer->send_error(id, kFailed, outcome.error().message);
                         JsonWriter w;
                         w.begin_object();
                         w.field("ok", outcome->ok);
                         w.field("message", outcome->message);
                         w.field("restarted", outcome->restarted);
                         w.field("steps", static_cast<std::uint64_t>(outcome->steps));
                         write_diff(w, outcome->diff);
                         w.end_object();
                         peer->send_return(id, w.str());
                       });
                     });
}

}  // namespace vmforge::supervisor
