// Method calls over sd-bus with the error owned and worded, for the files of supervisor/sd/
// that talk to D-Bus services (unit_manager.cpp, machined.cpp). Includes libsystemd.hpp: not
// for use outside supervisor/sd/.
#pragma once

#include <string_view>

#include "compiler/base/result.hpp"
#include "supervisor/sd/bus.hpp"
#include "supervisor/sd/libsystemd.hpp"

namespace vmforge::sd {

/// An sd_bus_error that frees itself.
struct BusError {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  BusError() = default;
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  ~BusError() { libsystemd().sd_bus_error_free(&error); }
};

/// A failed call's message, "Failed to <what>: <D-Bus error message>", and its errno.
Error bus_call_error(std::string_view what, int r, const BusError& error);

/// Calls `member` with `types` and `args` (sd_bus_message_append's), returns the reply.
/// `what` says what the call does, for the error ("start 'web.service'").
template <class... Args>
Result<BusMessagePtr> call_method(sd_bus* bus, const char* destination, const char* path, const char* interface,
                                  const char* member, std::string_view what, const char* types, Args... args) {
  BusError error;
  sd_bus_message* reply = nullptr;
  int r =
      libsystemd().sd_bus_call_method(bus, destination, path, interface, member, &error.error, &reply, types, args...);
  if (r < 0) return unexpected(bus_call_error(what, r, error));
  return BusMessagePtr(reply);
}

/// A failure to parse a reply: "Failed to parse the reply to <what>: <errno text>".
Error bus_parse_error(std::string_view what, int r);

}  // namespace vmforge::sd
