// release_free_memory through glibc's malloc_trim and madvise on the stack below the caller.
#include "supervisor/core/free_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace vmforge::supervisor {

namespace {

// Below the caller's frame this much stays the process's: what an idle supervisor's handlers
// (a status request, a QMP event) use, so that they do not fault pages in each time.
constexpr std::uintptr_t kKeptStack = 8 * 1024;
// How far below that the pages go back: the deepest the stack goes (start-up's, or a plan's,
// manifest validation and diff: 36-40 KiB), with room to spare.
constexpr std::uintptr_t kReleasedStack = 256 * 1024;

void release_stack_below_caller() {
  // The main thread's stack has a guard gap of 1 MiB below it that nothing is mapped in (the
  // kernel's stack_guard_gap); a thread's stack may have another mapping right below it.
  if (gettid() != getpid()) return;
  const volatile char marker = 0;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(&marker) - kKeptStack) & ~(page - 1);
  // Below the stack pointer the memory is dead (the ABI's red zone is 128 bytes): a later
  // call that reaches it gets zeroed pages. The part of the range below the stack's mapping
  // makes madvise fail with ENOMEM after it released the rest.
  (void)madvise(reinterpret_cast<void*>(end - kReleasedStack), kReleasedStack, MADV_DONTNEED);
}

}  // namespace

void release_free_memory() {
  // 0: keep no pad at the heap's top; glibc also returns whole free pages inside the heap.
  malloc_trim(0);
  release_stack_below_caller();
}

}  // namespace vmforge::supervisor
