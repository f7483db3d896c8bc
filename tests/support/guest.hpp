// The test guest (guest/build.sh): where it is, how to boot it under QEMU, and a booted VM.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "compiler/base/result.hpp"
#include "supervisor/launch/process.hpp"
#include "tests/support/serial_report.hpp"
#include "tests/support/temp_dir.hpp"

namespace vmforge::test {

/// The kernel command line the guest is made for (guest/README.md).
inline constexpr const char* kGuestCmdline = "console=ttyS0 quiet panic=-1 memhp_default_state=online";

/// kGuestCmdline for `machine`. microvm has neither HPET nor an ACPI PM timer: when the host is
/// busy, the kernel's PIT calibration of the TSC fails and boot hangs, so it gets
/// `tsc_early_khz=` set to the host's TSC rate (TCG's guest TSC is the host's).
std::string guest_cmdline(const std::string& machine);

/// Time limits for tests: TCG boots take 2 s on an idle host, more when tests run in parallel.
inline constexpr std::chrono::seconds kGuestBootTimeout{60};
inline constexpr std::chrono::seconds kGuestReportTimeout{20};

struct GuestImage {
  std::string kernel;  // vmlinuz
  std::string initrd;  // initrd.img
};

/// The guest built into $VMFORGE_GUEST_DIR; an error says how to build it when it is missing.
Result<GuestImage> find_guest();

/// `-kernel K -initrd I -append guest_cmdline(machine) -serial file:<serial_log> -no-reboot`.
std::vector<std::string> guest_boot_args(const GuestImage& guest, const std::string& machine,
                                         const std::string& serial_log);

/// `qemu-system-x86_64 -nodefaults -display none -accel tcg`, then `args`, with the QMP monitor
/// on the listening socket `listen_fd` inherited as fd 3, as the supervisor starts QEMU.
launch::SpawnOptions qemu_with_qmp_fd3(int listen_fd, std::vector<std::string> args = {});

/// A QEMU running the test guest; killed (SIGKILL) when destroyed if still running.
struct GuestVm {
  launch::Process qemu;
  std::string qmp_socket;  // QEMU's QMP monitor, listening (created by us, inherited as fd 3)
  std::string serial_log;
  SerialReport report;
};

struct GuestVmOptions {
  std::string machine = "q35";
  std::string memory = "512M";
  /// Appended after the standard arguments: devices, -smp, -S, ...
  std::vector<std::string> extra_args;
};

/// Starts `qemu-system-x86_64 -nodefaults -display none -accel tcg` with the guest, its serial
/// log in `dir`, and a QMP monitor on a socket `dir/qmp.sock` passed as fd 3 exactly as the
/// supervisor does it. Does not wait for the guest: use report.wait_ready().
Result<GuestVm> start_guest(const TempDir& dir, const GuestVmOptions& options = {});

}  // namespace vmforge::test
