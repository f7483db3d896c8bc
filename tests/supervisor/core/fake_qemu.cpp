// fake_qemu: stands in for qemu-system-* as `[qemu] binary` where real QEMU cannot produce the
// case: a QMP peer that misbehaves before the VM is ready. It accepts on the listening socket
// QEMU gets as fd 3 and plays the script $VMFORGE_FAKE_QEMU names:
//   garbage      greets, then answers qmp_capabilities with bytes that are no JSON
//   mute         greets, then never answers
//   hangup       closes the connection before greeting, and lives on
//   asleep       accepts, never greets, sleeps (no CPU used: a QEMU waiting for a peer)
// It stays alive until signalled, as a stuck QEMU would.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/supervisor/qmp/fake_qmp_peer.hpp"

int main() {
  const char* script = std::getenv("VMFORGE_FAKE_QEMU");
  std::string_view mode = script ? script : "";
  std::fprintf(stderr, "fake_qemu: playing '%s'\n", script ? script : "");
  pollfd listening{3, POLLIN, 0};
  if (::poll(&listening, 1, -1) != 1) return 1;  // the socket may be non-blocking
  int fd = ::accept(3, nullptr, nullptr);
  if (fd < 0) return 1;
  vmforge::test::PeerIo io(fd);
  if (mode == "garbage") {
    io.greet();
    (void)io.read_command();
    io.send("this is not JSON\n");
  } else if (mode == "mute") {
    io.greet();
  } else if (mode == "hangup") {
    ::close(fd);
  }
  for (;;) pause();
}
