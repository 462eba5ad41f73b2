// sqlite_checkpointer: the checkpointer kept in one SQLite file, the default store. The
// processes of one machine can share the file: it is opened in WAL mode (readers never block
// the writer) with a 5 s busy timeout (a writer waits for another instead of failing; the
// switch of a new file to WAL, which SQLite refuses at once when it is busy, is retried as long),
// and
// every operation is one auto-committed statement, so a compare-and-set is atomic across
// connections and processes. Opened with store_open::existing_only it creates nothing: the
// file must exist and carry the schema below, or the open fails before anything is written.
//
// Schema (PRAGMA user_version = 1):
//   CREATE TABLE shard_leases (
//     grp TEXT, shard_id TEXT,       -- primary key
//     parents TEXT,                  -- parent shard ids joined with ','
//     checkpoint TEXT, owner TEXT, pending_owner TEXT,
//     renewed_ms INTEGER, version INTEGER)
// Inspect it with: sqlite3 FILE 'SELECT * FROM shard_leases ORDER BY grp, shard_id'
//
// Durability: synchronous=NORMAL, the usual WAL setting. A crash of the process loses
// nothing; a power loss may lose the last few writes, which means a consumer re-reads a few
// records (checkpoints are at-least-once anyway).
//
// Thread safety: one connection per object; its prepared statements are reused under a mutex,
// so every method may be called from any thread.
#include "checkpoint/parents_field.h"
#include "client/backoff.h"

