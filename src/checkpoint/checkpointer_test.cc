// Tests of the checkpointer backends. One typed suite (CheckpointerTest) holds the contract
// every backend must meet identically: memory, SQLite (a file in a temp dir) and Redis (a real
// redis-server started once for the suite). The untyped suites below cover what is specific to
// one backend: URI parsing, the SQLite schema, Redis connection failures and reconnects.
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"

#include <spate/client/checkpointer.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace spate::client {
namespace {

using namespace std::chrono_literals;

// --- backends: each test gets a fresh store and can open several objects on it ----------

struct memory_backend {
  static constexpr bool objects_share_store = false;  // each object is its own store
  static void start_suite() {}
  static void stop_suite() {}
  outcome<std::shared_ptr<checkpointer>> open() { return make_memory_checkpointer(); }
};

struct sqlite_backend {
  static constexpr bool objects_share_store = true;
  static void start_suite() {}
  static void stop_suite() {}
  outcome<std::shared_ptr<checkpointer>> open() {
    return make_sqlite_checkpointer(dir.file("leases.db"));
  }
  testutil::temp_dir dir;
};

// One redis-server for the whole suite; tests stay apart through their group names.
struct redis_backend {
  static constexpr bool objects_share_store = true;
  static void start_suite() {
    try {
      server = std::make_unique<testutil::redis_process>();
    } catch (const std::exception& e) {
      start_error = e.what();
    }
  }
  static void stop_suite() { server.reset(); }
  outcome<std::shared_ptr<checkpointer>> open() {
    if (!server) return error{error_code::checkpoint_store, "no redis-server: " + start_error};
    return make_redis_checkpointer("127.0.0.1", server->port());
  }
  static inline std::unique_ptr<testutil::redis_process> server;
  static inline std::string start_error;
};

template <class Backend>
class CheckpointerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::start_suite(); }
  static void TearDownTestSuite() { Backend::stop_suite(); }

  void SetUp() override {
    auto opened = backend_.open();
    ASSERT_TRUE(opened.ok()) << opened.err().to_string();
    store_ = *opened;
  }

  // Group names unique to the running test, so tests sharing one Redis server stay apart.
  std::string group(const std::string& name = "stream") const {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "/" +
           name;
  }

  std::shared_ptr<checkpointer> open_another() {
    auto opened = backend_.open();
    EXPECT_TRUE(opened.ok()) << opened.err().to_string();
    return opened.ok() ? *opened : nullptr;
  }

  std::vector<shard_lease> list(checkpointer& store, const std::string& grp) {
    auto listed = store.list(grp);
    EXPECT_TRUE(listed.ok()) << listed.err().to_string();
    return listed.ok() ? *listed : std::vector<shard_lease>{};
  }
  std::vector<shard_lease> list(const std::string& grp) { return list(*store_, grp); }

  bool cas(checkpointer& store, const std::string& grp, const shard_lease& entry,
           std::uint64_t expected) {
    auto result = store.compare_and_set(grp, entry, expected);
    EXPECT_TRUE(result.ok()) << result.err().to_string();
    return result.ok() && *result;
  }
  bool cas(const std::string& grp, const shard_lease& entry, std::uint64_t expected) {
    return cas(*store_, grp, entry, expected);
  }

  Backend backend_;
  std::shared_ptr<checkpointer> store_;
};

shard_lease lease(const std::string& shard_id, const std::string& checkpoint = "",
                  const std::string& owner = "") {
  shard_lease entry;
  entry.shard_id = shard_id;
  entry.checkpoint = checkpoint;
  entry.owner = owner;
  entry.renewed_ms = 1'700'000'000'000;
  return entry;
}

void expect_same(const shard_lease& actual, const shard_lease& expected,
                 std::uint64_t expected_version) {
  EXPECT_EQ(actual.shard_id, expected.shard_id);
  EXPECT_EQ(actual.parent_shard_ids, expected.parent_shard_ids) << actual.shard_id;
  EXPECT_EQ(actual.checkpoint, expected.checkpoint) << actual.shard_id;
  EXPECT_EQ(actual.owner, expected.owner) << actual.shard_id;
  EXPECT_EQ(actual.pending_owner, expected.pending_owner) << actual.shard_id;
  EXPECT_EQ(actual.renewed_ms, expected.renewed_ms) << actual.shard_id;
  EXPECT_EQ(actual.version, expected_version) << actual.shard_id;
}

