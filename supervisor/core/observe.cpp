// The two query rounds of observe(), pipelined on the async QMP client.
#include "supervisor/core/observe.hpp"

#include <memory>
#include <string>
#include <vector>

namespace vmforge::supervisor {
namespace {

constexpr qmp::Timeout kQueryTimeout = std::chrono::seconds(5);

// Sends every query at once and calls `done` with all replies in query order (null for a
// failed optional query), or the first failure of a query that is not optional.
void run_batch(qmp::Client& client, const std::vector<Query>& queries, bool reuse,
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
    auto handler = [batch, i, optional](Result<JsonValue> reply) {
      if (batch->failed) return;
      if (reply) {
        batch->replies[i] = std::move(*reply);
      } else if (!optional) {
        batch->failed = true;
        batch->done(unexpected(std::move(reply).error()));
        return;
      }
      if (--batch->left == 0) batch->done(std::move(batch->replies));
    };
    auto sent = reuse ? client.query(queries[i].call, kQueryTimeout, std::move(handler))
                      : client.execute(queries[i].call, kQueryTimeout, std::move(handler));
    if (batch->failed) return;  // a reused failure
    if (!sent) {
      batch->failed = true;
      batch->done(unexpected(std::move(sent).error()));
      return;
    }
  }
}

}  // namespace

void observe(qmp::Client& client, ObserveContext context, std::function<void(Result<ResourceSet>)> done) {
  qmp::Client* c = &client;
  run_batch(client, first_queries(), context.reuse_replies,
            [c, context, done](Result<std::vector<JsonValue>> replies) mutable {
              if (!replies) return done(unexpected(std::move(replies).error()));
              auto first = std::make_shared<FirstReplies>(first_replies(std::move(*replies)));
              auto wanted = std::make_shared<SecondQueries>(second_queries(*first, context));
              run_batch(*c, second_calls(*wanted), context.reuse_replies,
                        [first, wanted, context, done](Result<std::vector<JsonValue>> replies2) {
                          if (!replies2) return done(unexpected(std::move(replies2).error()));
                          done(build_observed(*first, second_replies(*wanted, std::move(*replies2)), context));
                        });
            });
}

}  // namespace vmforge::supervisor
