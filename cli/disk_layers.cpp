#include "cli/disk_layers.hpp"

#include <fmt/format.h>

namespace vmforge::cli {

std::string describe_layers(const JsonValue* layers, std::string_view indent) {
  std::string out;
  if (!layers || !layers->as_array()) return out;
  for (const JsonValue& l : *layers->as_array()) {
    out += fmt::format("{}Disk '{}' writes to the layer of snapshot '{}' ({}) above its file.\n", indent,
                       l.get_string("disk").value_or("?"), l.get_string("snapshot").value_or("?"),
                       l.get_string("file").value_or("?"));
  }
  return out;
}

}  // namespace vmforge::cli
