// Entry points of the compiler front: manifest text -> validated Vm, or every diagnostic.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "compiler/base/diagnostic.hpp"
#include "compiler/base/result.hpp"
#include "compiler/model/model.hpp"

namespace vmforge {

/// A manifest's bytes and the path they were read from (as given, for diagnostics).
struct ManifestSource {
  std::string path;
  std::string text;
};

/// The largest manifest read: real ones are a few KiB, 10,000 hot-plug disks about 1 MiB.
inline constexpr std::size_t kMaxManifestBytes = std::size_t{4} << 20;

/// Reads a manifest file (a regular file or a pipe, at most kMaxManifestBytes). The only
/// failure is an unreadable file (one diagnostic at line 0, read_file()'s message).
Result<ManifestSource, Diagnostics> read_manifest(std::string_view path);

/// Parses and validates `text`. `path` is used verbatim in diagnostics, and its directory
/// (made absolute against the working directory) is the base of relative paths in the
/// manifest. Pure apart from that: nothing on disk is touched. On failure the diagnostics
/// are sorted by position; render them with `Diagnostics::render(text)`. `paths_from`, when
/// given, replaces `path` as the manifest whose directory relative paths resolve against (an
/// old manifest read from a pipe describes files next to the new one, not in /dev/fd).
Result<Vm, Diagnostics> validate_text(std::string_view text, std::string_view path, std::string_view paths_from = {});

/// read_manifest() + validate_text(). Callers that want to show the source lines under the
/// diagnostics use the two steps themselves (the text is needed to render).
Result<Vm, Diagnostics> load_and_validate(std::string_view path);

/// load_and_validate() for commands that print: on failure, the diagnostics rendered with their
/// source lines, ready for stderr. Later stages can render their own diagnostics against
/// `Vm::source_text`.
Result<Vm, std::string> load_and_validate_rendered(std::string_view path);

}  // namespace vmforge
