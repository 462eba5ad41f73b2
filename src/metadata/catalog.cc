// SQLite-backed catalog: schema, statements and one transaction per change.
#include "metadata/catalog.h"

#include "common/incident.h"
#include "metadata/errc.h"

#include <sqlite3.h>

#include <cstdio>
#include <string>

namespace spate::metadata {
namespace {

// 2: consumers. 3: shard-level metrics, maximum record size and warm throughput per stream;
// resource policies; account settings.
constexpr int schema_version = catalog_schema_version;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS streams (
  name             TEXT PRIMARY KEY,
  arn              TEXT NOT NULL,
  status           TEXT NOT NULL,
  mode             TEXT NOT NULL,
  retention_hours  INTEGER NOT NULL,
  created_ms       INTEGER NOT NULL,
  encryption_type  TEXT NOT NULL,
  kms_key_id       TEXT NOT NULL,
  next_shard_index INTEGER NOT NULL,
  shard_level_metrics TEXT NOT NULL DEFAULT '',
  max_record_size_kib INTEGER NOT NULL DEFAULT 1024,
  warm_target_mibs    INTEGER NOT NULL DEFAULT 0,
  warm_current_mibs   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS shards (
  stream            TEXT NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
  shard_index       INTEGER NOT NULL,
  hash_start        TEXT NOT NULL,
  hash_end          TEXT NOT NULL,
  parent            INTEGER,
  adjacent_parent   INTEGER,
  starting_position INTEGER NOT NULL,
  ending_position   INTEGER,
  created_ms        INTEGER NOT NULL,
  PRIMARY KEY (stream, shard_index)
);
CREATE TABLE IF NOT EXISTS tags (
  stream TEXT NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (stream, key)
);
CREATE TABLE IF NOT EXISTS consumers (
  stream     TEXT NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  arn        TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (stream, name)
);
CREATE TABLE IF NOT EXISTS policies (
  arn      TEXT PRIMARY KEY,
  stream   TEXT NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
  consumer TEXT NOT NULL,
  policy   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_settings (
  id                INTEGER PRIMARY KEY CHECK (id = 1),
  commitment_status TEXT NOT NULL,
  started_ms        INTEGER NOT NULL,
  ended_ms          INTEGER NOT NULL,
  earliest_end_ms   INTEGER NOT NULL
);
)sql";

// Version 2 -> 3: the streams table gains its per-stream settings (the new tables come from
// schema_sql's CREATE TABLE IF NOT EXISTS, as version 1 -> 2's consumers table did). A column
// is added only when missing, so a file that already has it upgrades all the same.
struct added_column {
  const char* name;
  const char* definition;
};
constexpr added_column columns_of_3[] = {
    {"shard_level_metrics", "TEXT NOT NULL DEFAULT ''"},
    {"max_record_size_kib", "INTEGER NOT NULL DEFAULT 1024"},
    {"warm_target_mibs", "INTEGER NOT NULL DEFAULT 0"},
    {"warm_current_mibs", "INTEGER NOT NULL DEFAULT 0"},
};

// One prepared statement, finalized on destruction. Errors surface from step().
// A failed write of the catalog is an incident an operator must see (incident.h) when it is
// the disk's or the file's fault, not the request's (a constraint, a missing row). Returns the
// error for the caller.
std::error_code write_failure(int rc) {
  switch (rc & 0xff) {  // the primary result code
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      incident::report(incident::kind::catalog_write_failed, "writing the catalog failed",
                       sqlite_error(rc));
      break;
    default:
      break;
  }
  return sqlite_error(rc);
}

class statement {
 public:
  statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~statement() { sqlite3_finalize(stmt_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, std::string_view text) {
    if (rc_ == SQLITE_OK) {
      rc_ =
          sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    return *this;
  }
  statement& bind(int i, std::int64_t value) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  template <class T>
  statement& bind(int i, const std::optional<T>& value) {
    if (value) return bind(i, static_cast<std::int64_t>(*value));
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, i);
    return *this;
  }

  // SQLITE_ROW while rows come, then SQLITE_DONE; any other code is an error.
  int step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
  result<void> run() {
    int rc = step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return write_failure(rc);
    return {};
  }

  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class transaction {
 public:
  explicit transaction(sqlite3* db) : db_(db) {
    rc_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  }
  ~transaction() {
    if (rc_ == SQLITE_OK && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  result<void> begun() const {
    if (rc_ != SQLITE_OK) return write_failure(rc_);
    return {};
  }
  result<void> commit() {
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return write_failure(rc);
    committed_ = true;
    return {};
  }

 private:
  sqlite3* db_;
  int rc_;
  bool committed_ = false;
};

std::optional<uint128> parse_hash(const std::string& s) {
  return parse_uint128(s);
}

std::string join_metrics(const std::vector<std::string>& metrics) {
  std::string out;
  for (const auto& m : metrics) {
    if (!out.empty()) out += ',';
    out += m;
  }
  return out;
}

std::vector<std::string> split_metrics(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

// --- names ---

std::string_view to_string(stream_status status) {
  switch (status) {
    case stream_status::creating:
      return "CREATING";
    case stream_status::active:
      return "ACTIVE";
    case stream_status::updating:
      return "UPDATING";
    case stream_status::deleting:
      return "DELETING";
  }
  return "?";
}

std::string_view to_string(stream_mode mode) {
  return mode == stream_mode::on_demand ? "ON_DEMAND" : "PROVISIONED";
}

std::optional<stream_status> parse_stream_status(std::string_view name) {
  for (auto s : {stream_status::creating, stream_status::active, stream_status::updating,
                 stream_status::deleting}) {
    if (to_string(s) == name) return s;
  }
  return std::nullopt;
}

std::optional<stream_mode> parse_stream_mode(std::string_view name) {
  if (name == "PROVISIONED") return stream_mode::provisioned;
  if (name == "ON_DEMAND") return stream_mode::on_demand;
  return std::nullopt;
}

std::string_view to_string(consumer_status status) {
  switch (status) {
    case consumer_status::creating:
      return "CREATING";
    case consumer_status::active:
      return "ACTIVE";
    case consumer_status::deleting:
      return "DELETING";
  }
  return "?";
}

std::optional<consumer_status> parse_consumer_status(std::string_view name) {
  for (auto s : {consumer_status::creating, consumer_status::active, consumer_status::deleting}) {
    if (to_string(s) == name) return s;
  }
  return std::nullopt;
}

// --- catalog ---

catalog::catalog(sqlite3* db) : db_(db) {}

catalog::~catalog() {
  sqlite3_close_v2(db_);
}

result<std::unique_ptr<catalog>> catalog::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<catalog> c(new catalog(db));  // owns db even when opening failed
  if (rc != SQLITE_OK) return sqlite_error(rc);
  sqlite3_busy_timeout(db, 5000);
  SPATE_TRY_VOID(c->exec("PRAGMA journal_mode=WAL"));
  SPATE_TRY_VOID(c->exec("PRAGMA synchronous=FULL"));
  SPATE_TRY_VOID(c->exec("PRAGMA foreign_keys=ON"));
  SPATE_TRY_VOID(c->exec(schema_sql));

  std::optional<std::int64_t> stored;
  {
    statement version(db, "SELECT version FROM schema_version");  // finalized before changes
    if (version.step() == SQLITE_ROW) stored = version.integer(0);
  }
  if (stored) {
    const std::int64_t found = *stored;
    if (found > schema_version) return errc::schema_too_new;
    if (found < schema_version) {
      // Earlier versions lack tables that schema_sql has just created, and (before 3) the
      // streams table's newer columns; one transaction adds them and records the version.
      transaction tx(db);
      SPATE_TRY_VOID(tx.begun());
      for (const auto& column : columns_of_3) {
        bool present = false;
        {
          statement probe(db, "SELECT 1 FROM pragma_table_info('streams') WHERE name = ?");
          present = probe.bind(1, column.name).step() == SQLITE_ROW;
        }
        if (present) continue;
        const std::string sql =
            std::string("ALTER TABLE streams ADD COLUMN ") + column.name + " " + column.definition;
        SPATE_TRY_VOID(c->exec(sql.c_str()));
      }
      {
        statement update(db, "UPDATE schema_version SET version = ?");
        SPATE_TRY_VOID(update.bind(1, std::int64_t{schema_version}).run());
      }
      SPATE_TRY_VOID(tx.commit());
    }
  } else {
    statement insert(db, "INSERT INTO schema_version(version) VALUES (?)");
    SPATE_TRY_VOID(insert.bind(1, std::int64_t{schema_version}).run());
  }
  // A catalog that opens but cannot be written (a full disk, a read-only file) would let the
  // server start and then fail every CreateStream: prove a write goes through now.
  {
    transaction probe(db);
    SPATE_TRY_VOID(probe.begun());
    {
      statement touch(db, "UPDATE schema_version SET version = version");
      SPATE_TRY_VOID(touch.run());
    }
    SPATE_TRY_VOID(probe.commit());
  }
  return c;
}

result<void> catalog::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return write_failure(rc);  // (schema and pragmas: writes too)
  return {};
}

void catalog::set_fault_hook(std::function<bool(std::string_view)> hook) {
  std::lock_guard lock(mu_);
  fault_hook_ = std::move(hook);
}

result<void> catalog::step(std::string_view name) {
  if (fault_hook_ && fault_hook_(name)) return write_failure(SQLITE_IOERR);
  return {};
}

result<void> catalog::write_stream_row(const stream_record& s, bool insert) {
  statement st(db_, insert ? "INSERT INTO streams(name, arn, status, mode, retention_hours, "
                             "created_ms, encryption_type, kms_key_id, next_shard_index, "
                             "shard_level_metrics, max_record_size_kib, warm_target_mibs, "
                             "warm_current_mibs) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                           : "UPDATE streams SET arn = ?2, status = ?3, mode = ?4, "
                             "retention_hours = ?5, created_ms = ?6, encryption_type = ?7, "
                             "kms_key_id = ?8, next_shard_index = ?9, shard_level_metrics = ?10, "
                             "max_record_size_kib = ?11, warm_target_mibs = ?12, "
                             "warm_current_mibs = ?13 WHERE name = ?1");
  st.bind(1, s.name)
      .bind(2, s.arn)
      .bind(3, to_string(s.status))
      .bind(4, to_string(s.mode))
      .bind(5, std::int64_t{s.retention_hours})
      .bind(6, s.created_ms)
      .bind(7, s.encryption_type)
      .bind(8, s.kms_key_id)
      .bind(9, std::int64_t{s.next_shard_index})
      .bind(10, join_metrics(s.shard_level_metrics))
      .bind(11, std::int64_t{s.max_record_size_kib})
      .bind(12, s.warm_target_mibs)
      .bind(13, s.warm_current_mibs);
  int rc = st.step();
  if (rc == SQLITE_CONSTRAINT) return errc::stream_exists;
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  if (!insert && sqlite3_changes(db_) == 0) return errc::stream_not_found;
  return {};
}

result<void> catalog::insert_shards(std::string_view stream,
                                    const std::vector<shard_record>& shards) {
  for (const auto& sh : shards) {
    statement st(db_,
                 "INSERT INTO shards(stream, shard_index, hash_start, hash_end, parent, "
                 "adjacent_parent, starting_position, ending_position, created_ms) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, stream)
        .bind(2, std::int64_t{sh.index})
        .bind(3, to_decimal(sh.range.start))
        .bind(4, to_decimal(sh.range.end))
        .bind(5, sh.parent)
        .bind(6, sh.adjacent_parent)
        .bind(7, static_cast<std::int64_t>(sh.starting_position))
        .bind(8, sh.ending_position)
        .bind(9, sh.created_ms);
    SPATE_TRY_VOID(st.run());
    SPATE_TRY_VOID(step("shard inserted"));
  }
  return {};
}

result<void> catalog::create_stream(const stream_record& stream,
                                    const std::vector<shard_record>& shards) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(write_stream_row(stream, /*insert=*/true));
  SPATE_TRY_VOID(step("stream inserted"));
  SPATE_TRY_VOID(insert_shards(stream.name, shards));
  for (const auto& [key, value] : stream.tags) {
    statement st(db_, "INSERT INTO tags(stream, key, value) VALUES (?, ?, ?)");
    SPATE_TRY_VOID(st.bind(1, stream.name).bind(2, key).bind(3, value).run());
  }
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<std::map<std::string, std::string>> catalog::load_tags(std::string_view stream) {
  std::map<std::string, std::string> tags;
  statement st(db_, "SELECT key, value FROM tags WHERE stream = ? ORDER BY key");
  st.bind(1, stream);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) tags.emplace(st.text(0), st.text(1));
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  return tags;
}

namespace {

constexpr const char* select_stream_columns =
    "SELECT name, arn, status, mode, retention_hours, created_ms, encryption_type, kms_key_id, "
    "next_shard_index, shard_level_metrics, max_record_size_kib, warm_target_mibs, "
    "warm_current_mibs FROM streams";

stream_record read_stream_row(const statement& st) {
  stream_record s;
  s.name = st.text(0);
  s.arn = st.text(1);
  s.status = parse_stream_status(st.text(2)).value_or(stream_status::active);
  s.mode = parse_stream_mode(st.text(3)).value_or(stream_mode::provisioned);
  s.retention_hours = static_cast<int>(st.integer(4));
  s.created_ms = st.integer(5);
  s.encryption_type = st.text(6);
  s.kms_key_id = st.text(7);
  s.next_shard_index = static_cast<shard_index>(st.integer(8));
  s.shard_level_metrics = split_metrics(st.text(9));
  s.max_record_size_kib = static_cast<int>(st.integer(10));
  s.warm_target_mibs = st.integer(11);
  s.warm_current_mibs = st.integer(12);
  return s;
}

}  // namespace

result<stream_record> catalog::get_stream(std::string_view name) {
  std::lock_guard lock(mu_);
  statement st(db_, (std::string(select_stream_columns) + " WHERE name = ?").c_str());
  st.bind(1, name);
  int rc = st.step();
  if (rc == SQLITE_DONE) return errc::stream_not_found;
  if (rc != SQLITE_ROW) return sqlite_error(rc);
  stream_record s = read_stream_row(st);
  SPATE_TRY(s.tags, load_tags(name));
  return s;
}

result<std::vector<stream_record>> catalog::list_streams() {
  std::lock_guard lock(mu_);
  std::vector<stream_record> out;
  statement st(db_, (std::string(select_stream_columns) + " ORDER BY name").c_str());
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_stream_row(st));
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  for (auto& s : out) {
    SPATE_TRY(s.tags, load_tags(s.name));
  }
  return out;
}

result<void> catalog::update_stream(const stream_record& stream) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(write_stream_row(stream, /*insert=*/false));
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<void> catalog::delete_stream(std::string_view name) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  statement st(db_, "DELETE FROM streams WHERE name = ?");
  SPATE_TRY_VOID(st.bind(1, name).run());
  if (sqlite3_changes(db_) == 0) return errc::stream_not_found;
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<void> catalog::copy_to(const std::string& path) {
  statement vacuum(db_, "VACUUM INTO ?");
  return vacuum.bind(1, path).run();
}

result<std::vector<shard_record>> catalog::list_shards(std::string_view stream) {
  std::lock_guard lock(mu_);
  SPATE_TRY_VOID(ensure_stream_exists(stream));
  statement st(db_,
               "SELECT shard_index, hash_start, hash_end, parent, adjacent_parent, "
               "starting_position, ending_position, created_ms FROM shards WHERE stream = ? "
               "ORDER BY shard_index");
  st.bind(1, stream);
  std::vector<shard_record> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    shard_record sh;
    sh.index = static_cast<shard_index>(st.integer(0));
    sh.range.start = parse_hash(st.text(1)).value_or(0);
    sh.range.end = parse_hash(st.text(2)).value_or(0);
    if (!st.is_null(3)) sh.parent = static_cast<shard_index>(st.integer(3));
    if (!st.is_null(4)) sh.adjacent_parent = static_cast<shard_index>(st.integer(4));
    sh.starting_position = static_cast<std::uint64_t>(st.integer(5));
    if (!st.is_null(6)) sh.ending_position = static_cast<std::uint64_t>(st.integer(6));
    sh.created_ms = st.integer(7);
    out.push_back(sh);
  }
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  return out;
}

result<void> catalog::put_consumer(const consumer_record& c) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(ensure_stream_exists(c.stream));
  statement st(db_,
               "INSERT INTO consumers(stream, name, arn, status, created_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(stream, name) DO UPDATE SET "
               "arn = ?3, status = ?4, created_ms = ?5");
  SPATE_TRY_VOID(st.bind(1, c.stream)
                     .bind(2, c.name)
                     .bind(3, c.arn)
                     .bind(4, to_string(c.status))
                     .bind(5, c.created_ms)
                     .run());
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<void> catalog::delete_consumer(std::string_view stream, std::string_view name) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  statement st(db_, "DELETE FROM consumers WHERE stream = ? AND name = ?");
  SPATE_TRY_VOID(st.bind(1, stream).bind(2, name).run());
  SPATE_TRY_VOID(step("consumer removed"));
  statement policy(db_, "DELETE FROM policies WHERE stream = ? AND consumer = ?");
  SPATE_TRY_VOID(policy.bind(1, stream).bind(2, name).run());
  return tx.commit();
}

result<void> catalog::put_policy(const policy_record& p) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(ensure_stream_exists(p.stream));
  statement st(db_,
               "INSERT INTO policies(arn, stream, consumer, policy) VALUES (?1, ?2, ?3, ?4) "
               "ON CONFLICT(arn) DO UPDATE SET stream = ?2, consumer = ?3, policy = ?4");
  SPATE_TRY_VOID(st.bind(1, p.arn).bind(2, p.stream).bind(3, p.consumer).bind(4, p.policy).run());
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<void> catalog::delete_policy(std::string_view arn) {
  std::lock_guard lock(mu_);
  statement st(db_, "DELETE FROM policies WHERE arn = ?");
  return st.bind(1, arn).run();
}

result<std::vector<policy_record>> catalog::list_policies() {
  std::lock_guard lock(mu_);
  statement st(db_, "SELECT arn, stream, consumer, policy FROM policies ORDER BY arn");
  std::vector<policy_record> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    out.push_back({st.text(0), st.text(1), st.text(2), st.text(3)});
  }
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  return out;
}

result<account_settings> catalog::get_account_settings() {
  std::lock_guard lock(mu_);
  statement st(db_,
               "SELECT commitment_status, started_ms, ended_ms, earliest_end_ms FROM "
               "account_settings WHERE id = 1");
  int rc = st.step();
  if (rc == SQLITE_DONE) return account_settings{};
  if (rc != SQLITE_ROW) return sqlite_error(rc);
  return account_settings{st.text(0), st.integer(1), st.integer(2), st.integer(3)};
}

result<void> catalog::put_account_settings(const account_settings& a) {
  std::lock_guard lock(mu_);
  statement st(db_,
               "INSERT INTO account_settings(id, commitment_status, started_ms, ended_ms, "
               "earliest_end_ms) VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
               "commitment_status = ?1, started_ms = ?2, ended_ms = ?3, earliest_end_ms = ?4");
  return st.bind(1, a.commitment_status)
      .bind(2, a.started_ms)
      .bind(3, a.ended_ms)
      .bind(4, a.earliest_end_ms)
      .run();
}

result<std::vector<consumer_record>> catalog::list_consumers(std::string_view stream) {
  std::lock_guard lock(mu_);
  statement st(db_,
               "SELECT name, arn, status, created_ms FROM consumers WHERE stream = ? "
               "ORDER BY created_ms, name");
  st.bind(1, stream);
  std::vector<consumer_record> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    consumer_record c;
    c.stream = std::string(stream);
    c.name = st.text(0);
    c.arn = st.text(1);
    c.status = parse_consumer_status(st.text(2)).value_or(consumer_status::active);
    c.created_ms = st.integer(3);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return sqlite_error(rc);
  return out;
}

result<void> catalog::ensure_stream_exists(std::string_view name) {
  statement st(db_, "SELECT 1 FROM streams WHERE name = ?");
  st.bind(1, name);
  int rc = st.step();
  if (rc == SQLITE_DONE) return errc::stream_not_found;
  if (rc != SQLITE_ROW) return sqlite_error(rc);
  return {};
}

result<void> catalog::reshard(const stream_record& stream,
                              const std::vector<shard_closing>& closing,
                              const std::vector<shard_record>& children) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(write_stream_row(stream, /*insert=*/false));
  for (const auto& c : closing) {
    statement st(db_,
                 "UPDATE shards SET ending_position = ? WHERE stream = ? AND shard_index = ? "
                 "AND ending_position IS NULL");
    SPATE_TRY_VOID(st.bind(1, static_cast<std::int64_t>(c.ending_position))
                       .bind(2, stream.name)
                       .bind(3, std::int64_t{c.index})
                       .run());
    if (sqlite3_changes(db_) == 0) return errc::shard_not_found;
    SPATE_TRY_VOID(step("shard closed"));
  }
  SPATE_TRY_VOID(insert_shards(stream.name, children));
  SPATE_TRY_VOID(step("before commit"));
  return tx.commit();
}

result<void> catalog::put_tags(std::string_view stream,
                               const std::map<std::string, std::string>& tags) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(ensure_stream_exists(stream));
  for (const auto& [key, value] : tags) {
    statement st(db_,
                 "INSERT INTO tags(stream, key, value) VALUES (?, ?, ?) "
                 "ON CONFLICT(stream, key) DO UPDATE SET value = excluded.value");
    SPATE_TRY_VOID(st.bind(1, stream).bind(2, key).bind(3, value).run());
    SPATE_TRY_VOID(step("tag written"));
  }
  return tx.commit();
}

result<void> catalog::remove_tags(std::string_view stream, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  transaction tx(db_);
  SPATE_TRY_VOID(tx.begun());
  SPATE_TRY_VOID(ensure_stream_exists(stream));
  for (const auto& key : keys) {
    statement st(db_, "DELETE FROM tags WHERE stream = ? AND key = ?");
    SPATE_TRY_VOID(st.bind(1, stream).bind(2, key).run());
    SPATE_TRY_VOID(step("tag removed"));
  }
  return tx.commit();
}

}  // namespace spate::metadata
