#include "supervisor/core/qemu_log_follower.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"

namespace vmforge::supervisor {

Result<std::unique_ptr<QemuLogFollower>> QemuLogFollower::start(sd_event* event, const std::string& path, off_t from,
                                                                Sink sink) {
  UniqueFd log(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!log) return unexpected(errno_error(fmt::format("Failed to open '{}' to follow QEMU's output", path)));
  if (lseek(log.get(), from, SEEK_SET) < 0) return unexpected(errno_error(fmt::format("Failed to seek in '{}'", path)));
  UniqueFd inotify(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify) return unexpected(errno_error("Failed to create an inotify instance"));
  if (inotify_add_watch(inotify.get(), path.c_str(), IN_MODIFY) < 0) {
    return unexpected(errno_error(fmt::format("Failed to watch '{}'", path)));
  }
  std::unique_ptr<QemuLogFollower> follower(new QemuLogFollower(std::move(log), std::move(inotify), std::move(sink)));
  VMFORGE_TRY(follower->source_, sd::add_io<&QemuLogFollower::on_change>(event, follower->inotify_.get(), EPOLLIN,
                                                                         follower.get(), "qemu-log"));
  // What QEMU wrote before the watch existed.
  follower->read_new_bytes();
  return follower;
}

Result<void> QemuLogFollower::on_change(int fd, std::uint32_t) {
  // The events say only "modified": drain them, then read whatever is new.
  alignas(inotify_event) std::array<char, 4096> events;
  while (read(fd, events.data(), events.size()) > 0) {
  }
  read_new_bytes();
  return {};
}

void QemuLogFollower::hand_over(std::string_view line) {
  while (!line.empty()) {
    sink_(line.substr(0, kMaxLine));
    line.remove_prefix(std::min(line.size(), kMaxLine));
  }
}

void QemuLogFollower::read_new_bytes() {
  // A QEMU started again truncates the file: start over from its beginning.
  struct stat st {};
  const off_t at = lseek(log_.get(), 0, SEEK_CUR);
  if (fstat(log_.get(), &st) == 0 && at > st.st_size) {
    lseek(log_.get(), 0, SEEK_SET);
    pending_.clear();
  }
  std::array<char, 16384> chunk;
  ssize_t n = 0;
  while ((n = read(log_.get(), chunk.data(), chunk.size())) > 0) {
    pending_.append(chunk.data(), static_cast<std::size_t>(n));
    std::size_t begin = 0;
    for (std::size_t end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n', begin)) {
      hand_over(std::string_view(pending_).substr(begin, end - begin));
      begin = end + 1;
    }
    pending_.erase(0, begin);
    const std::size_t whole = pending_.size() - pending_.size() % kMaxLine;
    hand_over(std::string_view(pending_).substr(0, whole));
    pending_.erase(0, whole);
  }
}

}  // namespace vmforge::supervisor
