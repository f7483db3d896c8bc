// Validation of shared host directories: [[fs_9p]] and [[virtio_fs]].
#include "compiler/validate/families.hpp"

namespace vmforge {

void validate_fs(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  auto read_tag = [](const Fields& f) {
    if (!f.require("tag")) return std::string();
    auto tag = f.nonempty("tag");
    const auto max = static_cast<std::size_t>(f.length("tag").max);
    if (tag && tag->size() > max) {
      f.error("tag", fmt::format("{}: 'tag' is {} bytes; at most {} fit", f.owner(), tag->size(), max));
    }
    return tag.value_or("");
  };
  for_each_table(root, "fs_9p", ctx, [&](Fields& f) {
    Fs9p fs;
    fs.id = read_device_id(f, "fs_9p", vm);
    if (f.require("path")) fs.path = f.path("path").value_or("");
    fs.tag = read_tag(f);
    fs.security_model = f.choice_or_default<Fs9pSecurityModel>("security_model");
    fs.multidev = f.choice<Fs9pMultidev>("multidev");
    fs.readonly = f.flag_or_default("readonly");
    fs.placement = read_placement(f, vm);
    vm.fs_9p.push_back(std::move(fs));
  });
  for_each_table(root, "virtio_fs", ctx, [&](Fields& f) {
    VirtioFs fs;
    fs.id = read_device_id(f, "virtio_fs", vm);
    fs.socket = (f.require("socket") ? read_socket_path(f, "socket") : std::nullopt).value_or("");
    fs.tag = read_tag(f);
    if (auto size = f.number("queue_size")) {
      if ((*size & (*size - 1)) != 0) {
        f.error("queue_size", fmt::format("{}: 'queue_size' must be a power of two, not {}", f.owner(), *size));
      }
      fs.queue_size = static_cast<std::uint32_t>(*size);
    }
    fs.placement = read_placement(f, vm);
    fs.hotplug = read_hotplug(f, vm, fs.placement.transport);
    require_shared_memory(f, vm);
    vm.virtio_fs.push_back(std::move(fs));
  });
}

}  // namespace vmforge
