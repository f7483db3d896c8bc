// QemuLogFollower: QEMU's stderr goes to qemu.log (QEMU writes it directly, so it survives the
// supervisor); this follows the file with inotify and hands each new line to a sink (the
// journal), so that a KVM internal-error dump or a warning also reaches `journalctl -u`.
// No timer: an idle QEMU costs no wake-up.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

class QemuLogFollower {
 public:
  using Sink = std::function<void(std::string_view line)>;
  /// A line longer than this is handed over in pieces of this size.
  static constexpr std::size_t kMaxLine = 4096;

  /// Follows `path` from byte `from` (0 for a QEMU just started; the end for an adopted one,
  /// whose earlier output a previous supervisor already handed over).
  static Result<std::unique_ptr<QemuLogFollower>> start(sd_event* event, const std::string& path, off_t from,
                                                        Sink sink);

 private:
  QemuLogFollower(UniqueFd log, UniqueFd inotify, Sink sink)
      : log_(std::move(log)), inotify_(std::move(inotify)), sink_(std::move(sink)) {}
  Result<void> on_change(int fd, std::uint32_t revents);
  void read_new_bytes();
  /// `line` to the sink, in pieces of at most kMaxLine; an empty line is not handed over.
  void hand_over(std::string_view line);

  UniqueFd log_;
  UniqueFd inotify_;
  Sink sink_;
  sd::EventSource source_;
  std::string pending_;  // the start of a line QEMU has not finished yet
};

}  // namespace vmforge::supervisor
