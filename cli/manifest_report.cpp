#include "cli/manifest_report.hpp"

#include <fmt/format.h>

#include "compiler/lower/lower.hpp"
#include "compiler/validate/load_and_validate.hpp"

namespace vmforge::cli {

std::optional<Vm> load_manifest_or_report(std::string_view path) {
  auto vm = load_and_validate_rendered(path);
  if (!vm) {
    fmt::print(stderr, "{}", vm.error());
    return std::nullopt;
  }
  return std::move(*vm);
}

std::optional<Vm> validate_or_report(std::string_view text, std::string_view path, std::string_view paths_from) {
  auto vm = validate_text(text, path, paths_from);
  if (!vm) {
    fmt::print(stderr, "{}", vm.error().render(text));
    return std::nullopt;
  }
  return std::move(*vm);
}

std::optional<Plan> lower_or_report(const Vm& vm) {
  auto plan = lower(vm);
  if (!plan) {
    fmt::print(stderr, "{}", plan.error().render(vm.source_text));
    return std::nullopt;
  }
  return std::move(*plan);
}

std::optional<Compiled> compile_or_report(std::string_view path) {
  auto vm = load_manifest_or_report(path);
  if (!vm) return std::nullopt;
  auto plan = lower_or_report(*vm);
  if (!plan) return std::nullopt;
  return Compiled{std::move(*vm), std::move(*plan)};
}

CompileOutcome compile_diagnostics(std::string_view path) {
  auto vm = load_and_validate(path);
  if (!vm) return {std::nullopt, std::move(vm).error()};
  auto plan = lower(*vm);
  if (!plan) return {std::nullopt, std::move(plan).error()};
  return {vm->name, {}};
}

}  // namespace vmforge::cli
