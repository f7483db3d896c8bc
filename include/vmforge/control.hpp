// <vmforge/control.hpp>: a running VM's supervisor, by the VM's name. vmforge::supervisor::
// VmClient has one blocking call per control request (status, events, plan, apply, stop, qmp),
// so an embedding program drives VMs as the vmforge command does, without writing JSON lines.
#pragma once

#include "supervisor/core/vm_client.hpp"
