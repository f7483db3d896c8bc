#include "supervisor/core/startup_scheduling.hpp"

#include "supervisor/launch/process_stat.hpp"

namespace vmforge::supervisor {

OffQemusCpu::OffQemusCpu(pid_t qemu) {
  int here = sched_getcpu();
  if (here < 0 || launch::last_cpu(qemu) != here) return;
  if (sched_getaffinity(0, sizeof allowed_, &allowed_) != 0 || CPU_COUNT(&allowed_) < 2) return;
  cpu_set_t elsewhere = allowed_;
  CPU_CLR(here, &elsewhere);
  moved_ = sched_setaffinity(0, sizeof elsewhere, &elsewhere) == 0;
}

OffQemusCpu::~OffQemusCpu() {
  if (moved_) sched_setaffinity(0, sizeof allowed_, &allowed_);
}

}  // namespace vmforge::supervisor
