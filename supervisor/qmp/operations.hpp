// Every typed QMP operation: include this one header. Each builder returns a Command (data);
// send() runs it on the async Client, run()/run_void() and the typed wrappers on a
// BlockingClient. See README "QMP client / library" for the govmm method mapping.
#pragma once

#include "supervisor/qmp/command.hpp"
#include "supervisor/qmp/ops_block.hpp"
#include "supervisor/qmp/ops_chardev.hpp"
#include "supervisor/qmp/ops_cpu.hpp"
#include "supervisor/qmp/ops_device.hpp"
#include "supervisor/qmp/ops_fd.hpp"
#include "supervisor/qmp/ops_lifecycle.hpp"
#include "supervisor/qmp/ops_memory.hpp"
#include "supervisor/qmp/ops_migration.hpp"
#include "supervisor/qmp/ops_net.hpp"