using backends = ::testing::Types<memory_backend, sqlite_backend, redis_backend>;

class backend_names {
 public:
  template <class T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, memory_backend>) return "memory";
    if constexpr (std::is_same_v<T, sqlite_backend>) return "sqlite";
    return "redis";
  }
};

TYPED_TEST_SUITE(CheckpointerTest, backends, backend_names);

TYPED_TEST(CheckpointerTest, UnknownGroupListsEmpty) {
  EXPECT_TRUE(this->list(this->group()).empty());
}

TYPED_TEST(CheckpointerTest, CreateSucceedsOnlyOnce) {
  const std::string grp = this->group();
  EXPECT_TRUE(this->cas(grp, lease("shard-0", "TRIM_HORIZON", "worker-a"), 0));
  EXPECT_FALSE(this->cas(grp, lease("shard-0", "123", "worker-b"), 0));

  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 1u);
  expect_same(entries[0], lease("shard-0", "TRIM_HORIZON", "worker-a"), 1);
}

TYPED_TEST(CheckpointerTest, UpdateWithCurrentVersionBumpsIt) {
  const std::string grp = this->group();
  ASSERT_TRUE(this->cas(grp, lease("shard-0", "", "worker-a"), 0));
  EXPECT_TRUE(this->cas(grp, lease("shard-0", "100", "worker-a"), 1));
  EXPECT_TRUE(this->cas(grp, lease("shard-0", "200", "worker-b"), 2));

  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 1u);
  expect_same(entries[0], lease("shard-0", "200", "worker-b"), 3);
}

TYPED_TEST(CheckpointerTest, StaleOrFutureVersionIsRejected) {
  const std::string grp = this->group();
  ASSERT_TRUE(this->cas(grp, lease("shard-0", "1"), 0));
  ASSERT_TRUE(this->cas(grp, lease("shard-0", "2"), 1));
  EXPECT_FALSE(this->cas(grp, lease("shard-0", "stale"), 1));
  EXPECT_FALSE(this->cas(grp, lease("shard-0", "stale"), 0));
  EXPECT_FALSE(this->cas(grp, lease("shard-0", "future"), 7));
  // An update of an entry that does not exist is a mismatch too (stored version 0).
  EXPECT_FALSE(this->cas(grp, lease("shard-9", "ghost"), 1));

  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 1u);
  expect_same(entries[0], lease("shard-0", "2"), 2);
}

TYPED_TEST(CheckpointerTest, ListIsInShardIdOrderAndKeepsEveryField) {
  const std::string grp = this->group();
  shard_lease parent = lease("shardId-000000000000", checkpoint_shard_end, "");
  shard_lease child =
      lease("shardId-000000000002", "49590338271490256608559692538361571095921575989136588898",
            "worker-ü-1");  // a 56-digit sequence number, a non-ASCII owner
  child.parent_shard_ids = {"shardId-000000000000", "shardId-000000000001"};
  child.pending_owner = "worker-2";
  child.renewed_ms = 1'712'345'678'901;
  shard_lease sibling = lease("shardId-000000000001", "", "");  // every string empty
  sibling.renewed_ms = 0;
  shard_lease later = lease("shardId-000000000010", checkpoint_trim_horizon, "worker-3");
  later.parent_shard_ids = {"shardId-000000000002"};

  for (const shard_lease* entry : {&later, &child, &parent, &sibling}) {
    ASSERT_TRUE(this->cas(grp, *entry, 0)) << entry->shard_id;
  }

  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 4u);
  expect_same(entries[0], parent, 1);
  expect_same(entries[1], sibling, 1);
  expect_same(entries[2], child, 1);
  expect_same(entries[3], later, 1);
}

TYPED_TEST(CheckpointerTest, UpdateCanEmptyFieldsAndDropParents) {
  const std::string grp = this->group();
  shard_lease full = lease("shard-1", "42", "worker-a");
  full.pending_owner = "worker-b";
  full.parent_shard_ids = {"shard-0"};
  ASSERT_TRUE(this->cas(grp, full, 0));

  const shard_lease emptied = lease("shard-1", "", "");
  ASSERT_TRUE(this->cas(grp, emptied, 1));
  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 1u);
  expect_same(entries[0], emptied, 2);
}

