// peer_check: who may use a VM's sockets (control.sock, console.sock): the supervisor's own
// user and root, read from the connected peer's credentials (SO_PEERCRED).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "compiler/base/result.hpp"

namespace vmforge::supervisor {

struct Peer {
  uid_t uid = 0;
  pid_t pid = 0;
};

Result<Peer> peer_credentials(int fd);

/// nullopt when `peer` may use the VM; else what to tell it ("Permission denied: only root may
/// control this VM.").
std::optional<std::string> refusal(const Peer& peer);

}  // namespace vmforge::supervisor
