// Model helpers: equality of meaning and the origin lookup for later diagnostics.
#include "compiler/model/model.hpp"

#include <tuple>

namespace vmforge {

namespace {

// Everything that is configuration, in one place, so same_config() cannot forget a member.
auto config_tie(const Vm& vm) {
  return std::tie(vm.name, vm.uuid, vm.machine, vm.cpu, vm.memory, vm.kernel, vm.firmware, vm.rtc, vm.globals, vm.knobs,
                   vm.sandbox, vm.incoming, vm.fw_cfg, vm.qmp_sockets, vm.qemu, vm.supervisor, vm.migration,
                   vm.backup, vm.confidential_guest,
                  vm.cloud_init, vm.iothreads, vm.throttle_groups, vm.disks, vm.scsi_controllers, vm.nets,
                  vm.virtio_serials, vm.serials, vm.fs_9p, vm.virtio_fs, vm.vhost_users, vm.vfios, vm.vsocks,
                  vm.balloons, vm.rngs, vm.pcie_root_ports, vm.pci_bridges, vm.loaders, vm.intel_iommus, vm.pvpanics,
                  vm.dimms, vm.nvdimms);
}

}  // namespace

bool Vm::same_config(const Vm& other) const { return config_tie(*this) == config_tie(other); }

SourceLoc origin_of(const Vm& vm, std::string_view resource) {
  auto it = vm.origins.find(std::string(resource));
  if (it != vm.origins.end()) return it->second;
  if (auto colon = resource.find(':'); colon != std::string_view::npos) {
    it = vm.origins.find(std::string(resource.substr(colon + 1)));
    if (it != vm.origins.end()) return it->second;
  }
  return SourceLoc{vm.source_path, 0, 0};
}

}  // namespace vmforge