TYPED_TEST(CheckpointerTest, GroupsAreIsolated) {
  // The second name extends the first, so a store keyed by plain prefixes would mix them.
  const std::string first = this->group("app/stream");
  const std::string second = this->group("app/stream2");
  ASSERT_TRUE(this->cas(first, lease("shard-0", "1", "worker-a"), 0));
  ASSERT_TRUE(this->cas(second, lease("shard-0", "2", "worker-b"), 0));
  ASSERT_TRUE(this->cas(second, lease("shard-1", "3", "worker-b"), 0));

  auto in_first = this->list(first);
  ASSERT_EQ(in_first.size(), 1u);
  expect_same(in_first[0], lease("shard-0", "1", "worker-a"), 1);
  EXPECT_EQ(this->list(second).size(), 2u);

  ASSERT_TRUE(this->store_->clear(second).ok());
  EXPECT_TRUE(this->list(second).empty());
  EXPECT_EQ(this->list(first).size(), 1u);
}

TYPED_TEST(CheckpointerTest, ClearRemovesEveryEntryOfTheGroup) {
  const std::string grp = this->group();
  for (const char* shard : {"shard-0", "shard-1", "shard-2"}) {
    ASSERT_TRUE(this->cas(grp, lease(shard, "7"), 0));
  }
  ASSERT_TRUE(this->cas(grp, lease("shard-1", "8"), 1));

  ASSERT_TRUE(this->store_->clear(grp).ok());
  EXPECT_TRUE(this->list(grp).empty());
  // Entries start over at version 1 after a reset.
  EXPECT_TRUE(this->cas(grp, lease("shard-1", "TRIM_HORIZON"), 0));
  EXPECT_EQ(this->list(grp).at(0).version, 1u);
  // Clearing a group that has nothing is fine.
  EXPECT_TRUE(this->store_->clear(this->group("never-used")).ok());
}

TYPED_TEST(CheckpointerTest, ParentIdWithCommaIsRefused) {
  shard_lease entry = lease("shard-2");
  entry.parent_shard_ids = {"shard-0,shard-1"};
  auto result = this->store_->compare_and_set(this->group(), entry, 0);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.err().code, error_code::invalid_option);
  EXPECT_TRUE(this->list(this->group()).empty());
}

