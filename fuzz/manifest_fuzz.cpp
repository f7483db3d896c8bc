// libFuzzer target: arbitrary bytes through the manifest loader, shape check, validation and
// lowering (what `check` runs), then rendering of the diagnostics or a walk over the model and
// plan. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto vm = vmforge::validate_text(text, "fuzz.toml");
  if (!vm) {
    // Rendering indexes the source by line and column: positions must stay inside the text.
    std::string rendered = vm.error().render(text);
    if (rendered.empty()) __builtin_trap();
    return 0;
  }
  // A valid manifest must compare equal to itself and name every device it declared.
  if (!vm->same_config(*vm)) __builtin_trap();
  for (const auto& disk : vm->disks) {
    if (disk.id.str().empty()) __builtin_trap();
  }
  for (const auto& net : vm->nets) (void)net.mac.to_string();
  (void)vm->memory.size.to_string();
  auto plan = vmforge::lower(*vm);
  if (!plan && plan.error().render(vm->source_text).empty()) __builtin_trap();
  return 0;
}
