// ConsoleRelay: the supervisor's end of the VM's console, the [[serial]] whose backend is
// 'console'. QEMU serves that port on <state dir>/serial.sock and the relay is its one client:
// every byte the guest prints is appended to console.log (0600) and kept in a ring of the last
// kRecent bytes, so nothing is lost while nobody watches. `vmforge console` connects to
// console.sock (0600), gets the ring, then the live output, and what it sends goes to the
// guest. One client at a time: a new one takes over and the old one is told so and closed.
// Memory stays bounded and the loop never blocks: a client that does not read is dropped once
// kMaxBacklog is queued for it (console.log keeps everything), and while the guest's side does
// not take input the relay stops reading from the client.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compiler/base/result.hpp"
#include "compiler/base/unique_fd.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/sd/event_source.hpp"

namespace vmforge::supervisor {

class ConsoleRelay {
 public:
  /// Output shown to a client when it attaches.
  static constexpr std::size_t kRecent = 16 * 1024;
  /// Output queued for a slow client before it is dropped.
  static constexpr std::size_t kMaxBacklog = 64 * 1024;
  /// How long accepting pauses when the process is out of fds (or memory).
  static constexpr std::chrono::milliseconds kAcceptPause{1000};

  /// Opens console.log (appended to: a restart or an adopting supervisor keeps what was there)
  /// and listens on console.sock.
  static Result<std::unique_ptr<ConsoleRelay>> start(sd_event* event, const StateDir& state);
  ~ConsoleRelay();
  ConsoleRelay(const ConsoleRelay&) = delete;
  ConsoleRelay& operator=(const ConsoleRelay&) = delete;

  /// Relays `serial` (connected to QEMU's serial.sock) from now on, in place of the connection
  /// to an earlier QEMU (after a restart).
  Result<void> attach_qemu(UniqueFd serial);

 private:
  ConsoleRelay(sd_event* event, std::string log_path, UniqueFd log, UniqueFd listen)
      : event_(event), log_path_(std::move(log_path)), log_(std::move(log)), listen_(std::move(listen)) {}
  Result<void> on_accept(int fd, std::uint32_t revents);
  Result<void> on_accept_pause(std::uint64_t usec);
  Result<void> on_qemu(int fd, std::uint32_t revents);
  Result<void> on_client(int fd, std::uint32_t revents);
  void from_guest(std::string_view bytes);
  void to_client(std::string_view bytes);
  void flush_client();
  void flush_guest();
  void read_client();
  void drop_client();
  void drop_qemu();
  void watch_events();

  sd_event* event_;
  std::string log_path_;
  UniqueFd log_;
  bool log_failed_ = false;  // said once; the relay goes on without it
  UniqueFd listen_;
  sd::EventSource accept_io_;
  sd::EventSource accept_pause_;  // ends a pause of accepting
  UniqueFd qemu_;
  sd::EventSource qemu_io_;
  UniqueFd client_;
  sd::EventSource client_io_;
  std::string recent_;     // the guest's last output: at most 2 * kRecent, the last kRecent shown
  std::string to_client_;  // queued for the client (at most kMaxBacklog)
  std::string to_guest_;   // the client's input QEMU has not taken yet
};

}  // namespace vmforge::supervisor
