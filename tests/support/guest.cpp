// The test guest: $VMFORGE_GUEST_DIR lookup, boot arguments, QEMU with QMP on fd 3.
#include "tests/support/guest.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "supervisor/launch/listen_unix.hpp"

namespace vmforge::test {

Result<GuestImage> find_guest() {
  const char* dir = getenv("VMFORGE_GUEST_DIR");
  if (dir == nullptr || *dir == '\0')
    return unexpected(Error("VMFORGE_GUEST_DIR is not set; run the tests with 'meson test', or "
                            "set it to a directory built by 'guest/build.sh DIR'",
                            ENOENT));
  GuestImage guest{fmt::format("{}/vmlinuz", dir), fmt::format("{}/initrd.img", dir)};
  for (const std::string* file : {&guest.kernel, &guest.initrd})
    if (access(file->c_str(), R_OK) != 0)
      return unexpected(Error(fmt::format("The test guest is missing ('{}'); build it with "
                                          "'guest/build.sh {}'",
                                          *file, dir),
                              ENOENT));
  return guest;
}

std::string guest_cmdline(const std::string& machine) {
  std::string cmdline = kGuestCmdline;
  if (machine.rfind("microvm", 0) != 0) return cmdline;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    double mhz = std::strtod(line.c_str() + line.find(':') + 1, nullptr);
    if (mhz > 0) cmdline += fmt::format(" tsc_early_khz={}", static_cast<long>(mhz * 1000));
    break;
  }
  return cmdline;
}

std::vector<std::string> guest_boot_args(const GuestImage& guest, const std::string& machine,
                                         const std::string& serial_log) {
  return {"-kernel", guest.kernel,         "-initrd",   guest.initrd, "-append", guest_cmdline(machine),
          "-serial", "file:" + serial_log, "-no-reboot"};
}

launch::SpawnOptions qemu_with_qmp_fd3(int listen_fd, std::vector<std::string> args) {
  launch::SpawnOptions spawn;
  spawn.argv = {"qemu-system-x86_64", "-nodefaults", "-display", "none", "-accel", "tcg"};
  spawn.argv.insert(spawn.argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  spawn.argv.insert(spawn.argv.end(), {"-chardev", "socket,id=vmforge-qmp,fd=3,server=on,wait=off", "-mon",
                                       "chardev=vmforge-qmp,mode=control"});
  spawn.fds = {{listen_fd, 3}};
  return spawn;
}

Result<GuestVm> start_guest(const TempDir& dir, const GuestVmOptions& options) {
  VMFORGE_TRY(GuestImage guest, find_guest());
  std::string qmp_socket = dir.file("qmp.sock");
  std::string serial_log = dir.file("serial.log");
  VMFORGE_TRY(UniqueFd listener, launch::listen_unix(qmp_socket));

  std::vector<std::string> args = {"-machine", options.machine, "-m", options.memory};
  for (std::string& arg : guest_boot_args(guest, options.machine, serial_log)) args.push_back(std::move(arg));
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  launch::SpawnOptions spawn = qemu_with_qmp_fd3(listener.get(), std::move(args));
  spawn.stderr_file = dir.file("qemu.stderr");
  VMFORGE_TRY(launch::Process qemu, launch::spawn(spawn));
  return GuestVm{std::move(qemu), std::move(qmp_socket), serial_log, SerialReport(serial_log)};
}

}  // namespace vmforge::test
