// The catalog keeps streams, shards, lineage, tags, consumers, resource policies and account
// settings across reopen, upgrades version-1 and version-2 files, and a process that dies in the
// middle of a transaction leaves no trace.
#include "metadata/catalog.h"

#include "metadata/errc.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>

namespace spate::metadata {
namespace {

stream_record make_stream(const std::string& name, std::size_t shards) {
  stream_record s;
  s.name = name;
  s.arn = "arn:aws:kinesis:us-east-1:000000000000:stream/" + name;
  s.status = stream_status::active;
  s.retention_hours = 48;
  s.created_ms = 1700000000000;
  s.next_shard_index = static_cast<shard_index>(shards);
  s.tags = {{"team", "data"}, {"env", "test"}};
  return s;
}

std::vector<shard_record> make_shards(std::size_t n) {
  std::vector<shard_record> shards;
  auto ranges = kinesis::split_evenly(n);
  for (std::size_t i = 0; i < n; ++i) {
    shards.push_back({static_cast<shard_index>(i), ranges[i], std::nullopt, std::nullopt, 0,
                      std::nullopt, 1700000000000});
  }
  return shards;
}

class CatalogTest : public testing::Test {
 protected:
  std::unique_ptr<catalog> open_catalog() {
    auto c = catalog::open(path_);
    EXPECT_TRUE(c) << c.error().message();
    return c ? std::move(*c) : nullptr;
  }

  // Runs `body` in a child process that must end by _exit inside a transaction; waits for it.
  void run_and_die(const std::function<void()>& body) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      body();
      _exit(3);  // the fault hook should have ended the process before this
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 42) << "the child died at the fault point";
  }

  testutil::temp_dir dir_;
  std::string path_ = dir_.file("catalog.db");
};

TEST_F(CatalogTest, StreamAndShardsSurviveReopen) {
  {
    auto c = open_catalog();
    ASSERT_TRUE(c->create_stream(make_stream("orders", 3), make_shards(3)));
  }
  auto c = open_catalog();
  auto s = c->get_stream("orders");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->arn, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(s->status, stream_status::active);
  EXPECT_EQ(s->retention_hours, 48);
  EXPECT_EQ(s->created_ms, 1700000000000);
  EXPECT_EQ(s->next_shard_index, 3u);
  EXPECT_EQ(s->tags.at("team"), "data");
  auto shards = c->list_shards("orders");
  ASSERT_TRUE(shards);
  EXPECT_EQ(*shards, make_shards(3));
}

TEST_F(CatalogTest, DuplicateAndMissingStreamsAreErrors) {
  auto c = open_catalog();
  ASSERT_TRUE(c->create_stream(make_stream("a", 1), make_shards(1)));
  EXPECT_EQ(c->create_stream(make_stream("a", 1), make_shards(1)).error(), errc::stream_exists);
  EXPECT_EQ(c->get_stream("b").error(), errc::stream_not_found);
  EXPECT_EQ(c->list_shards("b").error(), errc::stream_not_found);
  EXPECT_EQ(c->delete_stream("b").error(), errc::stream_not_found);
  EXPECT_EQ(c->update_stream(make_stream("b", 1)).error(), errc::stream_not_found);
  EXPECT_EQ(c->put_tags("b", {{"k", "v"}}).error(), errc::stream_not_found);
}

TEST_F(CatalogTest, ListStreamsIsOrderedByName) {
  auto c = open_catalog();
  for (auto name : {"zeta", "alpha", "mid"}) {
    ASSERT_TRUE(c->create_stream(make_stream(name, 1), make_shards(1)));
  }
  auto streams = c->list_streams();
  ASSERT_TRUE(streams);
  ASSERT_EQ(streams->size(), 3u);
  EXPECT_EQ((*streams)[0].name, "alpha");
  EXPECT_EQ((*streams)[2].name, "zeta");
  EXPECT_EQ((*streams)[1].tags.size(), 2u);
}

