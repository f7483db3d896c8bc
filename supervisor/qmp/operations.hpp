// Every typed QMP operation: include this one header. Each builder (compiler/qmp/ops_*.hpp)
// returns a QmpCall (data); Client::execute() runs it asynchronously, BlockingClient::execute()
// to completion, and blocking_ops.hpp has the typed queries and multi-call operations on a
// BlockingClient. See README "QMP client / library" for the govmm method mapping.
#pragma once

#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/ops_block.hpp"
#include "compiler/qmp/ops_chardev.hpp"
#include "compiler/qmp/ops_cpu.hpp"
#include "compiler/qmp/ops_device.hpp"
#include "compiler/qmp/ops_fd.hpp"
#include "compiler/qmp/ops_lifecycle.hpp"
#include "compiler/qmp/ops_memory.hpp"
#include "compiler/qmp/ops_migration.hpp"
#include "compiler/qmp/ops_net.hpp"
#include "compiler/qmp/ops_throttle.hpp"
#include "supervisor/qmp/blocking_ops.hpp"