// 8 writers each add 1 to a counter kept in `checkpoint` 200 times, by read, then
// compare-and-set, retrying on conflict. Any lost update (a CAS that succeeded against a
// version someone else had already replaced) would leave the counter below 1600.
TYPED_TEST(CheckpointerTest, ConcurrentIncrementsAreNeverLost) {
  constexpr int writers = 8;
  constexpr int increments_each = 200;
  const std::string grp = this->group();
  ASSERT_TRUE(this->cas(grp, lease("counter", "0"), 0));

  // Stores shared between objects get one object (one connection) per writer.
  std::vector<std::shared_ptr<checkpointer>> stores;
  for (int i = 0; i < writers; ++i) {
    stores.push_back(TypeParam::objects_share_store ? this->open_another() : this->store_);
    ASSERT_NE(stores.back(), nullptr);
  }

  std::atomic<int> failures{0};
  std::atomic<int> conflicts{0};
  std::latch start(writers);  // all writers begin together
  std::vector<std::thread> threads;
  for (int i = 0; i < writers; ++i) {
    threads.emplace_back([&, store = stores[i]] {
      start.arrive_and_wait();
      for (int done = 0; done < increments_each && failures == 0;) {
        auto listed = store->list(grp);
        if (!listed.ok() || listed->size() != 1) {
          ++failures;
          return;
        }
        shard_lease entry = listed->front();
        const std::uint64_t seen = entry.version;
        entry.checkpoint = std::to_string(std::stoll(entry.checkpoint) + 1);
        std::this_thread::yield();  // widen the read-to-write window so writers collide
        auto stored = store->compare_and_set(grp, entry, seen);
        if (!stored.ok()) {
          ++failures;
          return;
        }
        if (*stored) {
          ++done;
        } else {
          ++conflicts;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  ASSERT_EQ(failures.load(), 0);
  auto entries = this->list(grp);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].checkpoint, std::to_string(writers * increments_each));
  EXPECT_EQ(entries[0].version, 1u + writers * increments_each);
  ::testing::Test::RecordProperty("conflicts", conflicts.load());
  EXPECT_GT(conflicts.load(), 0) << "the writers never collided, so CAS was not exercised";
}

TYPED_TEST(CheckpointerTest, SecondObjectOnTheSameStoreSeesWrites) {
  const std::string grp = this->group();
  ASSERT_TRUE(this->cas(grp, lease("shard-0", "5", "worker-a"), 0));
  std::shared_ptr<checkpointer> other = this->open_another();
  ASSERT_NE(other, nullptr);

  if constexpr (!TypeParam::objects_share_store) {
    EXPECT_TRUE(this->list(*other, grp).empty()) << "memory stores are private to the object";
    return;
  }
  auto seen = this->list(*other, grp);
  ASSERT_EQ(seen.size(), 1u);
  expect_same(seen[0], lease("shard-0", "5", "worker-a"), 1);

  // And the other way round, with the version check working across objects.
  EXPECT_TRUE(this->cas(*other, grp, lease("shard-0", "6", "worker-b"), 1));
  EXPECT_FALSE(this->cas(grp, lease("shard-0", "lost", "worker-a"), 1));
  auto back = this->list(grp);
  ASSERT_EQ(back.size(), 1u);
  expect_same(back[0], lease("shard-0", "6", "worker-b"), 2);
}

// --- open_checkpointer and group_key -------------------------------------------------------

void expect_invalid_uri(const std::string& uri) {
  auto opened = open_checkpointer(uri);
  ASSERT_FALSE(opened.ok()) << "accepted '" << uri << "'";
  EXPECT_EQ(opened.err().code, error_code::invalid_option) << uri;
  EXPECT_NE(opened.err().message.find(uri), std::string::npos) << opened.err().message;
}

TEST(OpenCheckpointerTest, MemoryUri) {
  auto opened = open_checkpointer("memory:");
  ASSERT_TRUE(opened.ok()) << opened.err().to_string();
  EXPECT_TRUE((*opened)->compare_and_set("g", lease("s"), 0).ok());
}

TEST(OpenCheckpointerTest, SqliteUriFormsOpenTheSameFile) {
  testutil::temp_dir dir;
  const std::string path = dir.file("leases.db");
  auto first = open_checkpointer("sqlite:" + path);
  ASSERT_TRUE(first.ok()) << first.err().to_string();
  ASSERT_TRUE(*(*first)->compare_and_set("g", lease("s", "1"), 0));
  EXPECT_TRUE(std::filesystem::exists(path));

  for (const std::string& uri : {"sqlite://" + path, path}) {
    auto other = open_checkpointer(uri);
    ASSERT_TRUE(other.ok()) << uri << ": " << other.err().to_string();
    auto entries = (*other)->list("g");
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), 1u) << uri;
    EXPECT_EQ(entries->front().checkpoint, "1");
  }
}

TEST(OpenCheckpointerTest, RedisUriSelectsTheDatabase) {
  testutil::redis_process server;
  const std::string base = "redis://127.0.0.1:" + std::to_string(server.port());
  auto db0 = open_checkpointer(base);
  auto db3 = open_checkpointer(base + "/3");
  ASSERT_TRUE(db0.ok()) << db0.err().to_string();
  ASSERT_TRUE(db3.ok()) << db3.err().to_string();
  ASSERT_TRUE(*(*db3)->compare_and_set("g", lease("s"), 0));
  EXPECT_EQ((*db3)->list("g")->size(), 1u);
  EXPECT_TRUE((*db0)->list("g")->empty());

  auto out_of_range = open_checkpointer(base + "/100000");
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.err().code, error_code::checkpoint_store);
}

