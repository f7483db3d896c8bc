// A VM registered with systemd-machined (`machinectl list` shows it, as libvirt's and
// systemd-vmspawn's do): class "vm", service "vmforge", QEMU as its leader, in the leader's
// unit (vmforge@NAME.service). Only the system's machined: registering needs root.
#pragma once

#include <sys/types.h>

#include <string>

#include "compiler/base/result.hpp"

namespace vmforge::sd {

class MachineRegistration {
 public:
  /// RegisterMachine for `name` with leader `qemu_pid`. One left by a supervisor that died
  /// (same name) is unregistered and registered again. An error when there is no system bus
  /// or machined, or it refuses (a name that is not a valid host name).
  static Result<MachineRegistration> register_vm(const std::string& name, pid_t qemu_pid);

  MachineRegistration(MachineRegistration&& other) noexcept : name_(std::move(other.name_)) { other.name_.clear(); }
  MachineRegistration& operator=(MachineRegistration&&) = delete;
  MachineRegistration(const MachineRegistration&) = delete;
  /// UnregisterMachine; a failure is logged at debug level (machined may be gone already).
  ~MachineRegistration();

 private:
  explicit MachineRegistration(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace vmforge::sd
