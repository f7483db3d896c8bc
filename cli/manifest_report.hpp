// Compiling a manifest for a command that prints: on failure the diagnostics, with their source
// lines, go to stderr and the caller exits 1. Used by both programs (no library but the compiler).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/base/diagnostic.hpp"
#include "compiler/lower/lower.hpp"
#include "compiler/model/model.hpp"
#include "compiler/plan/plan.hpp"

namespace vmforge::cli {

/// Reads and validates the manifest at `path`.
std::optional<Vm> load_manifest_or_report(std::string_view path);

/// Validates a manifest already read: `text`, named `path` in diagnostics; relative paths as
/// validate_text() resolves them.
std::optional<Vm> validate_or_report(std::string_view text, std::string_view path, std::string_view paths_from = {});

/// lower(vm), its errors shown against vm.source_text.
std::optional<Plan> lower_or_report(const Vm& vm);

struct Compiled {
  Vm vm;
  Plan plan;
};

/// load_manifest_or_report() + lower_or_report(): what `compile` prints and `check` judges, so
/// that whatever compile refuses, check refuses.
std::optional<Compiled> compile_or_report(std::string_view path);

/// The same stages as compile_or_report(), the diagnostics kept as data (`check --json`):
/// the VM's name when it compiled, else the diagnostics of the stage that refused it.
struct CompileOutcome {
  std::optional<std::string> name;
  Diagnostics diagnostics;
};
CompileOutcome compile_diagnostics(std::string_view path);

}  // namespace vmforge::cli
