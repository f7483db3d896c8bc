// `vmforge cloud-init`: build a cloud-init seed image (NoCloud or ConfigDrive) from files.
#include <fmt/format.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "compiler/base/read_file.hpp"
#include "compiler/model/enums.hpp"
#include "supervisor/cloudinit/seed.hpp"
#include "supervisor/core/atomic_file.hpp"

namespace vmforge::cli {

namespace {

constexpr std::string_view kHelp =
    "Usage: vmforge cloud-init --user-data FILE --meta-data FILE [--network-config FILE]\n"
    "                          [--format nocloud|config-2] -o ISO\n"
    "\n"
    "Build a cloud-init seed image: an ISO 9660 image (Rock Ridge and Joliet) that a guest\n"
    "finds by its volume label, attached as a CD-ROM or a read-only disk.\n"
    "\n"
    "  nocloud   label 'cidata':   user-data, meta-data, network-config\n"
    "  config-2  label 'config-2': openstack/latest/user_data, meta_data.json,\n"
    "            network_data.json (meta-data and network config must be JSON objects)\n"
    "\n"
    "The files are copied verbatim; user-data is readable by root only inside the guest.\n"
    "The image depends only on the files (fixed timestamps) and is written atomically,\n"
    "mode 0600.\n"
    "\n"
    "Exit status: 0 written, 1 failed, 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --user-data FILE       cloud-init user-data (#cloud-config, a script, ...)\n"
    "  --meta-data FILE       instance metadata (instance-id, local-hostname, ...)\n"
    "  --network-config FILE  network configuration (optional)\n"
    "  --format FORMAT        nocloud (default) or config-2\n"
    "  -o, --output ISO       the image to write\n"
    "  --help                 show this help\n";

}  // namespace

int cmd_cloud_init(int argc, char** argv) {
  auto args = Args::parse(argc, argv, 1,
                          {{"help"},
                           {"user-data", true},
                           {"meta-data", true},
                           {"network-config", true},
                           {"format", true},
                           {"output", true, 'o'}});
  if (!args) return usage_error("cloud-init", args.error().message);
  if (args->has("help")) {
    fmt::print("{}", kHelp);
    return 0;
  }
  if (!args->positionals().empty())
    return usage_error("cloud-init", fmt::format("unexpected argument '{}'", args->positionals().front()));
  for (const char* required : {"user-data", "meta-data", "output"}) {
    if (!args->has(required)) return usage_error("cloud-init", fmt::format("missing option '--{}'", required));
  }
  std::string format_name = args->value("format").value_or("nocloud");
  auto format = enum_from_string<CloudInitFormat>(format_name);
  if (!format) {
    return usage_error("cloud-init", fmt::format("unknown format '{}'; expected 'nocloud' or 'config-2'", format_name));
  }

  auto fail = [](const Error& error) {
    fmt::print(stderr, "vmforge cloud-init: {}\n", error.message);
    return 1;
  };
  cloudinit::SeedContent content;
  auto user_data = read_file(*args->value("user-data"));
  if (!user_data) return fail(user_data.error());
  content.user_data = std::move(*user_data);
  auto meta_data = read_file(*args->value("meta-data"));
  if (!meta_data) return fail(meta_data.error());
  content.meta_data = std::move(*meta_data);
  if (auto path = args->value("network-config")) {
    auto network = read_file(*path);
    if (!network) return fail(network.error());
    content.network_config = std::move(*network);
  }
  auto image = cloudinit::build_seed_image(*format, content);
  if (!image) return fail(image.error());
  auto written = supervisor::write_file_atomic(*args->value("output"), *image, 0600);
  if (!written) return fail(written.error());
  return 0;
}

}  // namespace vmforge::cli
