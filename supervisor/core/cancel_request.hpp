// The `*-cancel` control request of a long request that one object runs at a time (a backup,
// a migration): refused while none runs, else acknowledged, then passed on to the run.
#pragma once

#include <memory>
#include <string>

#include "supervisor/core/control_protocol.hpp"
#include "supervisor/core/control_server.hpp"
#include "supervisor/core/supervisor.hpp"

namespace vmforge::supervisor {

/// Adds the request `name` ("backup-cancel"); `what` names the run in the refusal ("backup").
template <class Run>
void add_cancel_request(Supervisor& self, std::string name, std::string what,
                        std::shared_ptr<std::unique_ptr<Run>> slot) {
  self.control().add_handler(
      std::move(name),
      [&self, what = std::move(what), slot](const std::shared_ptr<ControlPeer>& peer, const ControlRequest& request) {
        if (!*slot) {
          peer->send_error(request.id, kFailed, "No " + what + " of '" + self.vm().name + "' is running.");
          return;
        }
        peer->send_return(request.id, R"({"cancelling":true})");
        (*slot)->cancel();
      });
}

}  // namespace vmforge::supervisor
