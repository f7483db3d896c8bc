// The two query rounds of observe(), pipelined on the async QMP client.
#include "supervisor/core/observe.hpp"

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/base/json_writer.hpp"

namespace vmforge::supervisor {
namespace {

constexpr qmp::Timeout kQueryTimeout = std::chrono::seconds(5);

struct Query {
  std::string command;
  std::string arguments;
  // An error reply of one of these classes means "nothing of that kind here".
  bool optional = false;
};

std::string path_args(std::string_view path) {
  JsonWriter w;
  w.begin_object().field("path", path).end_object();
  return w.take();
}

std::string qom_get_args(std::string_view device, std::string_view property) {
  JsonWriter w;
  w.begin_object().field("path", fmt::format("/machine/peripheral/{}", device)).field("property", property).end_object();
  return w.take();
}

// Sends every query at once and calls `done` with all replies in query order, or the first
// failure of a query that is not optional.
void run_batch(qmp::Client& client, std::vector<Query> queries,
               std::function<void(Result<std::vector<JsonValue>>)> done) {
  struct Batch {
    std::vector<JsonValue> replies;
    std::size_t left = 0;
    bool failed = false;
    std::function<void(Result<std::vector<JsonValue>>)> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->replies.resize(queries.size());
  batch->left = queries.size();
  batch->done = std::move(done);
  if (queries.empty()) {
    batch->done(std::move(batch->replies));
    return;
  }
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const bool optional = queries[i].optional;
    auto sent = client.execute(queries[i].command, queries[i].arguments, kQueryTimeout,
                               [batch, i, optional](Result<JsonValue> reply) {
                                 if (batch->failed) return;
                                 if (reply) {
                                   batch->replies[i] = std::move(*reply);
                                 } else if (!optional) {
                                   batch->failed = true;
                                   batch->done(unexpected(std::move(reply).error()));
                                   return;
                                 }
                                 if (--batch->left == 0) batch->done(std::move(batch->replies));
                               });
    if (!sent) {
      batch->failed = true;
      batch->done(unexpected(std::move(sent).error()));
      return;
    }
  }
}

bool bus_has_child(const JsonValue& list) {
  if (const JsonArray* items = list.as_array()) {
    for (const JsonValue& item : *items) {
      auto name = item.get_string("name");
      if (name && name->starts_with("child[")) return true;
    }
  }
  return false;
}

}  // namespace

void observe(qmp::Client& client, ObserveContext context, std::function<void(Result<ResourceSet>)> done) {
  std::vector<Query> first{
      {"qom-list", path_args("/machine/peripheral")},
      {"query-block", ""},
      {"query-named-block-nodes", R"({"flat":true})"},
      {"query-chardev", ""},
      {"human-monitor-command", R"({"command-line":"info network"})"},
      {"query-hotpluggable-cpus", "", true},
      {"query-memory-devices", "", true},
      {"qom-list", path_args("/objects")},
  };
  qmp::Client* c = &client;
  run_batch(client, std::move(first), [c, context, done](Result<std::vector<JsonValue>> replies) mutable {
    if (!replies) return done(unexpected(std::move(replies).error()));
    auto r = std::move(*replies);
    auto state = std::make_shared<FirstReplies>();
    state->peripheral = std::move(r[0]);
    state->block = std::move(r[1]);
    state->nodes = std::move(r[2]);
    state->chardevs = std::move(r[3]);
    state->network = std::string(r[4].as_string().value_or(""));
    state->cpus = std::move(r[5]);
    state->memory_devices = std::move(r[6]);
    state->objects = std::move(r[7]);

    SecondQueries wanted = second_queries(*state, context);
    std::vector<Query> second;
    for (const PropertyQuery& q : wanted.properties) second.push_back({"qom-get", qom_get_args(q.device, q.property), true});
    for (const std::string& port : wanted.ports) {
      second.push_back({"qom-list", path_args(fmt::format("/machine/peripheral/{}/{}", port, port))});
    }
    run_batch(*c, std::move(second),
              [state, wanted = std::move(wanted), context, done](Result<std::vector<JsonValue>> replies2) {
                if (!replies2) return done(unexpected(std::move(replies2).error()));
                SecondReplies second_replies;
                std::size_t i = 0;
                for (const PropertyQuery& q : wanted.properties) {
                  JsonValue& v = (*replies2)[i++];
                  if (!v.is_null()) second_replies.properties[q.device][q.property] = std::move(v);
                }
                for (const std::string& port : wanted.ports) second_replies.port_busy[port] = bus_has_child((*replies2)[i++]);
                done(build_observed(*state, second_replies, context));
              });
  });
}

}  // namespace vmforge::supervisor
