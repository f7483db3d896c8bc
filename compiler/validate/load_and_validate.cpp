// The compiler front's entry points: read, parse, shape-check and validate a manifest.
#include "compiler/validate/load_and_validate.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "compiler/base/read_file.hpp"
#include "compiler/base/sha256.hpp"
#include "compiler/manifest/loader.hpp"
#include "compiler/manifest/shape.hpp"
#include "compiler/validate/families.hpp"

namespace vmforge {

namespace {

constexpr std::size_t kMaxName = 64;

void validate_identity(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f(&root, "", "the manifest", ctx, SourceLoc{root.loc.path, 0, 0});
  if (!f.has("name")) {
    ctx.error(SourceLoc{root.loc.path, 0, 0}, "the manifest has no 'name' (e.g. name = \"web\"; it names the "
                                              "state directory and the systemd unit instance)");
  } else if (auto name = f.text("name")) {
    if (!is_name_text(*name, "_.-") || name->size() > kMaxName || *name == "." || *name == "..") {
      f.error("name", fmt::format("'name' must be 1 to {} letters, digits, '_', '.' or '-' (and not '.' or '..'), "
                                  "not {}",
                                  kMaxName, quote_text(*name)));
    }
    vm.name = *name;
  }
  if (auto text = f.text("uuid")) {
    auto uuid = Uuid::parse(*text);
    if (!uuid) f.error("uuid", uuid.error().message);
    else vm.uuid = *uuid;
  }
}

/// The directory relative manifest paths are resolved against, made absolute.
std::string base_directory(std::string_view manifest_path) {
  std::filesystem::path dir = std::filesystem::path(manifest_path).parent_path();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir.empty() ? "." : dir, ec);
  return (ec ? dir : absolute).lexically_normal().string();
}

}  // namespace

void validate_manifest(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  register_device_ids(root, ctx);
  validate_identity(root, ctx, vm);
  validate_machine(root, ctx, vm);
  validate_cpu(root, ctx, vm);
  validate_memory(root, ctx, vm);
  validate_kernel(root, ctx, vm);
  validate_firmware(root, ctx, vm);
  validate_rtc(root, ctx, vm);
  validate_fw_cfg(root, ctx, vm);
  validate_cloud_init(root, ctx, vm);
  validate_confidential(root, ctx, vm);
  validate_process(root, ctx, vm);
  validate_pci(root, ctx, vm);
  validate_iothreads(root, ctx, vm);
  validate_throttle_groups(root, ctx, vm);
  validate_storage(root, ctx, vm);
  validate_fs(root, ctx, vm);
  validate_net(root, ctx, vm);
  validate_sandbox(root, ctx, vm);
  validate_chardev(root, ctx, vm);
  validate_devices(root, ctx, vm);
  validate_intel_iommu(root, ctx, vm);
  validate_links(ctx, vm);
}

Result<ManifestSource, Diagnostics> read_manifest(std::string_view path) {
  auto text = read_file(std::string(path), kMaxManifestBytes);
  if (!text) {
    Diagnostics diags;
    diags.error(SourceLoc{std::string(path), 0, 0}, text.error().message);
    return unexpected(std::move(diags));
  }
  return ManifestSource{std::string(path), std::move(*text)};
}

Result<Vm, Diagnostics> validate_text(std::string_view text, std::string_view path, std::string_view paths_from) {
  auto raw = load_manifest(text, path);
  if (!raw) return unexpected(std::move(raw).error());
  Diagnostics diags;
  check_shape(*raw, diags);
  ValidateContext ctx(diags, base_directory(paths_from.empty() ? path : paths_from));
  Vm vm;
  validate_manifest(*raw, ctx, vm);
  if (diags.has_errors()) {
    diags.sort();
    return unexpected(std::move(diags));
  }
  vm.source_path = std::string(path);
  vm.source_text = std::string(text);
  vm.source_sha256 = sha256_hex(text);
  return vm;
}

Result<Vm, Diagnostics> load_and_validate(std::string_view path) {
  VMFORGE_TRY(ManifestSource source, read_manifest(path));
  return validate_text(source.text, source.path);
}

Result<Vm, std::string> load_and_validate_rendered(std::string_view path) {
  auto source = read_manifest(path);
  if (!source) return unexpected(source.error().render(""));
  auto vm = validate_text(source->text, source->path);
  if (!vm) return unexpected(vm.error().render(source->text));
  return std::move(vm).value();
}

}  // namespace vmforge
