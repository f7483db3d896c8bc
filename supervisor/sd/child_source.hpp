// add_child_pidfd: our child's exit delivered through the event loop, by pidfd, in the style of
// add_io/add_time (event_source.hpp).
#pragma once

#include <signal.h>

#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/sd/event_source.hpp"
#include "supervisor/sd/trampoline.hpp"

namespace vmforge::sd {
namespace detail {

using ChildCallback = int (*)(sd_event_source*, const siginfo_t*, void*);

Result<EventSource> add_child_pidfd(sd_event* event, UniqueFd pidfd, ChildCallback callback, void* userdata,
                                    std::string_view description);

}  // namespace detail

/// Watches our child through `pidfd` (owned by the source from now on) and calls
/// `self->*Method(const siginfo_t*)` when it exits; sd-event reaps it after the call.
/// SIGCHLD must be blocked before the loop is created (sd-event answers EBUSY otherwise).
template <auto Method, class Self>
Result<EventSource> add_child_pidfd(sd_event* event, UniqueFd pidfd, Self* self, std::string_view description) {
  return detail::add_child_pidfd(event, std::move(pidfd), &Trampoline<Method>::call, self, description);
}

}  // namespace vmforge::sd
