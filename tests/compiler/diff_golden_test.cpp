// Golden diffs: for each tests/compiler/diff/NAME.old.toml + NAME.new.toml, the plan text
// `vmforge plan NAME.new.toml --from NAME.old.toml` prints is NAME.plan, byte for byte.
// VMFORGE_UPDATE_GOLDEN=1 rewrites the .plan files (review the change before committing).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "compiler/compile.hpp"
#include "compiler/diff.hpp"
#include "compiler/diff_render.hpp"

namespace fs = std::filesystem;
using namespace vmforge;

namespace {

fs::path golden_dir() { return fs::path(std::getenv("VMFORGE_SOURCE_DIR")) / "tests/compiler/diff"; }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Vm load(const fs::path& path) {
  auto vm = load_and_validate(path.string());
  if (!vm) FAIL(vm.error().render(slurp(path)));
  return std::move(*vm);
}

}  // namespace

TEST_CASE("every manifest pair diffs to its golden plan", "[compiler][diff]") {
  std::vector<fs::path> olds;
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".old.toml")) olds.push_back(entry.path());
  }
  std::sort(olds.begin(), olds.end());
  REQUIRE(olds.size() >= 10);
  const bool update = std::getenv("VMFORGE_UPDATE_GOLDEN") != nullptr;
  for (const fs::path& old_path : olds) {
    const std::string stem = old_path.filename().string().substr(0, old_path.filename().string().size() - 9);
    SECTION(stem) {
      const Vm old = load(old_path);
      const Vm desired = load(golden_dir() / (stem + ".new.toml"));
      auto planned = diff(desired, Current{resources_of(old), &old});
      if (!planned) FAIL(planned.error().message);
      const std::string text = render_diff_text(*planned);
      const fs::path golden = golden_dir() / (stem + ".plan");
      if (update) std::ofstream(golden, std::ios::binary) << text;
      CHECK(text == slurp(golden));
    }
  }
}

TEST_CASE("a manifest diffed with itself has no changes", "[compiler][diff]") {
  for (const auto& entry : fs::directory_iterator(golden_dir())) {
    if (entry.path().extension() != ".toml") continue;
    const Vm vm = load(entry.path());
    auto planned = diff(vm, Current{resources_of(vm), &vm});
    if (!planned) FAIL(planned.error().message);
    INFO(entry.path().filename().string() << "\n" << render_diff_text(*planned));
    CHECK(planned->empty());
  }
}

// QEMU shows no settings: against an observed set the last applied manifest speaks for them,
// and a device that manifest does not describe is not compared on them at all.
TEST_CASE("settings QEMU does not show come from the applied manifest", "[compiler][diff]") {
  const Vm old = load(golden_dir() / "unobserved-settings.old.toml");
  const Vm desired = load(golden_dir() / "unobserved-settings.new.toml");
  const ResourceSet made = resources_of(old);
  ResourceSet observed;
  for (const Resource* r : made.all()) {
    Resource seen = *r;
    seen.settings.clear();
    observed.add(std::move(seen));
  }
  auto planned = diff(desired, Current{observed, &old});
  REQUIRE(planned);
  INFO(render_diff_text(*planned));
  std::map<std::string, Action> actions;
  for (const Change& c : planned->changes) actions[c.resource] = c.action;
  CHECK(actions == std::map<std::string, Action>{
                       {"disk:data1", Action::replace}, {"net:eth1", Action::replace}, {"disk:root", Action::restart},
                       {"serial:ser0", Action::restart}});

  Vm without_data1 = old;
  std::erase_if(without_data1.disks, [](const Disk& d) { return d.id.str() == "data1"; });
  auto unknown = diff(desired, Current{observed, &without_data1});
  REQUIRE(unknown);
  for (const Change& c : unknown->changes) CHECK(c.resource != "disk:data1");
}