TEST_F(CatalogTest, UpdateAndDeleteStream) {
  auto c = open_catalog();
  auto s = make_stream("s", 1);
  ASSERT_TRUE(c->create_stream(s, make_shards(1)));
  s.retention_hours = 168;
  s.mode = stream_mode::on_demand;
  s.status = stream_status::updating;
  ASSERT_TRUE(c->update_stream(s));
  auto read = c->get_stream("s");
  EXPECT_EQ(read->retention_hours, 168);
  EXPECT_EQ(read->mode, stream_mode::on_demand);
  EXPECT_EQ(read->status, stream_status::updating);
  ASSERT_TRUE(c->delete_stream("s"));
  EXPECT_EQ(c->get_stream("s").error(), errc::stream_not_found);
  // Shards and tags went with it: the name can be reused from scratch.
  ASSERT_TRUE(c->create_stream(make_stream("s", 2), make_shards(2)));
  EXPECT_EQ(c->list_shards("s")->size(), 2u);
}

TEST_F(CatalogTest, ReshardRecordsLineage) {
  auto c = open_catalog();
  auto s = make_stream("s", 1);
  ASSERT_TRUE(c->create_stream(s, make_shards(1)));
  // Split shard 0 at 2^127 into shards 1 and 2.
  auto halves = kinesis::split_evenly(2);
  s.next_shard_index = 3;
  std::vector<shard_record> children{
      {1, halves[0], 0, std::nullopt, 500, std::nullopt, 1},
      {2, halves[1], 0, std::nullopt, 0, std::nullopt, 1},
  };
  ASSERT_TRUE(c->reshard(s, {{0, 500}}, children));
  auto shards = *c->list_shards("s");
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_FALSE(shards[0].is_open());
  EXPECT_EQ(shards[0].ending_position, 500u);
  EXPECT_EQ(shards[1].parent, 0u);
  EXPECT_TRUE(shards[2].is_open());
  EXPECT_EQ(c->get_stream("s")->next_shard_index, 3u);
  // A closed shard cannot be closed again; the whole reshard is refused.
  EXPECT_EQ(c->reshard(s, {{0, 600}}, {}).error(), errc::shard_not_found);
  EXPECT_EQ(c->list_shards("s")->at(0).ending_position, 500u);
}

TEST_F(CatalogTest, TagsArePutOverwrittenAndRemoved) {
  auto c = open_catalog();
  ASSERT_TRUE(c->create_stream(make_stream("s", 1), make_shards(1)));
  ASSERT_TRUE(c->put_tags("s", {{"team", "platform"}, {"cost", "42"}}));
  ASSERT_TRUE(c->remove_tags("s", {"env", "absent"}));
  auto tags = c->get_stream("s")->tags;
  EXPECT_EQ(tags, (std::map<std::string, std::string>{{"cost", "42"}, {"team", "platform"}}));
}

TEST_F(CatalogTest, ConsumersArePutListedAndGoWithTheirStream) {
  auto c = open_catalog();
  ASSERT_TRUE(c->create_stream(make_stream("s", 1), make_shards(1)));
  consumer_record a{"s", "a", "arn:a", consumer_status::creating, 1700000000001};
  consumer_record b{"s", "b", "arn:b", consumer_status::active, 1700000000000};
  ASSERT_TRUE(c->put_consumer(a));
  ASSERT_TRUE(c->put_consumer(b));
  a.status = consumer_status::active;
  ASSERT_TRUE(c->put_consumer(a));  // rewrites
  EXPECT_EQ(c->put_consumer({"nope", "x", "arn:x", consumer_status::active, 1}).error(),
            errc::stream_not_found);
  c = open_catalog();
  auto listed = c->list_consumers("s");
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<consumer_record>{b, a}));  // by creation time
  ASSERT_TRUE(c->delete_consumer("s", "b"));
  EXPECT_EQ(c->list_consumers("s")->size(), 1u);
  ASSERT_TRUE(c->delete_stream("s"));
  EXPECT_TRUE(c->list_consumers("s")->empty());
}

