// run_vmforge(): the program spawned with launch::spawn, its output captured.
#include "tests/support/vmforge_cli.hpp"

#include <cstdlib>

#include <catch2/catch.hpp>

#include "supervisor/launch/process.hpp"

namespace vmforge::test {

std::string vmforge_binary() {
  const char* binary = std::getenv("VMFORGE_BINARY");
  if (binary == nullptr) FAIL("VMFORGE_BINARY is not set: run the test through meson");
  return binary;
}

CliResult run_vmforge(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  launch::SpawnOptions options;
  options.argv = {vmforge_binary()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.capture_stdout = true;
  auto process = launch::spawn(options);
  if (!process) FAIL(process.error().message);
  auto status = process->wait(timeout);
  if (!status) FAIL(status.error().message);
  return {status->signaled ? -1 : status->value, process->stdout_text(), process->stderr_text()};
}

}  // namespace vmforge::test
