// build_iso: the seed layout as an ISO 9660 image through libisofs (the only includer of its
// header). Rock Ridge for Linux, Joliet for Windows guests (cloudbase-init). libisofs and the
// five libraries it pulls in are opened on the first seed built, not at every vmforge start.
#include <stdint.h>  // libisofs.h uses uint32_t without including it
#include <sys/types.h>

// We read the image through libisofs' copy of struct burn_source, without libburn.
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "compiler/base/shared_library.hpp"
#include "supervisor/cloudinit/seed.hpp"

namespace vmforge::cloudinit {
namespace {

constexpr int kBlockSize = 2048;
// Fixed volume and file times ("YYYYMMDDhhmmsscc", GMT): the image depends only on its content.
constexpr char kVolumeTime[] = "2000010100000000";
constexpr time_t kFileTime = 946684800;  // 2000-01-01T00:00:00Z

#define VMFORGE_ISOFS_FUNCTIONS(X)           \
  X(iso_init_with_flag)                      \
  X(iso_set_msgs_severities)                 \
  X(iso_error_to_msg)                        \
  X(iso_image_new)                           \
  X(iso_image_unref)                         \
  X(iso_image_get_root)                      \
  X(iso_image_create_burn_source)            \
  X(iso_dir_get_node)                        \
  X(iso_node_get_type)                       \
  X(iso_node_set_permissions)                \
  X(iso_node_set_uid)                        \
  X(iso_node_set_gid)                        \
  X(iso_node_set_mtime)                      \
  X(iso_node_set_atime)                      \
  X(iso_node_set_ctime)                      \
  X(iso_tree_add_new_dir)                    \
  X(iso_tree_add_new_file)                   \
  X(iso_memory_stream_new)                   \
  X(iso_stream_unref)                        \
  X(iso_write_opts_new)                      \
  X(iso_write_opts_free)                     \
  X(iso_write_opts_set_iso_level)            \
  X(iso_write_opts_set_joliet)               \
  X(iso_write_opts_set_rockridge)            \
  X(iso_write_opts_set_relaxed_vol_atts)     \
  X(iso_write_opts_set_omit_version_numbers) \
  X(iso_write_opts_set_no_force_dots)        \
  X(iso_write_opts_set_always_gmt)           \
  X(iso_write_opts_set_replace_timestamps)   \
  X(iso_write_opts_set_default_timestamp)    \
  X(iso_write_opts_set_pvd_times)

// The libisofs functions we call, bound by name from libisofs.so.6.
struct Isofs {
  SharedLibrary library;
  VMFORGE_ISOFS_FUNCTIONS(VMFORGE_DL_FUNCTION)
};

Error iso_error(const Isofs& iso, std::string_view what, int code) {
  return Error(fmt::format("Failed to build the seed image: {}: {}", what, iso.iso_error_to_msg(code)), EIO);
}

// libisofs keeps global state: opened and initialised once, with its own messages kept off
// stderr (errors come back as return codes).
Result<Isofs> open_isofs() {
  VMFORGE_TRY(Isofs iso, open_table<Isofs>("libisofs.so.6", "libisofs6", [](Isofs& table) -> Result<void> {
                VMFORGE_ISOFS_FUNCTIONS(VMFORGE_DL_BIND)
                return {};
              }));
  if (int r = iso.iso_init_with_flag(1); r < 0) return unexpected(iso_error(iso, "initialising libisofs", r));
  iso.iso_set_msgs_severities(const_cast<char*>("NEVER"), const_cast<char*>("NEVER"), const_cast<char*>("vmforge"));
  return iso;
}

const Result<Isofs>& loaded_isofs() {
  static const Result<Isofs> loaded = open_isofs();
  return loaded;
}

// Only after build_iso() checked loaded_isofs(): every libisofs object exists only then.
const Isofs& lib() { return *loaded_isofs(); }

struct ImageDeleter {
  void operator()(IsoImage* image) const { lib().iso_image_unref(image); }
};
struct OptsDeleter {
  void operator()(IsoWriteOpts* opts) const { lib().iso_write_opts_free(opts); }
};
struct SourceDeleter {
  void operator()(burn_source* source) const {
    source->free_data(source);
    free(source);
  }
};
using ImagePtr = std::unique_ptr<IsoImage, ImageDeleter>;
using OptsPtr = std::unique_ptr<IsoWriteOpts, OptsDeleter>;
using SourcePtr = std::unique_ptr<burn_source, SourceDeleter>;

void set_owner(IsoNode* node, mode_t mode) {
  lib().iso_node_set_permissions(node, mode);
  lib().iso_node_set_uid(node, 0);
  lib().iso_node_set_gid(node, 0);
  lib().iso_node_set_mtime(node, kFileTime);
  lib().iso_node_set_atime(node, kFileTime);
  lib().iso_node_set_ctime(node, kFileTime);
}

// The directory `path` below `root`, created (0555) as needed.
Result<IsoDir*> directory(IsoDir* root, std::string_view path) {
  IsoDir* dir = root;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string name(path.substr(start, slash - start));
    IsoNode* existing = nullptr;
    if (lib().iso_dir_get_node(dir, name.c_str(), &existing) == 1 && lib().iso_node_get_type(existing) == LIBISO_DIR) {
      dir = reinterpret_cast<IsoDir*>(existing);
    } else {
      IsoDir* created = nullptr;
      int r = lib().iso_tree_add_new_dir(dir, name.c_str(), &created);
      if (r < 0) return unexpected(iso_error(lib(), fmt::format("adding directory '{}'", name), r));
      set_owner(reinterpret_cast<IsoNode*>(created), 0555);
      dir = created;
    }
    start = slash + 1;
  }
  return dir;
}

Result<void> add_file(IsoDir* root, const SeedFile& file) {
  size_t slash = file.path.rfind('/');
  std::string_view parent =
      slash == std::string::npos ? std::string_view() : std::string_view(file.path).substr(0, slash);
  std::string name = slash == std::string::npos ? file.path : file.path.substr(slash + 1);
  VMFORGE_TRY(IsoDir * dir, directory(root, parent));
  // The stream takes ownership of a malloc'ed copy of the content.
  auto* buf = static_cast<unsigned char*>(malloc(file.content.empty() ? 1 : file.content.size()));
  if (buf == nullptr) return unexpected(Error("Failed to build the seed image: out of memory", ENOMEM));
  memcpy(buf, file.content.data(), file.content.size());
  IsoStream* stream = nullptr;
  int r = lib().iso_memory_stream_new(buf, file.content.size(), &stream);
  if (r < 0) {
    free(buf);
    return unexpected(iso_error(lib(), fmt::format("storing '{}'", file.path), r));
  }
  IsoFile* node = nullptr;
  r = lib().iso_tree_add_new_file(dir, name.c_str(), stream, &node);  // takes our reference
  if (r < 0) {
    lib().iso_stream_unref(stream);
    return unexpected(iso_error(lib(), fmt::format("adding '{}'", file.path), r));
  }
  set_owner(reinterpret_cast<IsoNode*>(node), file.mode);
  return {};
}

Result<OptsPtr> write_options() {
  IsoWriteOpts* raw = nullptr;
  int r = lib().iso_write_opts_new(&raw, 1);  // profile 1: Rock Ridge, ISO level 3
  if (r < 0) return unexpected(iso_error(lib(), "creating write options", r));
  OptsPtr opts(raw);
  lib().iso_write_opts_set_iso_level(opts.get(), 2);
  lib().iso_write_opts_set_joliet(opts.get(), 1);
  lib().iso_write_opts_set_rockridge(opts.get(), 1);
  // cloud-init finds the seed by its exact label ("config-2" has a '-', lowercase).
  lib().iso_write_opts_set_relaxed_vol_atts(opts.get(), 1);
  // Joliet names exactly as given (Windows guests read them): no ";1", no forced '.'.
  lib().iso_write_opts_set_omit_version_numbers(opts.get(), 2);
  lib().iso_write_opts_set_no_force_dots(opts.get(), 2);
  lib().iso_write_opts_set_always_gmt(opts.get(), 1);
  lib().iso_write_opts_set_replace_timestamps(opts.get(), 2);
  lib().iso_write_opts_set_default_timestamp(opts.get(), kFileTime);
  lib().iso_write_opts_set_pvd_times(opts.get(), kFileTime, kFileTime, 0, 0, const_cast<char*>(kVolumeTime));
  return opts;
}

}  // namespace

