// Finding the QEMU an earlier supervisor left running.
#include "supervisor/core/live_qemu.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "supervisor/core/pidfile.hpp"
#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/sd/log.hpp"
#include "supervisor/sd/process_watch.hpp"

namespace vmforge::supervisor {
namespace {

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A recycled PID must not be mistaken for our QEMU: its executable must have QEMU's name.
bool runs_program(pid_t pid, std::string_view program) {
  char exe[4096];
  ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), exe, sizeof exe - 1);
  if (n <= 0) return false;
  std::string_view path(exe, static_cast<size_t>(n));
  if (path.ends_with(" (deleted)")) path.remove_suffix(std::strlen(" (deleted)"));  // QEMU upgraded meanwhile
  return basename_of(path) == basename_of(program);
}

}  // namespace

Result<std::optional<LiveQemu>> find_live_qemu(const StateDir& state, std::string_view vm_name,
                                               std::string_view qemu_binary) {
  auto pid = read_pidfile(state.qemu_pidfile());
  if (!pid) {
    if (pid.error().errno_value == ENOENT) return std::optional<LiveQemu>();
    sd::log_warning("{} Removing it.", pid.error().message);
    (void)unlink(state.qemu_pidfile().c_str());
    return std::optional<LiveQemu>();
  }
  auto pidfd = sd::open_pidfd(*pid);
  if (!pidfd || !runs_program(*pid, qemu_binary)) {
    sd::log_info("QEMU (PID {}) of an earlier run is gone; removing its leftovers.", *pid);
    (void)unlink(state.qemu_pidfile().c_str());
    (void)unlink(state.qmp_socket().c_str());
    return std::optional<LiveQemu>();
  }
  auto qmp = qmp::connect_unix(state.qmp_socket());
  if (!qmp) {
    return unexpected(
        Error(fmt::format("QEMU (PID {}) of VM '{}' is still running but does not answer on '{}' ({}); "
                          "refusing to start a second QEMU. Stop it with 'kill {}'.",
                          *pid, vm_name, state.qmp_socket(), std::strerror(qmp.error().errno_value), *pid),
              EBUSY));
  }
  return std::optional<LiveQemu>(LiveQemu{*pid, std::move(*pidfd), std::move(*qmp)});
}

}  // namespace vmforge::supervisor
