// redis_checkpointer: the checkpointer kept in a Redis server (hiredis), for consumer workers
// spread over several machines.
//
// Layout, per group G (the braces are literal: they make "G" the Redis Cluster hash tag, so
// every key of a group lands in one slot and the Lua scripts below may touch them together):
//   spate:{G}:lease:SHARD   hash, one per entry, every field a readable string:
//                             shard          the shard id
//                             parents        parent shard ids joined with ','
//                             checkpoint     sequence number, TRIM_HORIZON, SHARD_END or ""
//                             owner          worker holding the lease, "" when free
//                             pending_owner  worker asking for a handover, or ""
//                             renewed_ms     wall clock of the last write, ms since the epoch
//                             version        decimal, bumped by every write
//   spate:{G}:shards        sorted set indexing the shard ids of the group (all scores 0, so
//                           members come back in byte order)
// Inspect with redis-cli:
//   ZRANGE 'spate:{app/stream}:shards' 0 -1
//   HGETALL 'spate:{app/stream}:lease:shardId-000000000000'
//
// compare_and_set is one Lua script: it compares the stored version (missing entry = 0) with
// the expected one and writes every field plus the index entry, atomically. list() is one
// script too, so a listing is a consistent snapshot taken in one round trip, and so is clear().
// Scripts run by EVALSHA, loaded with SCRIPT LOAD the first time and again after NOSCRIPT
// (a restarted or flushed server).
//
// Connection: one per object, guarded by a mutex; 2 s connect timeout, 5 s command timeout.
// When a command fails on a connection that was already open (server restarted, idle
// connection dropped), the object reconnects once and repeats the command. If that
// repetition was a compare-and-set whose first attempt did reach the server, it reports a
// version conflict; callers handle that like any conflict (list and retry), which is safe.
//
// Thread safety: every method may be called from any thread.
#include "checkpoint/parents_field.h"

#include <spate/client/checkpointer.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/time.h>
#include <vector>

namespace spate::client {
namespace {

constexpr timeval connect_timeout = {2, 0};
constexpr timeval command_timeout = {5, 0};

struct context_freer {
  void operator()(redisContext* ctx) const { redisFree(ctx); }
};
using connection = std::unique_ptr<redisContext, context_freer>;

struct reply_freer {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_freer>;

// KEYS[1] lease hash, KEYS[2] shard index. ARGV[1] expected version, ARGV[2] new version,
// ARGV[3..8] shard, parents, checkpoint, owner, pending_owner, renewed_ms.
// Versions are compared as the decimal strings this file writes, so no Lua number rounding.
constexpr std::string_view compare_and_set_script = R"lua(
local stored = redis.call('HGET', KEYS[1], 'version') or '0'
if stored ~= ARGV[1] then return 0 end
redis.call('HMSET', KEYS[1], 'shard', ARGV[3], 'parents', ARGV[4], 'checkpoint', ARGV[5],
           'owner', ARGV[6], 'pending_owner', ARGV[7], 'renewed_ms', ARGV[8],
           'version', ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[3])
return 1
)lua";

// KEYS[1] shard index, ARGV[1] lease key prefix. One HGETALL field/value array per entry.
constexpr std::string_view list_script = R"lua(
local entries = {}
for _, shard in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. shard)
  if #fields > 0 then entries[#entries + 1] = fields end
end
return entries
)lua";

// KEYS[1] shard index, ARGV[1] lease key prefix. Returns how many entries were indexed.
constexpr std::string_view clear_script = R"lua(
local shards = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, shard in ipairs(shards) do redis.call('DEL', ARGV[1] .. shard) end
redis.call('DEL', KEYS[1])
return #shards
)lua";

// One script and the SHA1 the server gave it (empty until loaded).
struct lua_script {
  std::string_view source;
  std::string sha;
};

std::string lease_key_prefix(const std::string& group) {
  return "spate:{" + group + "}:lease:";
}
std::string index_key(const std::string& group) {
  return "spate:{" + group + "}:shards";
}

