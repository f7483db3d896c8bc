// libsystemd, opened with dlopen() when the first event loop is made, the journal or the
// notify socket is first written, or a bus is first used, not at exec: compile, check and plan never load it and the
// seven libraries it depends on, and `run` loads it while QEMU starts. The only file that
// includes systemd's headers; the files of supervisor/sd/ call libsystemd through it.
#pragma once

// Every message would carry CODE_FILE=log.cpp: the location says nothing.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>

#include "compiler/base/result.hpp"
#include "compiler/base/shared_library.hpp"

namespace vmforge::sd {

#define VMFORGE_LIBSYSTEMD_FUNCTIONS(X)  \
  X(sd_event_new)                        \
  X(sd_event_default)                    \
  X(sd_event_unref)                      \
  X(sd_event_loop)                       \
  X(sd_event_run)                        \
  X(sd_event_exit)                       \
  X(sd_event_get_state)                  \
  X(sd_event_now)                        \
  X(sd_event_add_io)                     \
  X(sd_event_add_time)                   \
  X(sd_event_add_defer)                  \
  X(sd_event_add_signal)                 \
  X(sd_event_add_child_pidfd)            \
  X(sd_event_source_disable_unref)       \
  X(sd_event_source_get_event)           \
  X(sd_event_source_get_description)     \
  X(sd_event_source_set_description)     \
  X(sd_event_source_set_enabled)         \
  X(sd_event_source_set_io_events)       \
  X(sd_event_source_set_time)            \
  X(sd_event_source_set_time_accuracy)   \
  X(sd_event_source_set_child_pidfd_own) \
  X(sd_journal_sendv)                    \
  X(sd_notify)                           \
  X(sd_pid_get_unit)                     \
  X(sd_pid_get_user_unit)                \
  X(sd_watchdog_enabled)                 \
  X(sd_bus_new)                          \
  X(sd_bus_set_address)                  \
  X(sd_bus_start)                        \
  X(sd_bus_open_system)                  \
  X(sd_bus_open_user)                    \
  X(sd_bus_flush_close_unref)            \
  X(sd_bus_call_method)                  \
  X(sd_bus_get_property_string)          \
  X(sd_bus_match_signal)                 \
  X(sd_bus_slot_unref)                   \
  X(sd_bus_process)                      \
  X(sd_bus_wait)                         \
  X(sd_bus_message_read)                 \
  X(sd_bus_message_enter_container)      \
  X(sd_bus_message_exit_container)       \
  X(sd_bus_message_unref)                \
  X(sd_bus_error_free)                   \
  X(sd_bus_error_has_name)

/// The libsystemd functions vmforge calls, bound by name from libsystemd.so.0.
struct Libsystemd {
  SharedLibrary library;
  VMFORGE_LIBSYSTEMD_FUNCTIONS(VMFORGE_DL_FUNCTION)
};

/// Opens and binds libsystemd.so.0 on the first call; later calls return the same outcome.
Result<const Libsystemd*> load_libsystemd();

/// libsystemd, for code that holds an sd_event or an event source: those exist only once
/// load_libsystemd() succeeded.
const Libsystemd& libsystemd();

}  // namespace vmforge::sd