TEST(OpenCheckpointerTest, BadUrisAreRejectedWithTheirText) {
  for (const char* uri :
       {"memory:extra", "sqlite:", "sqlite://", "redis:localhost", "redis://", "redis://:6379",
        "redis://host:", "redis://host:0", "redis://host:70000", "redis://host:abc",
        "redis://host:6379/x", "redis://host:6379/-1", "redis://user:pw@host:6379",
        "redis://host:6379?timeout=1", "redis://[::1", "redis://[::1]x", "postgres://db/leases"}) {
    expect_invalid_uri(uri);
  }
  auto empty = open_checkpointer("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.err().code, error_code::invalid_option);
}

TEST(OpenCheckpointerTest, GroupKeyJoinsApplicationAndStream) {
  EXPECT_EQ(group_key("billing", "orders"), "billing/orders");
  EXPECT_NE(group_key("billing", "orders"), group_key("billing", "orders2"));
}

// --- SQLite specifics -------------------------------------------------------------------

// Reads one integer or text pragma with the SQLite API, outside the checkpointer.
std::string read_pragma(const std::string& path, const std::string& pragma) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "PRAGMA " + pragma;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

TEST(SqliteCheckpointerTest, FileIsWalWithSchemaVersionOne) {
  testutil::temp_dir dir;
  const std::string path = dir.file("leases.db");
  auto store = make_sqlite_checkpointer(path);
  ASSERT_TRUE(store.ok()) << store.err().to_string();
  EXPECT_EQ(read_pragma(path, "journal_mode"), "wal");
  EXPECT_EQ(read_pragma(path, "user_version"), "1");
}

// Workers of one group start together, in processes of their own, and each creates the store:
// none may fail. (Switching a new file to WAL can answer "database is locked" at once, without
// waiting for the busy timeout, when another process is switching it too.)
TEST(SqliteCheckpointerTest, ManyProcessesOpeningANewFileAllSucceed) {
  testutil::temp_dir dir;
  for (int round = 0; round < 30; ++round) {
    const std::string path = dir.file("race-" + std::to_string(round) + ".db");
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        auto store = make_sqlite_checkpointer(path);
        if (!store.ok()) std::fprintf(stderr, "%s\n", store.err().to_string().c_str());
        std::_Exit(store.ok() ? 0 : 1);
      }
      children.push_back(pid);
    }
    int failed = 0;
    for (const pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    }
    ASSERT_EQ(failed, 0) << "round " << round << ": openers failed (their errors above)";
  }
}

TEST(SqliteCheckpointerTest, NewerSchemaVersionIsRefused) {
  testutil::temp_dir dir;
  const std::string path = dir.file("leases.db");
  ASSERT_TRUE(make_sqlite_checkpointer(path).ok());
  read_pragma(path, "user_version = 2");
  auto reopened = make_sqlite_checkpointer(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.err().code, error_code::checkpoint_store);
  EXPECT_NE(reopened.err().message.find("schema version 2"), std::string::npos)
      << reopened.err().message;
}

TEST(SqliteCheckpointerTest, UnopenableFileIsAStoreError) {
  auto store = make_sqlite_checkpointer("/nonexistent-spate-dir/leases.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.err().code, error_code::checkpoint_store);
  EXPECT_NE(store.err().message.find("/nonexistent-spate-dir/leases.db"), std::string::npos);
}

TEST(SqliteCheckpointerTest, ExistingOnlyNeverCreatesAFile) {
  testutil::temp_dir dir;
  const std::string path = dir.file("missing.db");
  for (const std::string& uri : {"sqlite:" + path, path}) {
    auto store = open_checkpointer(uri, store_open::existing_only);
    ASSERT_FALSE(store.ok()) << uri;
    EXPECT_EQ(store.err().code, error_code::checkpoint_store);
    EXPECT_NE(store.err().message.find(path), std::string::npos) << store.err().message;
    EXPECT_NE(store.err().message.find("no checkpoint store"), std::string::npos)
        << store.err().message;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "a file was left behind";
}

TEST(SqliteCheckpointerTest, ExistingOnlyOpensAStoreAConsumerMade) {
  testutil::temp_dir dir;
  const std::string path = dir.file("leases.db");
  {
    auto created = make_sqlite_checkpointer(path);
    ASSERT_TRUE(created.ok()) << created.err().to_string();
    ASSERT_TRUE(*(*created)->compare_and_set("g", lease("s", "42"), 0));
  }
  auto store = make_sqlite_checkpointer(path, store_open::existing_only);
  ASSERT_TRUE(store.ok()) << store.err().to_string();
  auto entries = (*store)->list("g");
  ASSERT_TRUE(entries.ok()) << entries.err().to_string();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().checkpoint, "42");
  EXPECT_TRUE((*store)->clear("g").ok());
  EXPECT_TRUE((*store)->list("g")->empty());
}

TEST(SqliteCheckpointerTest, ExistingOnlyRefusesAFileThatIsNotAStoreAndLeavesIt) {
  testutil::temp_dir dir;
  const std::string path = dir.file("other.db");
  read_pragma(path, "user_version = 0");  // creates an empty SQLite database
  ASSERT_TRUE(std::filesystem::exists(path));
  auto store = make_sqlite_checkpointer(path, store_open::existing_only);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.err().code, error_code::checkpoint_store);
  EXPECT_NE(store.err().message.find("not a Spate checkpoint store"), std::string::npos)
      << store.err().message;
  EXPECT_EQ(read_pragma(path, "user_version"), "0");
  EXPECT_NE(read_pragma(path, "journal_mode"), "wal") << "the file was changed";
}

