// The supervisor's CPU while QEMU starts: not QEMU's.
#pragma once

#include <sched.h>
#include <sys/types.h>

namespace vmforge::supervisor {

/// Made right after QEMU's spawn: when the calling thread is on the CPU QEMU last ran on, for
/// its lifetime it may run on every CPU it could before but that one, then gets them back.
/// The supervisor wakes when QEMU's child (a vfork) execs, often on that child's CPU, and as
/// it loads libsystemd and makes its loop (~1 ms) it would take that CPU from QEMU's start
/// while another sat idle: the scheduler spreads the two only at a later tick. Nothing changes
/// with a single allowed CPU, or when the two are apart already.
class OffQemusCpu {
 public:
  explicit OffQemusCpu(pid_t qemu);
  ~OffQemusCpu();
  OffQemusCpu(const OffQemusCpu&) = delete;
  OffQemusCpu& operator=(const OffQemusCpu&) = delete;

 private:
  cpu_set_t allowed_{};
  bool moved_ = false;
};

}  // namespace vmforge::supervisor
