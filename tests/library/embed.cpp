// A program embedding vmforge as an outsider would: built by install_test.sh against the
// installed headers and libvmforge.a through pkg-config only. Usage: embed DEMO_MANIFEST.
// Compiles the manifest, runs a paused TCG QEMU from a compiled plan over QMP, and builds a
// NoCloud seed; prints each failed check and exits 1 if there was one.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <vmforge/cloudinit.hpp>
#include <vmforge/compiler.hpp>
#include <vmforge/launch.hpp>
#include <vmforge/qmp.hpp>

namespace {

using namespace vmforge;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

// A short directory under /tmp (unix socket paths must stay under 108 bytes), removed at exit.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/vmforge-embed.XXXXXX";
    if (mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  bool valid() const { return !path_.empty(); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Result<Plan> compile_file(const std::string& path) {
  auto vm = load_and_validate_rendered(path);
  if (!vm) return unexpected(Error(vm.error()));
  auto plan = lower(*vm);
  if (!plan) return unexpected(Error(plan.error().render(vm->source_text)));
  return std::move(*plan);
}

bool has_arg(const Plan& plan, const std::string& arg) {
  return std::find(plan.argv.begin(), plan.argv.end(), arg) != plan.argv.end();
}

void check_compile(const std::string& manifest) {
  auto plan = compile_file(manifest);
  if (!plan) return check(false, "compile '" + manifest + "': " + plan.error().message);
  check(has_arg(*plan, "-S"), "the argv of '" + manifest + "' starts QEMU paused (-S)");
  check(!plan->steps.empty(), "'" + manifest + "' has hotplug steps");
}

// The tiny manifest's plan run as `vmforge run` would: its QMP socket as fd 3, QEMU paused.
void check_qemu(const TempDir& dir) {
  const std::string manifest = dir.file("tiny.toml");
  std::ofstream(manifest) << "name = \"tiny\"\n[machine]\ntype = \"q35\"\naccel = [\"tcg\"]\n"
                             "[memory]\nsize = \"128M\"\n";
  auto plan = compile_file(manifest);
  if (!plan) return check(false, "compile the tiny manifest: " + plan.error().message);

  const std::string socket = dir.file("qmp.sock");
  auto listener = launch::listen_unix(socket);
  if (!listener) return check(false, "listen on '" + socket + "': " + listener.error().message);
  launch::SpawnOptions options;
  options.argv.push_back(plan->qemu_binary);
  options.argv.insert(options.argv.end(), plan->argv.begin(), plan->argv.end());
  options.fds.push_back({listener->get(), kQmpListenFd});
  auto qemu = launch::spawn(options);
  if (!qemu) return check(false, "spawn QEMU: " + qemu.error().message);
  // Only QEMU holds the listener now: if it dies, connecting fails instead of hanging.
  *listener = UniqueFd();

  auto client = qmp::BlockingClient::connect(socket);
  if (!client) {
    auto status = qemu->wait(std::chrono::seconds(5));
    return check(false, "connect to QMP: " + (status ? qemu->exit_error(*status) : client.error()).message);
  }
  auto status = qmp::query_status(*client);
  check(status && status->status == "prelaunch" && !status->running,
        "query_status says 'prelaunch': " + (status ? status->status : status.error().message));
  auto quit = client->execute(qmp::quit());
  check(bool(quit), "quit: " + (quit ? std::string("done") : quit.error().message));
  auto exited = qemu->wait(std::chrono::seconds(10));
  check(exited && exited->success(),
        "QEMU exits after quit: " + (exited ? exited->describe() : exited.error().message));
}

void check_seed(const TempDir& dir) {
  auto image =
      cloudinit::build_seed_image(CloudInitFormat::nocloud, {"#cloud-config\n", "instance-id: embed\n", std::nullopt});
  if (!image) return check(false, "build the seed: " + image.error().message);
  const std::string path = dir.file("seed.iso");
  std::ofstream(path, std::ios::binary) << *image;
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // ISO 9660: the primary volume descriptor at sector 16 (byte 32768) is 1, "CD001".
  check(bytes.size() > 32774 && bytes.compare(32769, 5, "CD001") == 0,
        "the seed file is an ISO 9660 image (" + std::to_string(bytes.size()) + " bytes)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: embed DEMO_MANIFEST\n");
    return 2;
  }
  TempDir dir;
  if (!dir.valid()) {
    std::perror("mkdtemp");
    return 1;
  }
  check_compile(argv[1]);
  check_qemu(dir);
  check_seed(dir);
  return failures == 0 ? 0 : 1;
}