std::string_view reply_text(const redisReply* reply) {
  if (reply->str == nullptr) return {};
  return std::string_view(reply->str, reply->len);
}

template <class Int>
bool parse_integer(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

class redis_checkpointer final : public checkpointer {
 public:
  redis_checkpointer(std::string host, int port, int db)
      : host_(std::move(host)), port_(port), db_(db) {}

  // Connects now, so a wrong address fails at open time rather than at the first use.
  outcome<void> open() {
    std::lock_guard lock(mutex_);
    outcome<reply_ptr> pong = command({"PING"});
    if (!pong) return pong.err();
    return ok_t{};
  }

  outcome<std::vector<shard_lease>> list(const std::string& group) override {
    std::lock_guard lock(mutex_);
    outcome<reply_ptr> result = eval(list_, {index_key(group)}, {lease_key_prefix(group)});
    if (!result) return result.err();
    const redisReply* entries = result->get();
    if (entries->type != REDIS_REPLY_ARRAY) return malformed("list reply is not an array");
    std::vector<shard_lease> leases;
    leases.reserve(entries->elements);
    for (std::size_t i = 0; i < entries->elements; ++i) {
      outcome<shard_lease> lease = decode_lease(entries->element[i]);
      if (!lease) return lease.err();
      leases.push_back(std::move(*lease));
    }
    // The index already returns byte order; sorting again keeps the contract independent of it.
    std::sort(leases.begin(), leases.end(),
              [](const shard_lease& a, const shard_lease& b) { return a.shard_id < b.shard_id; });
    return leases;
  }

  outcome<bool> compare_and_set(const std::string& group, const shard_lease& entry,
                                std::uint64_t expected_version) override {
    if (auto bad = detail::unstorable_parents(entry)) return *bad;
    std::lock_guard lock(mutex_);
    outcome<reply_ptr> result =
        eval(compare_and_set_, {lease_key_prefix(group) + entry.shard_id, index_key(group)},
             {std::to_string(expected_version), std::to_string(expected_version + 1),
              entry.shard_id, detail::join_parents(entry.parent_shard_ids), entry.checkpoint,
              entry.owner, entry.pending_owner, std::to_string(entry.renewed_ms)});
    if (!result) return result.err();
    if ((*result)->type != REDIS_REPLY_INTEGER) {
      return malformed("compare-and-set reply is not an integer");
    }
    return (*result)->integer == 1;
  }

  outcome<void> clear(const std::string& group) override {
    std::lock_guard lock(mutex_);
    outcome<reply_ptr> result = eval(clear_, {index_key(group)}, {lease_key_prefix(group)});
    if (!result) return result.err();
    return ok_t{};
  }

 private:
  std::string where() const { return "redis " + host_ + ":" + std::to_string(port_); }

  error failure(std::string_view detail) const {
    return error{error_code::checkpoint_store, where() + ": " + std::string(detail)};
  }

  error malformed(std::string_view detail) const {
    return failure("unexpected data: " + std::string(detail));
  }

  outcome<void> connect() {
    connection ctx(redisConnectWithTimeout(host_.c_str(), port_, connect_timeout));
    if (!ctx) return failure("cannot connect: out of memory");
    if (ctx->err != 0) return failure(std::string("cannot connect: ") + ctx->errstr);
    if (redisSetTimeout(ctx.get(), command_timeout) != REDIS_OK) {
      return failure(std::string("cannot set the command timeout: ") + ctx->errstr);
    }
    if (db_ != 0) {
      const std::string db = std::to_string(db_);
      const char* argv[] = {"SELECT", db.c_str()};
      reply_ptr selected(static_cast<redisReply*>(redisCommandArgv(ctx.get(), 2, argv, nullptr)));
      if (!selected) return failure(std::string("SELECT failed: ") + ctx->errstr);
      if (selected->type == REDIS_REPLY_ERROR) {
        return failure("SELECT " + db + ": " + std::string(reply_text(selected.get())));
      }
    }
    ctx_ = std::move(ctx);
    return ok_t{};
  }

  // Sends one command; a server error reply is returned as a reply, a broken connection as an
  // error (after one reconnect if the connection was an old one).
  outcome<reply_ptr> command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    bool fresh_connection = false;
    for (;;) {
      if (!ctx_) {
        if (outcome<void> connected = connect(); !connected) return connected.err();
        fresh_connection = true;
      }
      auto* raw = static_cast<redisReply*>(
          redisCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
      if (raw != nullptr) return reply_ptr(raw);
      const std::string why = ctx_->errstr;
      ctx_.reset();  // hiredis contexts are unusable after an I/O error
      if (fresh_connection) return failure(why);
    }
  }

  // Runs a script by SHA, loading it first if this object or the server does not know it.
  outcome<reply_ptr> eval(lua_script& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (script.sha.empty()) {
        outcome<reply_ptr> loaded = command({"SCRIPT", "LOAD", std::string(script.source)});
        if (!loaded) return loaded.err();
        if ((*loaded)->type != REDIS_REPLY_STRING) {
          return failure("SCRIPT LOAD: " + std::string(reply_text(loaded->get())));
        }
        script.sha = std::string(reply_text(loaded->get()));
      }
      std::vector<std::string> request = {"EVALSHA", script.sha, std::to_string(keys.size())};
      request.insert(request.end(), keys.begin(), keys.end());
      request.insert(request.end(), args.begin(), args.end());
      outcome<reply_ptr> result = command(request);
      if (!result) return result.err();
      if ((*result)->type != REDIS_REPLY_ERROR) return result;
      const std::string_view message = reply_text(result->get());
      if (!message.starts_with("NOSCRIPT")) return failure(message);
      script.sha.clear();  // the server lost its script cache: load again
    }
    return failure("the server keeps forgetting the checkpointer's Lua scripts");
  }

  outcome<shard_lease> decode_lease(const redisReply* fields) const {
    if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
      return malformed("a lease is not a field/value array");
    }
    shard_lease lease;
    for (std::size_t i = 0; i < fields->elements; i += 2) {
      const std::string_view name = reply_text(fields->element[i]);
      const std::string_view value = reply_text(fields->element[i + 1]);
      if (name == "shard") {
        lease.shard_id = value;
      } else if (name == "parents") {
        lease.parent_shard_ids = detail::split_parents(value);
      } else if (name == "checkpoint") {
        lease.checkpoint = value;
      } else if (name == "owner") {
        lease.owner = value;
      } else if (name == "pending_owner") {
        lease.pending_owner = value;
      } else if (name == "renewed_ms") {
        if (!parse_integer(value, lease.renewed_ms)) {
          return malformed("renewed_ms '" + std::string(value) + "' is not an integer");
        }
      } else if (name == "version") {
        if (!parse_integer(value, lease.version)) {
          return malformed("version '" + std::string(value) + "' is not an integer");
        }
      }  // unknown fields are left for newer writers
    }
    if (lease.shard_id.empty()) return malformed("a lease has no shard field");
    return lease;
  }

  const std::string host_;
  const int port_;
  const int db_;
  std::mutex mutex_;
  connection ctx_;  // guarded by mutex_; null until connected and after a broken connection
  lua_script compare_and_set_{compare_and_set_script, {}};  // guarded by mutex_
  lua_script list_{list_script, {}};                        // guarded by mutex_
  lua_script clear_{clear_script, {}};                      // guarded by mutex_
};

}  // namespace

outcome<std::shared_ptr<checkpointer>> make_redis_checkpointer(const std::string& host, int port,
                                                               int db) {
  if (host.empty() || port <= 0 || port > 65535 || db < 0) {
    return error{error_code::invalid_option,
                 "redis checkpointer needs a host, a port in 1..65535 and a database >= 0 (got '" +
                     host + "', " + std::to_string(port) + ", " + std::to_string(db) + ")"};
  }
  auto store = std::make_shared<redis_checkpointer>(host, port, db);
  if (outcome<void> opened = store->open(); !opened) return opened.err();
  return std::shared_ptr<checkpointer>(std::move(store));
}

}  // namespace spate::client