// --- Redis specifics --------------------------------------------------------------------

// Whether redis-cli is on PATH: the tests that need it skip only when it is not.
bool redis_cli_installed() {
  return std::system("command -v redis-cli >/dev/null 2>&1") == 0;
}

struct cli_result {
  int status = -1;     // as pclose returns it: 0 when redis-cli exited 0
  std::string output;  // stdout and stderr, trailing whitespace trimmed
};

// Runs one redis-cli command against the local server.
cli_result redis_cli(int port, const std::string& command) {
  cli_result out;
  const std::string line = "redis-cli -p " + std::to_string(port) + " " + command + " 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) {
    out.output = "popen failed";
    return out;
  }
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out.output += buffer;
  out.status = ::pclose(pipe);
  while (!out.output.empty() && std::isspace(static_cast<unsigned char>(out.output.back()))) {
    out.output.pop_back();
  }
  return out;
}

TEST(RedisCheckpointerTest, UnreachableServerFailsFastWithAStoreError) {
  const int port = testutil::free_loopback_port();  // nothing listens there
  const auto start = std::chrono::steady_clock::now();
  auto store = make_redis_checkpointer("127.0.0.1", port);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.err().code, error_code::checkpoint_store);
  EXPECT_NE(store.err().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << store.err().message;
  // A generous bound (ctest -j runs on 2 busy cores): it catches a missing connect timeout
  // (2 s), never a slow answer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  auto by_uri = open_checkpointer("redis://127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(by_uri.ok());
  EXPECT_EQ(by_uri.err().code, error_code::checkpoint_store);
}

TEST(RedisCheckpointerTest, ServerGoingAwayGivesAStoreErrorNotAHang) {
  auto server = std::make_unique<testutil::redis_process>();
  auto store = make_redis_checkpointer("127.0.0.1", server->port());
  ASSERT_TRUE(store.ok()) << store.err().to_string();
  ASSERT_TRUE(*(*store)->compare_and_set("g", lease("s"), 0));
  server.reset();

  const auto start = std::chrono::steady_clock::now();
  auto listed = (*store)->list("g");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.err().code, error_code::checkpoint_store);
  auto stored = (*store)->compare_and_set("g", lease("s"), 1);
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.err().code, error_code::checkpoint_store);
  // Generous too: it catches a missing command timeout (5 s each), never a slow answer.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(RedisCheckpointerTest, DroppedConnectionIsReopenedTransparently) {
  testutil::redis_process server;
  auto store = make_redis_checkpointer("127.0.0.1", server.port());
  ASSERT_TRUE(store.ok()) << store.err().to_string();
  ASSERT_TRUE(*(*store)->compare_and_set("g", lease("s", "1"), 0));

  // Drop every client connection (redis-cli skips its own), as a server-side idle timeout or
  // a proxy restart would.
  if (!redis_cli_installed()) GTEST_SKIP() << "redis-cli is not installed";
  const cli_result killed = redis_cli(server.port(), "CLIENT KILL TYPE normal");
  ASSERT_EQ(killed.status, 0) << killed.output;
  ASSERT_EQ(killed.output, "1") << "expected exactly the checkpointer's connection to be dropped";

  auto listed = (*store)->list("g");
  ASSERT_TRUE(listed.ok()) << listed.err().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(*(*store)->compare_and_set("g", lease("s", "2"), 1));
}

TEST(RedisCheckpointerTest, ScriptsAreReloadedAfterTheServerForgetsThem) {
  testutil::redis_process server;
  auto store = make_redis_checkpointer("127.0.0.1", server.port());
  ASSERT_TRUE(store.ok()) << store.err().to_string();
  ASSERT_TRUE(*(*store)->compare_and_set("g", lease("s", "1"), 0));

  if (!redis_cli_installed()) GTEST_SKIP() << "redis-cli is not installed";
  const cli_result flushed = redis_cli(server.port(), "SCRIPT FLUSH");
  ASSERT_EQ(flushed.status, 0) << flushed.output;
  ASSERT_EQ(flushed.output, "OK");

  EXPECT_TRUE(*(*store)->compare_and_set("g", lease("s", "2"), 1));
  auto listed = (*store)->list("g");
  ASSERT_TRUE(listed.ok()) << listed.err().to_string();
  EXPECT_EQ(listed->at(0).checkpoint, "2");
}

}  // namespace
}  // namespace spate::client
