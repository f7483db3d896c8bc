// survey_host: the state directories, their locks, and one status request to every supervisor,
// all sent before any reply is read.
#include "cli/host_vms.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "compiler/base/errno_error.hpp"
#include "compiler/base/read_file.hpp"
#include "compiler/base/sha256.hpp"
#include "supervisor/core/control_client.hpp"
#include "supervisor/core/state_dir.hpp"
#include "supervisor/core/vm_lock.hpp"
#include "supervisor/launch/process_stat.hpp"

namespace vmforge::cli {
namespace {

using supervisor::ControlClient;
using supervisor::StateDir;

bool exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> vm_names(const std::string& root) {
  std::vector<std::string> names;
  DIR* dir = opendir(root.c_str());
  if (dir == nullptr && errno == ENOENT) return names;
  if (dir == nullptr) return unexpected(errno_error(fmt::format("Failed to read runtime directory '{}'", root)));
  while (const dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    struct stat st {};
    if (!supervisor::check_vm_name(name) || lstat(fmt::format("{}/{}", root, name).c_str(), &st) < 0 ||
        !S_ISDIR(st.st_mode)) {
      continue;
    }
    names.push_back(std::move(name));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// What was applied last, from the state dir: for a VM no supervisor runs.
void read_applied(const StateDir& state, HostVm& vm) {
  if (auto path = read_file(state.applied_manifest_path())) vm.manifest = *path;
  if (auto text = read_file(state.applied_manifest())) vm.manifest_sha256 = sha256_hex(*text);
}

void take_status(const JsonValue& status, HostVm& vm) {
  vm.supervisor_state = std::string(status.get_string("state").value_or("unknown"));
  const JsonValue* qemu_status = status.find("qemu_status");
  auto run_state = qemu_status ? qemu_status->get_string("status") : std::nullopt;
  vm.state = run_state ? std::string(*run_state) : *vm.supervisor_state;
  if (auto pid = status.get_int64("qemu_pid"); pid && *pid > 0) {
    vm.qemu_pid = static_cast<pid_t>(*pid);
    vm.uptime = launch::process_age(vm.qemu_pid.value());
  }
  if (auto manifest = status.get_string("manifest")) vm.manifest = std::string(*manifest);
  if (auto sha = status.get_string("manifest_sha256")) vm.manifest_sha256 = std::string(*sha);
  const JsonValue* unit = status.find("unit");
  if (auto name = unit ? unit->get_string("name") : std::nullopt) {
    vm.unit = sd::PidUnit{std::string(*name), unit->get_string("manager") == "user"};
  }
}

}  // namespace

std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                  std::chrono::milliseconds(1));
}

Result<std::vector<HostVm>> survey_host(const std::optional<std::string>& runtime_dir,
                                        std::chrono::milliseconds timeout) {
  VMFORGE_TRY(std::string root, supervisor::resolve_runtime_root(runtime_dir));
  VMFORGE_TRY(auto names, vm_names(root));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<HostVm> vms;
  std::vector<std::optional<ControlClient>> asked(names.size());
  const auto locks = supervisor::FlockTable::read();
  for (size_t i = 0; i < names.size(); ++i) {
    StateDir state{fmt::format("{}/{}", root, names[i])};
    HostVm& vm = vms.emplace_back();
    vm.name = names[i];
    vm.state_dir = state.dir;
    vm.supervisor_pid = locks.holder(state.lock_file());
    if (!vm.supervised()) {
      read_applied(state, vm);
      bool leftovers = exists(state.control_socket()) || exists(state.qemu_pidfile());
      vm.state = leftovers ? "stale" : "stopped";
      continue;
    }
    auto client = ControlClient::connect_nowait(state.control_socket());
    if (!client) {
      // Locked before its control socket listens: the supervisor is still starting QEMU.
      int err = client.error().errno_value;
      vm.state = err == ENOENT || err == ECONNREFUSED ? "starting" : "unresponsive";
      continue;
    }
    if (!client->send(R"({"request":"status"})")) {
      vm.state = "unresponsive";
      continue;
    }
    asked[i] = std::move(*client);
  }
  for (size_t i = 0; i < vms.size(); ++i) {
    if (!asked[i]) continue;
    auto line = asked[i]->read_line(time_left(deadline));
    Result<JsonValue> status = line ? supervisor::reply_value(*line) : Result<JsonValue>(unexpected(line.error()));
    if (status) {
      take_status(*status, vms[i]);
    } else {
      vms[i].state = "unresponsive";
      read_applied(StateDir{vms[i].state_dir}, vms[i]);
    }
  }
  return vms;
}

}  // namespace vmforge::cli
