// Loading a host's manifest directory.
#include "cli/host_manifests.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/manifest_report.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kSuffix = ".toml";

// The manifests' paths, sorted; nullopt (said on stderr) when `dir` cannot be read.
std::optional<std::vector<std::string>> manifest_files(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    fmt::print(stderr, "vmforge: Failed to read manifest directory '{}': {}\n", dir, std::strerror(errno));
    return std::nullopt;
  }
  std::vector<std::string> files;
  while (const dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix) || name.front() == '.') continue;
    std::string path = fmt::format("{}/{}", dir, name);
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(std::move(path));
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::vector<Vm>> load_host_manifests(const std::string& dir) {
  auto files = manifest_files(dir);
  if (!files) return std::nullopt;
  std::vector<Vm> vms;
  bool ok = true;
  for (const std::string& path : *files) {
    auto vm = load_manifest_or_report(path);
    if (!vm) {
      ok = false;
      continue;
    }
    std::string_view file = std::string_view(path).substr(dir.size() + 1);
    file.remove_suffix(kSuffix.size());
    if (file != vm->name) {
      fmt::print(stderr,
                 "{}: error: the manifest names VM '{}', but in a host directory VM NAME is NAME.toml "
                 "(vmforge@NAME.service reads it): rename the file to '{}.toml' or set name = \"{}\".\n",
                 path, vm->name, vm->name, file);
      ok = false;
      continue;
    }
    vms.push_back(std::move(*vm));
  }
  if (!ok) return std::nullopt;
  return vms;
}

}  // namespace vmforge::cli
