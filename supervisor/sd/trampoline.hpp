// sd_trampoline: the one way a C callback from sd-event enters C++. It turns `userdata` back
// into the object, calls a member returning Result<void>, catches everything, and turns a
// failure into sd_event_exit() so the loop's owner sees it (EventLoop::run returns it).
#pragma once

#include <exception>
#include <string_view>

#include "compiler/base/result.hpp"

struct sd_event_source;

namespace vmforge::sd {
namespace detail {

/// Records "<source description>: <message>" for the source's loop, asks the loop to exit with
/// -errno (EPROTO when errno_value is 0), and returns the negative errno so sd-event also
/// disables the source.
int callback_failed(sd_event_source* source, std::string_view message, int errno_value) noexcept;

}  // namespace detail

template <auto Method>
struct Trampoline;

/// For `Result<void> Self::method(Args...)`, `Trampoline<&Self::method>::call` has the C
/// signature sd-event wants: `int (sd_event_source*, Args..., void* userdata)`.
template <class Self, class... Args, Result<void> (Self::*Method)(Args...)>
struct Trampoline<Method> {
  static int call(sd_event_source* source, Args... args, void* userdata) noexcept {
    try {
      Result<void> result = (static_cast<Self*>(userdata)->*Method)(args...);
      if (result) return 0;
      return detail::callback_failed(source, result.error().message, result.error().errno_value);
    } catch (const std::exception& e) {
      return detail::callback_failed(source, e.what(), 0);
    } catch (...) {
      return detail::callback_failed(source, "unknown exception", 0);
    }
  }
};

}  // namespace vmforge::sd
