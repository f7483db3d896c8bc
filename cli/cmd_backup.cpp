// `vmforge backup NAME --to DIR [--incremental]`: asks the VM's supervisor for a backup of its
// disks (supervisor/core/backups.hpp) and prints the images it made.
#include <filesystem>

#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/job_progress.hpp"
#include "cli/vm_connect.hpp"
#include "compiler/base/json_writer.hpp"
#include "supervisor/core/backups.hpp"

namespace vmforge::cli {
namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge backup NAME --to DIR [--incremental] [--runtime-dir DIR]\n"
    "\n"
    "Back up every writable disk (qcow2) of the running VM NAME into new qcow2 images in DIR,\n"
    "named NAME-DISK-TIME.qcow2, while the guest runs. A full backup copies the whole disk and\n"
    "starts a dirty bitmap in the disk's image; --incremental copies only what the guest wrote\n"
    "since the last backup, into an image whose backing file is the disk's previous backup.\n"
    "Shows the bytes copied and the rate while it runs. Ctrl-C cancels the backup. A failed\n"
    "or cancelled backup removes its images and keeps the earlier ones; the next incremental\n"
    "backup still copies everything written since the last one that succeeded.\n"
    "\n"
    "Exit status: 0 backed up; 1 the VM is not running or the backup failed; 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --to DIR           the directory the images go in (required)\n"
    "  --incremental      copy only what changed since the last backup\n";

}  // namespace

int cmd_backup(int argc, char** argv) {
  auto parsed = parse_with_runtime_dir(
      {"backup", kHelp, {{"to", true}, {"incremental"}}, 1, "expects exactly one VM NAME"}, argc, argv);
  if (auto* status = std::get_if<int>(&parsed)) return *status;
  const Args& args = std::get<Args>(parsed);
  const std::string& name = args.positionals().front();
  auto to = args.value("to");
  if (!to) {
    fmt::print(stderr, "vmforge backup: --to DIR is required.\n");
    return 2;
  }
  std::error_code ec;
  const auto dir = std::filesystem::absolute(*to, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    fmt::print(stderr, "vmforge backup: '{}' is not a directory.\n", *to);
    return 1;
  }
  JsonWriter w;
  w.begin_object().field("request", "backup").field("dir", dir.lexically_normal().string());
  w.field("incremental", args.has("incremental")).end_object();
  auto reply = send_cancellable(
      name, args.value("runtime-dir"), w.str(),
      showing_jobs({"Backing up",
                    [](const JsonValue& job) {
                      return job.get_string("id").value_or("").starts_with(supervisor::kBackupJobPrefix);
                    },
                    R"({"request":"backup-cancel"})", "Cancelling the backup..."}));
  if (!reply) {
    fmt::print(stderr, "vmforge backup: {}\n", reply.error().message);
    return 1;
  }
  const bool incremental = reply->get_bool("incremental").value_or(false);
  const JsonValue* seconds = reply->find("seconds");
  fmt::print("{} backup '{}' of VM '{}' done in {:.1f}s:\n", incremental ? "Incremental" : "Full",
             reply->get_string("id").value_or(""), name, seconds ? seconds->as_double().value_or(0) : 0.0);
  if (const JsonValue* disks = reply->find("disks"); disks && disks->as_array()) {
    for (const JsonValue& d : *disks->as_array()) {
      fmt::print("  {}: {} ({} bytes)\n", d.get_string("disk").value_or(""), d.get_string("file").value_or(""),
                 d.get_uint64("bytes").value_or(0));
    }
  }
  if (const JsonValue* removed = reply->find("removed");
      removed && removed->as_array() && !removed->as_array()->empty()) {
    fmt::print("Removed older backups ([backup] keep):\n");
    for (const JsonValue& file : *removed->as_array()) fmt::print("  {}\n", file.as_string().value_or(""));
  }
  return 0;
}

}  // namespace vmforge::cli
