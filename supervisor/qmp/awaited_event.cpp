// The event a Completion waits for, and the guest's refusals that end an unplug early.
#include <algorithm>

#include <fmt/format.h>

#include "supervisor/qmp/client.hpp"

namespace vmforge::qmp {
namespace {

// ACPI _OST status codes for an eject (ACPI 6.4, table 6.203) that end it without removal.
std::string_view eject_failure(std::int64_t status) {
  switch (status) {
    case 1: return "failure";
    case 0x80: return "ejection not supported";
    case 0x81: return "device in use";
    case 0x82: return "device busy";
    case 0x83: return "ejection dependency busy";
    default: return {};
  }
}

std::optional<std::string> refusal(const std::string& id, const Event& e) {
  if (e.name == "DEVICE_UNPLUG_GUEST_ERROR" && e.data.get_string("device") == std::string_view(id)) {
    return fmt::format("the guest refused to release '{}'", id);
  }
  const JsonValue* info = e.data.find("info");
  if (e.name != "ACPI_DEVICE_OST" || info == nullptr || info->get_string("device") != std::string_view(id) ||
      info->get_int64("source") != 3) {
    return std::nullopt;
  }
  std::string_view what = eject_failure(info->get_int64("status").value_or(0));
  if (what.empty()) return std::nullopt;
  return fmt::format("the guest refused to release '{}' (ACPI _OST status {}: {})", id, *info->get_int64("status"),
                     what);
}

// A block job that ends without success: BLOCK_JOB_COMPLETED with an error (QEMU sends no
// separate failure event) or BLOCK_JOB_CANCELLED.
std::optional<std::string> job_failure(const std::string& id, const Event& e) {
  if (e.data.get_string("device") != std::string_view(id)) return std::nullopt;
  if (e.name == "BLOCK_JOB_CANCELLED") return fmt::format("block job '{}' was cancelled", id);
  if (e.name != "BLOCK_JOB_COMPLETED") return std::nullopt;
  if (auto error = e.data.get_string("error")) return fmt::format("block job '{}' failed: {}", id, *error);
  return std::nullopt;
}

// The jobs of one transaction: an event of any of them counts, a failure of any fails the call.
EventMatch awaited_jobs(const Completion& completion) {
  std::vector<std::string> ids = completion.more_device_ids;
  ids.push_back(completion.device_id);
  EventMatch match{completion.event, {}};
  match.count = ids.size();
  match.filter = [ids](const Event& e) {
    auto device = e.data.get_string("device");
    return device && std::find(ids.begin(), ids.end(), *device) != ids.end();
  };
  match.failure = [ids](const Event& e) -> std::optional<std::string> {
    for (const std::string& id : ids) {
      if (auto why = job_failure(id, e)) return why;
    }
    return std::nullopt;
  };
  return match;
}

}  // namespace

EventMatch awaited_event(const Completion& completion) {
  const std::string& id = completion.device_id;
  if (!completion.more_device_ids.empty()) return awaited_jobs(completion);
  EventMatch match{completion.event, {}};
  if (id.empty()) return match;
  // A QOM path is matched against data.path (compiler/qmp/call.hpp).
  match.filter = data_equals(id.starts_with('/') ? "path" : "device", id);
  if (completion.event == "DEVICE_DELETED" && !id.starts_with('/')) {
    match.failure = [id](const Event& e) { return refusal(id, e); };
  }
  if (completion.event == "BLOCK_JOB_COMPLETED") match.failure = [id](const Event& e) { return job_failure(id, e); };
  return match;
}

}  // namespace vmforge::qmp