TEST_F(CatalogTest, AVersionOneCatalogGainsConsumersOnOpen) {
  {
    auto c = open_catalog();
    ASSERT_TRUE(c->create_stream(make_stream("s", 1), make_shards(1)));
  }
  // Make it what version 1 wrote: no consumers table.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE consumers; UPDATE schema_version SET version = 1", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto c = open_catalog();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->put_consumer({"s", "a", "arn:a", consumer_status::active, 1}));
  EXPECT_EQ(c->list_consumers("s")->size(), 1u);
  EXPECT_EQ(c->list_streams()->size(), 1u);
}

TEST_F(CatalogTest, StreamSettingsSurviveReopen) {
  auto c = open_catalog();
  auto s = make_stream("s", 1);
  ASSERT_TRUE(c->create_stream(s, make_shards(1)));
  EXPECT_EQ(c->get_stream("s")->max_record_size_kib, 1024);
  EXPECT_TRUE(c->get_stream("s")->shard_level_metrics.empty());
  s.shard_level_metrics = {"IncomingBytes", "OutgoingRecords"};
  s.max_record_size_kib = 10240;
  s.warm_target_mibs = 100;
  s.warm_current_mibs = 50;
  s.encryption_type = "KMS";
  s.kms_key_id = "alias/aws/kinesis";
  ASSERT_TRUE(c->update_stream(s));
  c = open_catalog();
  auto back = c->get_stream("s");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->shard_level_metrics, s.shard_level_metrics);
  EXPECT_EQ(back->max_record_size_kib, 10240);
  EXPECT_EQ(back->warm_target_mibs, 100);
  EXPECT_EQ(back->warm_current_mibs, 50);
  EXPECT_EQ(back->encryption_type, "KMS");
  EXPECT_EQ(back->kms_key_id, "alias/aws/kinesis");
}

TEST_F(CatalogTest, PoliciesGoWithTheirStreamAndConsumer) {
  auto c = open_catalog();
  ASSERT_TRUE(c->create_stream(make_stream("s", 1), make_shards(1)));
  ASSERT_TRUE(c->put_consumer({"s", "a", "arn:s/consumer/a:1", consumer_status::active, 1}));
  policy_record stream_policy{"arn:s", "s", "", R"({"Version":"2012-10-17"})"};
  policy_record consumer_policy{"arn:s/consumer/a:1", "s", "a", "{}"};
  ASSERT_TRUE(c->put_policy(stream_policy));
  ASSERT_TRUE(c->put_policy(consumer_policy));
  EXPECT_EQ(c->put_policy({"arn:x", "nope", "", "{}"}).error(), errc::stream_not_found);
  stream_policy.policy = "{\"Statement\":[]}";
  ASSERT_TRUE(c->put_policy(stream_policy));  // replaces
  c = open_catalog();
  EXPECT_EQ(*c->list_policies(), (std::vector<policy_record>{stream_policy, consumer_policy}));
  ASSERT_TRUE(c->delete_consumer("s", "a"));
  EXPECT_EQ(*c->list_policies(), (std::vector<policy_record>{stream_policy}));
  ASSERT_TRUE(c->put_policy(consumer_policy));
  ASSERT_TRUE(c->delete_policy("arn:s/consumer/a:1"));
  EXPECT_EQ(c->list_policies()->size(), 1u);
  ASSERT_TRUE(c->delete_stream("s"));
  EXPECT_TRUE(c->list_policies()->empty());
}

TEST_F(CatalogTest, AccountSettingsArePersisted) {
  auto c = open_catalog();
  EXPECT_EQ(*c->get_account_settings(), account_settings{});
  account_settings a{"ENABLED", 1700000000000, 0, 1700086400000};
  ASSERT_TRUE(c->put_account_settings(a));
  c = open_catalog();
  EXPECT_EQ(*c->get_account_settings(), a);
  a.commitment_status = "DISABLED";
  a.ended_ms = 1700090000000;
  ASSERT_TRUE(c->put_account_settings(a));
  EXPECT_EQ(*c->get_account_settings(), a);
}

