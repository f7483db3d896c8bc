// release_free_memory: the heap's free pages and the unused stack handed back to the kernel.
#pragma once

namespace vmforge::supervisor {

/// A supervisor lives as long as its VM, idle nearly all the time, one per VM: glibc keeps the
/// pages a burst of work freed (below its 128 KiB trim threshold, or between live chunks) as
/// the process's own memory, and the stack keeps the pages its deepest call reached. Called
/// when such a burst ends (start-up, the last control client gone), this gives both back (on
/// the main thread: the stack below the caller's frame but for a few KiB); using them again
/// costs page faults, not correctness.
void release_free_memory();

}  // namespace vmforge::supervisor
