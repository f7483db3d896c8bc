// Staging examples and their host files in a temp dir.
#include "tests/integration/example_stage.hpp"

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "supervisor/launch/listen_unix.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/source_tree.hpp"

namespace fs = std::filesystem;

namespace vmforge::test {
namespace {

Result<void> make_parent(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return unexpected(Error(fmt::format("cannot create the directory of '{}': {}", path, ec.message())));
  return {};
}

}  // namespace

std::vector<std::string> host_free_examples() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(source_path("examples"))) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".toml" && name.rfind("host-", 0) != 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> stage_examples(const TempDir& dir) {
  VMFORGE_TRY(GuestImage guest, find_guest());
  std::error_code ec;
  fs::copy(source_path("examples"), dir.file("examples"), fs::copy_options::recursive, ec);
  if (!ec) fs::create_directories(dir.file("build"), ec);
  if (!ec)
    fs::create_directory_symlink(fs::absolute(fs::path(guest.kernel).parent_path()), dir.file("build/guest"), ec);
  if (ec) return unexpected(Error(fmt::format("cannot stage the examples in '{}': {}", dir.path(), ec.message())));
  return {};
}

Result<void> create_host_files(const Vm& vm) {
  for (const auto& d : vm.disks) {
    if (d.backing && !fs::exists(d.backing->file)) {
      VMFORGE_TRY_VOID(make_parent(d.backing->file));
      VMFORGE_TRY_VOID(create_disk_image(d.backing->file, std::string(to_string(d.backing->format)), 64ull << 20));
    }
    if (fs::exists(d.file)) continue;
    VMFORGE_TRY_VOID(make_parent(d.file));
    VMFORGE_TRY_VOID(create_disk_image(d.file, std::string(to_string(d.format)), 64ull << 20));
  }
  for (const auto& n : vm.nvdimms) {
    VMFORGE_TRY_VOID(make_parent(n.path));
    std::ofstream(n.path, std::ios::binary).close();
    std::error_code ec;
    fs::resize_file(n.path, n.size.bytes(), ec);
    if (ec) return unexpected(Error(fmt::format("cannot size '{}': {}", n.path, ec.message())));
  }
  for (const auto& f : vm.fs_9p) {
    std::error_code ec;
    fs::create_directories(f.path, ec);
    if (ec) return unexpected(Error(fmt::format("cannot create '{}': {}", f.path, ec.message())));
  }
  for (const auto& s : vm.serials) {
    if (s.path && s.backend != CharBackend::tty) VMFORGE_TRY_VOID(make_parent(*s.path));
  }
  for (const auto& q : vm.qmp_sockets) VMFORGE_TRY_VOID(make_parent(q.path));
  if (vm.qemu.pidfile) VMFORGE_TRY_VOID(make_parent(*vm.qemu.pidfile));
  if (vm.qemu.logfile) VMFORGE_TRY_VOID(make_parent(*vm.qemu.logfile));
  return {};
}

Result<std::vector<launch::FdMapping>> extra_fds(const Vm& vm, const TempDir& dir, std::vector<UniqueFd>& keep) {
  std::vector<launch::FdMapping> fds;
  if (auto seed_fd = cloud_init_seed_fd(vm)) {
    const std::string seed = dir.file("seed.img");
    VMFORGE_TRY_VOID(create_disk_image(seed, "raw", 1ull << 20));
    UniqueFd fd(::open(seed.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return unexpected(Error(fmt::format("cannot open '{}'", seed), errno));
    fds.push_back({fd.get(), *seed_fd});
    keep.push_back(std::move(fd));
  }
  // [[serial]] backend 'console': QEMU serves a socket the supervisor listens on for it.
  if (auto console_fd = console_listen_fd(vm)) {
    VMFORGE_TRY(UniqueFd listener, launch::listen_unix(dir.file("serial.sock")));
    fds.push_back({listener.get(), *console_fd});
    keep.push_back(std::move(listener));
  }
  return fds;
}

std::string render(const Diagnostics& diagnostics) { return diagnostics.render(""); }

}  // namespace vmforge::test
