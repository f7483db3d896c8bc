// `vmforge console NAME`: attach the terminal to the VM's console (the [[serial]] whose backend
// is 'console'), through its supervisor's console.sock (supervisor/core/console_relay.hpp).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/raw_terminal.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/errno_error.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/qmp/blocking_client.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge console NAME [--runtime-dir DIR]\n"
    "\n"
    "Attach to the console of the running VM NAME: the [[serial]] whose backend is 'console'.\n"
    "Shows the console's recent output, then what the guest prints; what you type goes to the\n"
    "guest (the terminal is in raw mode, Ctrl-C included). Ctrl-] detaches, as does the end of\n"
    "standard input when it is not a terminal. The VM runs on; attach again at any time. One\n"
    "console at a time: attaching detaches an earlier one. The supervisor logs the whole console\n"
    "to console.log in the VM's state directory, attached or not.\n"
    "\n"
    "Exit status: 0 detached, or the VM stopped; 1 the VM is not running, has no console, or\n"
    "the connection failed; 2 usage error.\n"
    "\n"
    "Options:\n";

constexpr char kEscape = 0x1d;  // Ctrl-], as telnet and virsh

// A socket write that waits: the supervisor takes input as fast as the guest does.
Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = fd == STDOUT_FILENO ? ::write(fd, bytes.data(), bytes.size())
                                    : ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return unexpected(errno_error(fd == STDOUT_FILENO ? "Failed to write the output" : "Failed to send input"));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// The console socket of VM `name`; when there is none, whether the VM runs says why.
Result<UniqueFd> connect_console(const std::string& name, const std::optional<std::string>& runtime_dir) {
  VMFORGE_TRY(auto state, supervisor::resolve_state_dir(name, runtime_dir));
  auto fd = qmp::connect_unix(state.console_socket());
  if (fd || (fd.error().errno_value != ENOENT && fd.error().errno_value != ECONNREFUSED)) return fd;
  VMFORGE_TRY(auto control, connect_vm(name, runtime_dir));
  (void)control;
  return unexpected(Error(fmt::format("VM '{}' has no console: give one [[serial]] of its manifest backend = "
                                      "\"console\" (a restart applies it).",
                                      name),
                          ENOENT));
}

enum class Ended { detached, closed, signal };

// Relays until the escape key, the end of input, the console's end or a signal.
Result<Ended> relay(int console, int signals) {
  char buf[4096];
  for (;;) {
    pollfd fds[] = {{STDIN_FILENO, POLLIN, 0}, {console, POLLIN, 0}, {signals, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return unexpected(errno_error("Failed to wait for the console"));
    }
    if (fds[2].revents) return Ended::signal;
    if (fds[1].revents) {
      ssize_t n = ::read(console, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Ended::closed;
      VMFORGE_TRY_VOID(write_all(STDOUT_FILENO, std::string_view(buf, static_cast<std::size_t>(n))));
    }
    if (fds[0].revents) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Ended::detached;
      std::string_view input(buf, static_cast<std::size_t>(n));
      std::size_t escape = input.find(kEscape);
      VMFORGE_TRY_VOID(write_all(console, input.substr(0, escape)));
      if (escape != std::string_view::npos) return Ended::detached;
    }
  }
}

}  // namespace

int cmd_console(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1, {{"help"}, kRuntimeDirOption});
  if (!args) return usage_error("console", args.error().message);
  if (args->has("help")) {
    fmt::print("{}{}  --help             show this help\n", kHelp, kRuntimeDirHelp);
    return 0;
  }
  if (args->positionals().size() != 1) return usage_error("console", "expects exactly one VM NAME");
  const std::string& name = args->positionals().front();
  auto console = connect_console(name, args->value("runtime-dir"));
  if (!console) {
    fmt::print(stderr, "vmforge console: {}\n", console.error().message);
    return 1;
  }
  // Signals end the session through the loop, so the terminal is restored whatever ends it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&stop_signals, s);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  UniqueFd signals(signalfd(-1, &stop_signals, SFD_CLOEXEC));
  if (!signals) {
    fmt::print(stderr, "vmforge console: {}\n", errno_error("Failed to watch signals").message);
    return 1;
  }
  Result<Ended> ended = Ended::closed;
  {
    RawTerminal terminal(STDIN_FILENO);
    // In raw mode a newline no longer returns the carriage.
    const char* eol = terminal.active() ? "\r\n" : "\n";
    fmt::print(stderr, "Connected to the console of VM '{}'.{}Escape character is ^] (Ctrl + ]).{}", name, eol, eol);
    ended = relay(console->get(), signals.get());
  }
  if (!ended) {
    fmt::print(stderr, "\nvmforge console: {}\n", ended.error().message);
    return 1;
  }
  switch (*ended) {
    case Ended::detached: fmt::print(stderr, "\nDetached from the console of VM '{}'.\n", name); break;
    case Ended::closed:
      fmt::print(stderr, "\nThe console of VM '{}' closed (the VM stopped, or another console attached).\n", name);
      break;
    case Ended::signal: fmt::print(stderr, "\nDetached from the console of VM '{}' (signal).\n", name); break;
  }
  return 0;
}

}  // namespace vmforge::cli
