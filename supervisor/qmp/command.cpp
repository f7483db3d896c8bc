// Sending a Command through either client.
#include "supervisor/qmp/command.hpp"

namespace vmforge::qmp {

Result<CommandId> send(Client& client, const Command& command, Timeout timeout, ReplyHandler handler,
                       std::span<const int> fds) {
  if (command.until) {
    return client.execute_until(command.name, command.arguments, *command.until, timeout, std::move(handler), fds);
  }
  return client.execute(command.name, command.arguments, timeout, std::move(handler), fds);
}

Result<JsonValue> run(BlockingClient& client, const Command& command, Timeout timeout, std::span<const int> fds) {
  if (command.until) return client.execute_until(command.name, command.arguments, *command.until, timeout, fds);
  return client.execute(command.name, command.arguments, timeout, fds);
}

Result<void> run_void(BlockingClient& client, const Command& command, Timeout timeout, std::span<const int> fds) {
  VMFORGE_TRY_VOID(run(client, command, timeout, fds));
  return {};
}

}  // namespace vmforge::qmp
