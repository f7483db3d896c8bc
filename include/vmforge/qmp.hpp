// <vmforge/qmp.hpp>: the QMP client. vmforge::qmp::Client runs asynchronously on an sd_event*
// (vmforge::sd::EventLoop makes and runs one without systemd's headers), BlockingClient is the
// same client on a private loop, and operations.hpp has a typed builder for every QMP
// operation govmm has, each returning a QmpCall that either client's execute() runs
// (query_status, device_del, ...). Knows nothing of manifests.
#pragma once

#include "supervisor/qmp/blocking_client.hpp"
#include "supervisor/qmp/client.hpp"
#include "supervisor/qmp/operations.hpp"
#include "supervisor/sd/event_loop.hpp"
