// add_child_pidfd over sd_event_add_child_pidfd.
#include "supervisor/sd/child_source.hpp"
#include "supervisor/sd/libsystemd.hpp"

#include <string.h>
#include <sys/wait.h>

#include <string>

#include <fmt/format.h>

namespace vmforge::sd::detail {

Result<EventSource> add_child_pidfd(sd_event* event, UniqueFd pidfd, ChildCallback callback, void* userdata,
                                    std::string_view description) {
  sd_event_source* source = nullptr;
  int r = libsystemd().sd_event_add_child_pidfd(event, &source, pidfd.get(), WEXITED, callback, userdata);
  if (r < 0) {
    return unexpected(Error(fmt::format("Failed to watch child process '{}': {}{}", description, strerror(-r),
                                        r == -EBUSY ? " (SIGCHLD must be blocked before the loop is created)" : ""),
                            -r));
  }
  EventSource owned{EventSourcePtr(source)};
  (void)libsystemd().sd_event_source_set_child_pidfd_own(source, 1);
  (void)pidfd.release();
  (void)libsystemd().sd_event_source_set_description(source, std::string(description).c_str());
  return owned;
}

}  // namespace vmforge::sd::detail