Result<std::string> build_iso(const SeedLayout& layout) {
  if (const Result<Isofs>& iso = loaded_isofs(); !iso) return unexpected(iso.error());
  IsoImage* raw_image = nullptr;
  int r = lib().iso_image_new(layout.volume_id.c_str(), &raw_image);
  if (r < 0) return unexpected(iso_error(lib(), "creating the image", r));
  ImagePtr image(raw_image);
  IsoDir* root = lib().iso_image_get_root(image.get());
  set_owner(reinterpret_cast<IsoNode*>(root), 0555);
  for (const SeedFile& file : layout.files) VMFORGE_TRY_VOID(add_file(root, file));

  VMFORGE_TRY(OptsPtr opts, write_options());
  burn_source* raw_source = nullptr;
  r = lib().iso_image_create_burn_source(image.get(), opts.get(), &raw_source);
  if (r < 0) return unexpected(iso_error(lib(), "starting the writer", r));
  SourcePtr source(raw_source);
  std::string iso;
  unsigned char block[kBlockSize];
  for (;;) {
    int n = source->read_xt(source.get(), block, kBlockSize);
    if (n < 0) return unexpected(iso_error(lib(), "writing", n));
    if (n == 0) break;
    iso.append(reinterpret_cast<const char*>(block), static_cast<size_t>(n));
    if (n < kBlockSize) break;
  }
  return iso;
}

}  // namespace vmforge::cloudinit
