// Spawning QEMU paused with its QMP socket, before the supervisor's loop exists.
#include "supervisor/core/qemu_spawn.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "compiler/lower/lower.hpp"
#include "supervisor/core/host_check.hpp"
#include "supervisor/core/qemu_environment.hpp"
#include "supervisor/core/qemu_access.hpp"
#include "supervisor/launch/listen_unix.hpp"

namespace vmforge::supervisor {
namespace {

// The fds the manifest says vmforge inherits (tap fds, an incoming migration fd): QEMU's argv
// names them by number, so they keep their numbers.
std::vector<launch::FdMapping> inherited_fds(const Vm& vm) {
  std::vector<launch::FdMapping> fds;
  for (const Net& net : vm.nets) {
    for (int fd : net.fds) fds.push_back({fd, fd});
    for (int fd : net.vhost_fds) fds.push_back({fd, fd});
  }
  if (vm.incoming && vm.incoming->fd >= 0) fds.push_back({vm.incoming->fd, vm.incoming->fd});
  for (const Vsock& vsock : vm.vsocks) {
    if (vsock.vhost_fd) fds.push_back({*vsock.vhost_fd, *vsock.vhost_fd});
  }
  return fds;
}

// An fd the manifest names must be one vmforge inherited: not open means nobody passed it,
// and close-on-exec means it is one of vmforge's own (every fd it opens is; an inherited one
// survived an exec, so is not): QEMU would get vmforge's log or lock in its place.
Result<void> check_inherited_fds(const std::vector<launch::FdMapping>& fds) {
  for (const launch::FdMapping& fd : fds) {
    int flags = fcntl(fd.parent_fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) continue;
    return unexpected(Error(fmt::format("The manifest passes fd {} to QEMU, but vmforge did not inherit an open fd {}: "
                                        "start vmforge with it open (e.g. 'vmforge run FILE {}<>/dev/net/tun' in a "
                                        "shell), or remove it from the manifest.",
                                        fd.parent_fd, fd.parent_fd, fd.parent_fd),
                            EBADF));
  }
  return {};
}

}  // namespace

Result<launch::Process> spawn_paused_qemu(const Vm& vm, const Plan& plan, const StateDir& state,
                                          std::optional<launch::FdMapping> seed) {
  // QEMU aborts without /dev/vhost-net, and its "group N is not viable" says less than the check.
  VMFORGE_TRY_VOID(check_host_needs(host_needs(vm)));
  std::vector<launch::FdMapping> inherited = inherited_fds(vm);
  VMFORGE_TRY_VOID(check_inherited_fds(inherited));
  launch::SpawnOptions options;
  VMFORGE_TRY(options.credentials, qemu_credentials(vm, geteuid()));
  // Opened here, as the supervisor's user: QEMU's may not be allowed to.
  std::vector<UniqueFd> files;
  for (const HostFile& f : plan.files) {
    VMFORGE_TRY(UniqueFd fd, open_for_qemu(f.file));
    files.push_back(std::move(fd));
  }
  VMFORGE_TRY(UniqueFd listen_fd, launch::listen_unix(state.qmp_socket()));
  UniqueFd console_fd;
  if (auto fd = console_listen_fd(vm)) {
    VMFORGE_TRY(console_fd, launch::listen_unix(state.serial_socket()));
    options.fds.push_back({console_fd.get(), *fd});
  }
  options.argv.push_back(plan.qemu_binary);
  options.argv.insert(options.argv.end(), plan.argv.begin(), plan.argv.end());
  options.fds.push_back({listen_fd.get(), kQmpListenFd});
  options.fds.insert(options.fds.end(), inherited.begin(), inherited.end());
  if (seed) options.fds.push_back(*seed);
  for (std::size_t i = 0; i < files.size(); ++i) options.fds.push_back({files[i].get(), plan.files[i].fd});
  options.stderr_file = state.qemu_log();
  options.env = qemu_environment(getenv("GLIBC_TUNABLES"));
  // QEMU reaches what we made for it (QMP socket, log, seed) through these fds alone: the state
  // directory stays ours (0700) whoever QEMU runs as.
  auto spawned = launch::spawn(options);
  if (!spawned && options.credentials && spawned.error().errno_value == EPERM) {
    return unexpected(Error(spawned.error().message +
                                ". Switching QEMU to another user ([qemu] 'user', or 'uid' and 'gid') needs root: "
                                "run vmforge as root, or remove those keys.",
                            EPERM));
  }
  return spawned;
}

}  // namespace vmforge::supervisor