TEST_F(CatalogTest, AVersionTwoCatalogIsUpgradedToThree) {
  // What version 2 wrote: the streams table without the per-stream settings.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                         "INSERT INTO schema_version VALUES (2);"
                         "CREATE TABLE streams (name TEXT PRIMARY KEY, arn TEXT NOT NULL, "
                         "status TEXT NOT NULL, mode TEXT NOT NULL, retention_hours INTEGER NOT "
                         "NULL, created_ms INTEGER NOT NULL, encryption_type TEXT NOT NULL, "
                         "kms_key_id TEXT NOT NULL, next_shard_index INTEGER NOT NULL);"
                         "INSERT INTO streams VALUES ('old', 'arn:old', 'ACTIVE', 'PROVISIONED', "
                         "24, 1700000000000, 'NONE', '', 1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  {
    auto c = open_catalog();
    ASSERT_TRUE(c);
    auto old = c->get_stream("old");
    ASSERT_TRUE(old) << old.error().message();
    EXPECT_EQ(old->max_record_size_kib, 1024);
    EXPECT_TRUE(old->shard_level_metrics.empty());
    EXPECT_EQ(old->warm_target_mibs, 0);
    old->max_record_size_kib = 2048;
    old->shard_level_metrics = {"ALLX"};
    ASSERT_TRUE(c->update_stream(*old));
    ASSERT_TRUE(c->put_policy({"arn:old", "old", "", "{}"}));
    ASSERT_TRUE(c->put_account_settings({"ENABLED", 1, 0, 2}));
  }
  auto c = open_catalog();  // opening an upgraded file again changes nothing
  ASSERT_TRUE(c);
  EXPECT_EQ(c->get_stream("old")->max_record_size_kib, 2048);
  EXPECT_EQ(c->list_policies()->size(), 1u);
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 3);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(CatalogTest, CrashInTheMiddleOfCreateLeavesNoTrace) {
  {
    auto c = open_catalog();
    ASSERT_TRUE(c->create_stream(make_stream("before", 2), make_shards(2)));
  }
  run_and_die([&] {
    auto c = catalog::open(path_);
    int shards_written = 0;
    (*c)->set_fault_hook([&](std::string_view step) {
      if (step == "shard inserted" && ++shards_written == 3) _exit(42);
      return false;
    });
    (void)(*c)->create_stream(make_stream("torn", 5), make_shards(5));
  });
  auto c = open_catalog();
  EXPECT_EQ(c->get_stream("torn").error(), errc::stream_not_found);
  EXPECT_EQ(c->list_streams()->size(), 1u);
  EXPECT_EQ(c->list_shards("before")->size(), 2u);
  // The name is free: the torn transaction left no shard rows behind.
  ASSERT_TRUE(c->create_stream(make_stream("torn", 5), make_shards(5)));
}

TEST_F(CatalogTest, CrashInTheMiddleOfReshardKeepsTheOldTopology) {
  auto s = make_stream("s", 1);
  {
    auto c = open_catalog();
    ASSERT_TRUE(c->create_stream(s, make_shards(1)));
  }
  run_and_die([&] {
    auto c = catalog::open(path_);
    (*c)->set_fault_hook([](std::string_view step) {
      if (step == "shard closed") _exit(42);
      return false;
    });
    auto halves = kinesis::split_evenly(2);
    auto next = s;
    next.next_shard_index = 3;
    (void)(*c)->reshard(next, {{0, 10}},
                        {{1, halves[0], 0, std::nullopt, 0, std::nullopt, 1},
                         {2, halves[1], 0, std::nullopt, 0, std::nullopt, 1}});
  });
  auto c = open_catalog();
  auto shards = *c->list_shards("s");
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_TRUE(shards[0].is_open());
  EXPECT_EQ(c->get_stream("s")->next_shard_index, 1u);
}

TEST_F(CatalogTest, CommittedChangeSurvivesImmediateDeath) {
  run_and_die([&] {
    auto c = catalog::open(path_);
    if ((*c)->create_stream(make_stream("kept", 1), make_shards(1))) _exit(42);
    _exit(1);
  });
  auto c = open_catalog();
  EXPECT_TRUE(c->get_stream("kept"));
}

}  // namespace
}  // namespace spate::metadata
