// qmp_bench: vmforge's QMP client in the QMP benchmark (see run_qmp_bench.py).
//
//   qmp_bench SOCKET serial N       N query-status round trips on a BlockingClient
//   qmp_bench SOCKET pipelined N    N query-status issued at once on the async Client
//   qmp_bench SOCKET hotplug DIR K  K disks (DIR/d<i>.img on root ports rp1..rpK): K blockdev-add
//                                   and K device_add, pipelined
//
// Prints one JSON object: {"client":"vmforge","mode":…,"n":…,"seconds":…,"p50_us":…,"p99_us":…}.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "supervisor/qmp/operations.hpp"

using namespace vmforge;
using namespace vmforge::qmp;

namespace {

double now() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int fail(const Error& e) {
  fmt::print(stderr, "qmp_bench: {}\n", e.message);
  return 1;
}

// Sends every command at once and runs the loop until all replies are in.
Result<void> pipeline(BlockingClient& client, const std::vector<QmpCall>& commands) {
  std::size_t done = 0;
  std::optional<Error> failed;
  for (const QmpCall& c : commands) {
    VMFORGE_TRY_VOID(client.async().execute(c, std::chrono::seconds(60), [&](Result<JsonValue> r) {
      ++done;
      if (!r && !failed) failed = r.error();
    }));
  }
  VMFORGE_TRY(bool all, client.pump([&] { return done == commands.size(); }, std::chrono::seconds(120)));
  if (failed) return unexpected(*failed);
  if (!all) return unexpected(Error("Timed out waiting for the pipelined replies", ETIMEDOUT));
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "usage: qmp_bench SOCKET serial|pipelined N | SOCKET hotplug DIR K\n");
    return 2;
  }
  std::string mode = argv[2];
  auto client = BlockingClient::connect(argv[1]);
  if (!client) return fail(client.error());
  double p50 = 0, p99 = 0, start = now();
  long n = 0;
  if (mode == "serial") {
    n = std::atol(argv[3]);
    std::vector<double> latency;
    latency.reserve(static_cast<std::size_t>(n));
    start = now();
    for (long i = 0; i < n; ++i) {
      double t = now();
      auto status = query_status(*client);
      if (!status) return fail(status.error());
      latency.push_back(now() - t);
    }
    std::sort(latency.begin(), latency.end());
    p50 = latency[latency.size() / 2] * 1e6;
    p99 = latency[latency.size() * 99 / 100] * 1e6;
  } else if (mode == "pipelined") {
    n = std::atol(argv[3]);
    std::vector<QmpCall> commands(static_cast<std::size_t>(n), query_status());
    start = now();
    if (auto r = pipeline(*client, commands); !r) return fail(r.error());
  } else if (mode == "hotplug" && argc == 5) {
    int disks = std::atoi(argv[4]);
    std::vector<QmpCall> commands;
    for (int i = 0; i < disks; ++i) {
      std::string node = fmt::format("d{}.fmt", i);
      // The nested node the other clients send (one blockdev-add per disk, as they do).
      std::string file =
          Arguments().set("driver", "file").set("filename", fmt::format("{}/d{}.img", argv[3], i)).take();
      commands.push_back(
          {"blockdev-add", Arguments().set("driver", "raw").set("node-name", node).set_json("file", file).take()});
      BlockDeviceAdd disk;
      disk.id = fmt::format("d{}", i);
      disk.drive = node;
      disk.placement.bus = fmt::format("rp{}", i + 1);
      commands.push_back(device_add(disk));
    }
    n = static_cast<long>(commands.size());
    start = now();
    if (auto r = pipeline(*client, commands); !r) return fail(r.error());
  } else {
    fmt::print(stderr, "qmp_bench: unknown mode '{}'\n", mode);
    return 2;
  }
  double seconds = now() - start;
  fmt::print(
      "{{\"client\":\"vmforge\",\"mode\":\"{}\",\"n\":{},\"seconds\":{:.6f},\"p50_us\":{:.1f},\"p99_us\":{:.1f}}}\n",
      mode, n, seconds, p50, p99);
  return 0;
}
