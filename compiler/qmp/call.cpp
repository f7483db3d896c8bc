// FileOpen's names.
#include "compiler/qmp/call.hpp"

namespace vmforge {

std::string_view to_string(FileOpen open) {
  switch (open) {
    case FileOpen::read: return "read";
    case FileOpen::read_write: return "read-write";
    case FileOpen::create: return "create";
    case FileOpen::append: return "append";
  }
  return "read";
}

}  // namespace vmforge
