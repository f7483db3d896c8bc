// <vmforge/control.hpp> as an embedding program uses it, built by install_test.sh from the
// install alone: every request of VmClient against the supervisor of a running VM.
// Usage: control NAME RUNTIME_DIR CHANGED_MANIFEST. The VM runs its manifest; CHANGED_MANIFEST
// adds a hot-pluggable NIC to it. Prints each failed check and exits 1 if there was one;
// leaves the VM running (the README's example stops it).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <vmforge/control.hpp>

namespace {

using vmforge::supervisor::VmClient;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: control NAME RUNTIME_DIR CHANGED_MANIFEST\n");
    return 2;
  }
  const std::string name = argv[1];
  const std::string runtime_dir = argv[2];
  const vmforge::supervisor::ManifestSource changed{argv[3], text_of(argv[3])};

  auto absent = VmClient::connect("no-such-vm", runtime_dir);
  check(!absent && absent.error().message.find("'no-such-vm' is not running") != std::string::npos,
        "connect to a VM that does not run: " + (absent ? std::string("connected") : absent.error().message));

  auto vm = VmClient::connect(name, runtime_dir);
  if (!vm) {
    check(false, "connect: " + vm.error().message);
    return 1;
  }
  auto status = vm->status();
  check(status && status->get_string("name") == name && status->get_bool("healthy") == true,
        "status: " + (status ? status->to_json() : status.error().message));
  const std::string manifest(status ? status->get_string("manifest").value_or("") : "");

  auto same = vm->plan({manifest, text_of(manifest)});
  check(same && same->get_uint64("changes") == 0u,
        "plan of the running manifest: " + (same ? same->to_json() : same.error().message));
  auto plan = vm->plan(changed);
  check(plan && plan->get_uint64("changes") == 1u &&
            plan->get_string("text").value_or("").find("net:n1") != std::string::npos,
        "plan of the changed manifest: " +
            (plan ? std::string(plan->get_string("text").value_or("")) : plan.error().message));

  // With a status callback: the reply is told from the events the request subscribed to (a
  // live apply announces nothing; the README's example sees a stop's steps).
  auto applied = vm->apply(changed, {.on_status = [](std::string_view) {}});
  check(applied && applied->get_bool("ok") == true,
        "apply: " + (applied ? applied->to_json() : applied.error().message));
  auto after = vm->plan(changed);
  check(after && after->get_uint64("changes") == 0u, "plan after apply: no changes");

  auto qemu = vm->qmp(R"({"execute":"query-status"})");
  check(qemu && qemu->get_string("status") == "running",
        "qmp query-status: " + (qemu ? qemu->to_json() : qemu.error().message));
  auto bad = vm->qmp(R"({"execute":"no-such-command"})");
  check(!bad, "qmp of an unknown command fails: " + (bad ? bad->to_json() : bad.error().message));

  auto events = VmClient::connect(name, runtime_dir);
  const bool subscribed = events && events->subscribe_events();
  check(subscribed, "subscribe to events");
  if (subscribed) {
    auto first = events->next_event(std::chrono::seconds(10));
    check(first && first->get_string("event") == "STATE",
          "the first event is the state: " + (first ? first->to_json() : first.error().message));
  }
  return failures == 0 ? 0 : 1;
}