#include <spate/client/checkpointer.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spate::client {
namespace {

constexpr int busy_timeout_ms = 5000;
// Backoff between attempts to switch a new file to WAL: up to 5 ms at first, up to 100 ms later.
const retry_options wal_retry{.base_delay = std::chrono::milliseconds(5),
                              .max_delay = std::chrono::milliseconds(100)};
constexpr int schema_version = 1;

struct database_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using database = std::unique_ptr<sqlite3, database_closer>;

struct statement_finalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using statement = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

// One use of a reused prepared statement: resets it and drops its bindings at scope exit, so
// the next use starts clean and no read transaction stays open.
class statement_use {
 public:
  explicit statement_use(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~statement_use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

constexpr const char* create_table_sql =
    "CREATE TABLE IF NOT EXISTS shard_leases ("
    " grp TEXT NOT NULL,"
    " shard_id TEXT NOT NULL,"
    " parents TEXT NOT NULL,"
    " checkpoint TEXT NOT NULL,"
    " owner TEXT NOT NULL,"
    " pending_owner TEXT NOT NULL,"
    " renewed_ms INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " PRIMARY KEY (grp, shard_id)"
    ") WITHOUT ROWID";

// Parameters shared by insert and update: ?1 grp, ?2 shard_id, ?3 parents, ?4 checkpoint,
// ?5 owner, ?6 pending_owner, ?7 renewed_ms, ?8 expected version (update only).
constexpr const char* list_sql =
    "SELECT shard_id, parents, checkpoint, owner, pending_owner, renewed_ms, version"
    " FROM shard_leases WHERE grp = ?1 ORDER BY shard_id";
constexpr const char* insert_sql =
    "INSERT OR IGNORE INTO shard_leases"
    " (grp, shard_id, parents, checkpoint, owner, pending_owner, renewed_ms, version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)";
constexpr const char* update_sql =
    "UPDATE shard_leases SET parents = ?3, checkpoint = ?4, owner = ?5, pending_owner = ?6,"
    " renewed_ms = ?7, version = ?8 + 1"
    " WHERE grp = ?1 AND shard_id = ?2 AND version = ?8";
constexpr const char* clear_sql = "DELETE FROM shard_leases WHERE grp = ?1";

class sqlite_checkpointer final : public checkpointer {
 public:
  static outcome<std::shared_ptr<checkpointer>> open(const std::string& path, store_open mode) {
    auto self = std::shared_ptr<sqlite_checkpointer>(new sqlite_checkpointer(path));
    if (outcome<void> opened = self->open_database(mode); !opened) return opened.err();
    return std::shared_ptr<checkpointer>(std::move(self));
  }

  outcome<std::vector<shard_lease>> list(const std::string& group) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = list_.get();
    statement_use use(stmt);
    bind_text(stmt, 1, group);
    std::vector<shard_lease> entries;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      shard_lease& entry = entries.emplace_back();
      entry.shard_id = column_text(stmt, 0);
      entry.parent_shard_ids = detail::split_parents(column_text(stmt, 1));
      entry.checkpoint = column_text(stmt, 2);
      entry.owner = column_text(stmt, 3);
      entry.pending_owner = column_text(stmt, 4);
      entry.renewed_ms = sqlite3_column_int64(stmt, 5);
      entry.version = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 6));
    }
    if (rc != SQLITE_DONE) return failure("listing group '" + group + "'");
    return entries;
  }

  outcome<bool> compare_and_set(const std::string& group, const shard_lease& entry,
                                std::uint64_t expected_version) override {
    if (auto bad = detail::unstorable_parents(entry)) return *bad;
    std::lock_guard lock(mutex_);
    // Expected 0: the entry must not exist, so an insert that the primary key may ignore.
    // Otherwise: an update that matches only the expected version.
    sqlite3_stmt* stmt = expected_version == 0 ? insert_.get() : update_.get();
    statement_use use(stmt);
    bind_text(stmt, 1, group);
    bind_text(stmt, 2, entry.shard_id);
    bind_text(stmt, 3, detail::join_parents(entry.parent_shard_ids));
    bind_text(stmt, 4, entry.checkpoint);
    bind_text(stmt, 5, entry.owner);
    bind_text(stmt, 6, entry.pending_owner);
    sqlite3_bind_int64(stmt, 7, entry.renewed_ms);
    if (expected_version != 0) {
      sqlite3_bind_int64(stmt, 8, static_cast<sqlite3_int64>(expected_version));
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
      return failure("writing shard '" + entry.shard_id + "' of group '" + group + "'");
    }
    return sqlite3_changes(db_.get()) == 1;
  }

  outcome<void> clear(const std::string& group) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = clear_.get();
    statement_use use(stmt);
    bind_text(stmt, 1, group);
    if (sqlite3_step(stmt) != SQLITE_DONE) return failure("clearing group '" + group + "'");
    return ok_t{};
  }

 private:
  explicit sqlite_checkpointer(std::string path) : path_(std::move(path)) {}

  error failure(const std::string& what) const {
    const char* detail = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
    return error{error_code::checkpoint_store, "sqlite " + path_ + ": " + what + ": " + detail};
  }

  outcome<void> exec(const char* sql, const std::string& what) {
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return failure(what);
    }
    return ok_t{};
  }

  outcome<void> prepare(const char* sql, statement& out) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    out.reset(raw);
    if (rc != SQLITE_OK) return failure("preparing a statement");
    return ok_t{};
  }

  outcome<int> read_user_version() {
    statement stmt;
    if (outcome<void> prepared = prepare("PRAGMA user_version", stmt); !prepared) {
      return prepared.err();
    }
    if (sqlite3_step(stmt.get()) != SQLITE_ROW) return failure("reading the schema version");
    return sqlite3_column_int(stmt.get(), 0);
  }

  error other_schema(int version) const {
    return error{error_code::checkpoint_store,
                 "sqlite " + path_ + ": schema version " + std::to_string(version) +
                     " is not the one this library uses (" + std::to_string(schema_version) + ")"};
  }

  // Creates the table and stamps the schema version inside one write transaction, so two
  // processes opening a new file at once do not race.
  outcome<void> create_schema() {
    if (outcome<void> r = exec(create_table_sql, "creating the table"); !r) return r;
    outcome<int> version = read_user_version();
    if (!version) return version.err();
    if (*version == 0) {
      const std::string stamp = "PRAGMA user_version = " + std::to_string(schema_version);
      return exec(stamp.c_str(), "writing the schema version");
    }
    if (*version != schema_version) return other_schema(*version);
    return ok_t{};
  }

  // An existing store only: the file must be there and already hold this library's schema.
  outcome<void> check_existing_schema() {
    outcome<int> version = read_user_version();
    if (!version) return version.err();
    if (*version == 0) {
      return error{error_code::checkpoint_store,
                   "sqlite " + path_ + ": not a Spate checkpoint store (no schema)"};
    }
    if (*version != schema_version) return other_schema(*version);
    return ok_t{};
  }

  outcome<void> open_database(store_open mode) {
    const bool create = mode == store_open::create_if_missing;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(
        path_.c_str(), &raw, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), nullptr);
    db_.reset(raw);  // a failed open still returns a handle that must be closed
    if (rc == SQLITE_CANTOPEN && !create) {
      return error{error_code::checkpoint_store,
                   "sqlite " + path_ + ": no checkpoint store there (a consumer creates it)"};
    }
    if (rc != SQLITE_OK) return failure("cannot open");
    sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
    if (!create) {
      // Checked before anything writes, so a file that is not a store is left as it was (an
      // existing store is in WAL mode already; synchronous is per connection).
      if (outcome<void> r = check_existing_schema(); !r) return r;
      if (outcome<void> r = exec("PRAGMA synchronous = NORMAL", "setting synchronous"); !r) {
        return r;
      }
      return prepare_statements();
    }
    if (outcome<void> r = enable_wal(); !r) return r;
    if (outcome<void> r = exec("PRAGMA synchronous = NORMAL", "setting synchronous"); !r) {
      return r;
    }
    if (outcome<void> r = exec("BEGIN IMMEDIATE", "starting the schema transaction"); !r) {
      return r;
    }
    if (outcome<void> r = create_schema(); !r) {
      (void)exec("ROLLBACK", "rolling back");
      return r;
    }
    if (outcome<void> r = exec("COMMIT", "committing the schema"); !r) return r;
    return prepare_statements();
  }

  // Switching a new file to WAL needs it to itself for a moment; while another process is
  // switching or creating it too, SQLite can answer SQLITE_BUSY at once instead of calling the
  // busy handler (waiting could deadlock). Retried, after jittered backoffs so that processes
  // opening together spread apart, until the busy timeout has passed.
  outcome<void> enable_wal() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    for (int retry = 0;; ++retry) {
      outcome<void> r = exec("PRAGMA journal_mode = WAL", "enabling WAL");
      if (r || sqlite3_errcode(db_.get()) != SQLITE_BUSY) return r;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return r;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          detail::backoff_delay(wal_retry, retry), deadline - now));
    }
  }

  outcome<void> prepare_statements() {
    for (auto [sql, stmt] : {std::pair{list_sql, &list_}, std::pair{insert_sql, &insert_},
                             std::pair{update_sql, &update_}, std::pair{clear_sql, &clear_}}) {
      if (outcome<void> r = prepare(sql, *stmt); !r) return r;
    }
    return ok_t{};
  }

  std::mutex mutex_;
  const std::string path_;
  database db_;  // guarded by mutex_ after open(), as are the statements below
  statement list_;
  statement insert_;
  statement update_;
  statement clear_;
};

}  // namespace

outcome<std::shared_ptr<checkpointer>> make_sqlite_checkpointer(const std::string& path,
                                                                store_open mode) {
  if (path.empty()) {
    return error{error_code::invalid_option, "the SQLite checkpointer needs a file path"};
  }
  return sqlite_checkpointer::open(path, mode);
}

}  // namespace spate::client
