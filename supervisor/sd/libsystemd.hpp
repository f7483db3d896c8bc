// libsystemd, opened with dlopen() when the first event loop is made or the journal or the
// notify socket is first written, not at exec: compile, check and plan never load it and the
// seven libraries it depends on, and `run` loads it while QEMU starts. The only file that
// includes systemd's headers; the files of supervisor/sd/ call libsystemd through it.
#pragma once

// Every message would carry CODE_FILE=log.cpp: the location says nothing.
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>

#include "compiler/base/result.hpp"
#include "compiler/base/shared_library.hpp"

namespace vmforge::sd {

#define VMFORGE_LIBSYSTEMD_FUNCTIONS(X)    \
  X(sd_event_new)                          \
  X(sd_event_default)                      \
  X(sd_event_unref)                        \
  X(sd_event_loop)                         \
  X(sd_event_run)                          \
  X(sd_event_exit)                         \
  X(sd_event_get_state)                    \
  X(sd_event_now)                          \
  X(sd_event_add_io)                       \
  X(sd_event_add_time)                     \
  X(sd_event_add_defer)                    \
  X(sd_event_add_signal)                   \
  X(sd_event_add_child_pidfd)              \
  X(sd_event_source_disable_unref)         \
  X(sd_event_source_get_event)             \
  X(sd_event_source_get_description)       \
  X(sd_event_source_set_description)       \
  X(sd_event_source_set_enabled)           \
  X(sd_event_source_set_io_events)         \
  X(sd_event_source_set_time)              \
  X(sd_event_source_set_child_pidfd_own)   \
  X(sd_journal_sendv)                      \
  X(sd_notify)                             \
  X(sd_pid_get_unit)                       \
  X(sd_pid_get_user_unit)                  \
  X(sd_watchdog_enabled)

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
