// The handshake lines: JSON objects on one line each, checked member by member.
#include "supervisor/core/migration_handshake.hpp"

#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "compiler/base/json_value.hpp"
#include "compiler/base/json_writer.hpp"

namespace vmforge::supervisor {
namespace {

constexpr std::size_t kMaxPorts = 255;  // one PCI bus number each
constexpr std::uint64_t kMaxSlot = 31;  // a PCI bus has 32 slots

Error bad(std::string_view what) { return Error(fmt::format("not a vmforge migration handshake: {}", what), EPROTO); }

// Each member of the object `from` into `pins`, its value through `read` (nullopt: "the
// `what` of 'ID' is `wrong`").
template <typename Value, typename Read>
Result<void> read_pins(const JsonValue& from, std::string_view what, std::string_view wrong,
                       std::map<std::string, Value>& pins, Read read) {
  for (const JsonMember& m : *from.as_object()) {
    std::optional<Value> value = read(m.value);
    if (!value) return unexpected(bad(fmt::format("the {} of '{}' is {}", what, m.key, wrong)));
    if (!pins.emplace(m.key, std::move(*value)).second) {
      return unexpected(bad(fmt::format("'{}' is pinned twice", m.key)));
    }
  }
  return {};
}

}  // namespace

std::string hello_line(const MigrationHello& hello) {
  JsonWriter w;
  w.begin_object().field("vmforge_migration", hello.version).field("vm", hello.vm);
  w.key("pins").begin_object().field("root_ports", static_cast<std::uint64_t>(hello.pins.root_ports));
  w.key("ports").begin_object();
  for (const auto& [device, port] : hello.pins.ports) w.field(device, port);
  w.end_object().key("slots").begin_object();
  for (const auto& [device, slot] : hello.pins.slots) w.field(device, static_cast<std::uint64_t>(slot));
  w.end_object().end_object().end_object();
  return w.take() + "\n";
}

Result<MigrationHello> parse_hello(std::string_view line) {
  auto json = parse_json(line);
  if (!json) return unexpected(bad(json.error().message));
  auto version = json->get_uint64("vmforge_migration");
  if (!version) return unexpected(bad("no 'vmforge_migration' version"));
  if (*version != kHandshakeVersion) {
    return unexpected(Error(fmt::format("the source speaks handshake version {}, this vmforge version {}; run the "
                                        "same vmforge version on both hosts",
                                        *version, kHandshakeVersion),
                            EPROTO));
  }
  MigrationHello hello;
  auto vm = json->get_string("vm");
  if (!vm) return unexpected(bad("no 'vm' name"));
  hello.vm = std::string(*vm);
  const JsonValue* pins = json->find("pins");
  auto root_ports = pins ? pins->get_uint64("root_ports") : std::nullopt;
  const JsonValue* ports = pins ? pins->find("ports") : nullptr;
  const JsonValue* slots = pins ? pins->find("slots") : nullptr;
  if (!root_ports || *root_ports > kMaxPorts || !ports || !ports->as_object() || !slots || !slots->as_object()) {
    return unexpected(bad("no valid 'pins' ('root_ports' up to 255, a 'ports' and a 'slots' object)"));
  }
  hello.pins.root_ports = static_cast<std::size_t>(*root_ports);
  VMFORGE_TRY_VOID(read_pins(*ports, "port", "not a string", hello.pins.ports, [](const JsonValue& v) {
    auto port = v.as_string();
    return port ? std::optional<std::string>(*port) : std::nullopt;
  }));
  VMFORGE_TRY_VOID(read_pins(*slots, "slot", "not 0 to 31", hello.pins.slots, [](const JsonValue& v) {
    auto slot = v.as_uint64();
    return slot && *slot <= kMaxSlot ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(*slot)) : std::nullopt;
  }));
  return hello;
}

std::string reply_line(std::string_view refusal) {
  JsonWriter w;
  w.begin_object().field("ok", refusal.empty());
  if (!refusal.empty()) w.field("error", refusal);
  w.end_object();
  return w.take() + "\n";
}

Result<void> parse_reply(std::string_view line) {
  auto json = parse_json(line);
  if (!json) return unexpected(bad(json.error().message));
  auto ok = json->get_bool("ok");
  if (!ok) return unexpected(bad("no 'ok' in the reply"));
  if (*ok) return {};
  return unexpected(Error(std::string(json->get_string("error").value_or("no reason given")), EPERM));
}

}  // namespace vmforge::supervisor
