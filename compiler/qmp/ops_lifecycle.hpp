// Typed QMP operations: run state, power, QOM access, schema, guest memory dump.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/base/json_value.hpp"
#include "compiler/base/result.hpp"
#include "compiler/qmp/call.hpp"

namespace vmforge::qmp {

QmpCall stop();
QmpCall cont();
/// QEMU answers, emits SHUTDOWN, then closes the socket.
QmpCall quit();
QmpCall system_reset();
/// Presses the ACPI power button; the reply only says the press happened.
QmpCall system_powerdown();
/// system_powerdown completing on the SHUTDOWN event: the guest has shut down (govmm waited
/// for POWERDOWN, which QEMU sends at once).
QmpCall system_powerdown_until_shutdown();

/// query-status.
struct StatusInfo {
  bool running = false;
  bool singlestep = false;
  std::string status;  // "prelaunch", "running", "paused", "inmigrate", "postmigrate", "shutdown", …
};
QmpCall query_status();
Result<StatusInfo> parse_status(const JsonValue& reply);

/// One entry of query-qmp-schema (207 KB on 7.2; its members beyond these stay in `raw`).
struct SchemaInfo {
  std::string name;
  std::string meta_type;  // "command", "event", "object", "enum", "builtin", …
  JsonValue raw;
};
QmpCall query_qmp_schema();
Result<std::vector<SchemaInfo>> parse_schema(const JsonValue& reply);

/// qom-get returns any JSON value; qom-set takes one (govmm could only set integers).
QmpCall qom_get(std::string_view path, std::string_view property);
QmpCall qom_set(std::string_view path, std::string_view property, const JsonValue& value);

struct QomProperty {
  std::string name;
  std::string type;  // "child<virtio-blk-pci>", "string", …
};
QmpCall qom_list(std::string_view path);
Result<std::vector<QomProperty>> parse_qom_list(const JsonValue& reply);

struct DumpGuestMemory {
  std::string protocol;  // "file:/path" or "fd:NAME" (after getfd)
  bool paging = false;
  std::string format;  // "elf" (default when empty), "kdump-zlib", "win-dmp", …
  /// Run in the background and complete on DUMP_COMPLETED (QEMU stays responsive meanwhile).
  bool detach = false;
};
QmpCall dump_guest_memory(const DumpGuestMemory& dump);

}  // namespace vmforge::qmp
