// Crash tests of the shard log: writers note every record whose append was acknowledged, the
// "machine" crashes at a random moment, and after recovery every acknowledged record must be
// there, once, in order, byte for byte.
//
//  - Power loss (in memory): the disk keeps only what was synced (mem_file_system's crash
//    image), under fsync=batch and fsync=always, where acknowledgement waits for the sync.
//  - Process crash (in memory and for real): a SIGKILLed process loses nothing it handed to
//    the kernel, so under every policy, fsync=never included, acknowledged records survive.
#include "storage/mem_file.h"
#include "storage/posix_file.h"
#include "storage/shard_log.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace spate::storage {
namespace {

std::string crash_record_data(position p) {
  return "record " + std::to_string(p) + " " + std::string(p % 97, static_cast<char>('a' + p % 26));
}

struct acked_range {
  position first;
  position last;
};

shard_log_options small_segments() {
  shard_log_options options;
  options.segment_size = 32 << 10;  // many rolls per run, so sealing races with crashes
  options.segment.index_interval = 1024;
  return options;
}

// Records [first, first + n) as the crash tests write them: the data and key of each are a
// function of its position, so a reader can check every byte. Views stay valid while it lives.
struct numbered_batch {
  numbered_batch(position first, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      data.push_back(crash_record_data(first + i));
      keys.push_back("key-" + std::to_string((first + i) % 7));
    }
    for (std::size_t i = 0; i < n; ++i) records.push_back({keys[i], std::nullopt, data[i]});
  }
  std::vector<std::string> data, keys;
  std::vector<record_input> records;
};

// Appends batches of 1..40 records until `stop`, `pause` apart; records acknowledged ranges.
void write_until_stopped(shard_log& log, std::atomic<bool>& stop, std::mutex& mu,
                         std::vector<acked_range>& acked, unsigned seed,
                         std::chrono::microseconds pause = {}) {
  std::mt19937 rng(seed);
  while (!stop.load()) {
    const std::size_t n = 1 + rng() % 40;
    const position first = log.next_position();
    numbered_batch batch(first, n);
    auto appended = log.append(batch.records, 1000, [&mu, &acked, first, n](std::error_code ec) {
      if (ec) return;
      std::lock_guard lock(mu);
      acked.push_back({first, first + n - 1});
    });
    if (!appended) return;  // the log was closed under us
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

// Checks that every acknowledged record is present once with its bytes, in position order.
// Positions may have gaps: a power loss can take the unacknowledged tail of a sealed segment
// while later segments survive, and positions are never reused.
void verify(const shard_log& log, const std::vector<acked_range>& acked) {
  auto batch = log.read(0, read_limits{10000000, 1u << 30});
  ASSERT_TRUE(batch) << batch.error().message();
  std::vector<bool> present(log.next_position(), false);
  position previous = 0;
  for (std::size_t i = 0; i < batch->records.size(); ++i) {
    const auto& r = batch->records[i];
    if (i > 0) {
      ASSERT_GT(r.pos, previous) << "positions strictly increase";
    }
    previous = r.pos;
    ASSERT_LT(r.pos, present.size());
    ASSERT_EQ(r.data, crash_record_data(r.pos));
    ASSERT_EQ(r.partition_key, "key-" + std::to_string(r.pos % 7));
    present[r.pos] = true;
  }
  for (const auto& range : acked) {
    for (position p = range.first; p <= range.last; ++p) {
      ASSERT_TRUE(p < present.size() && present[p]) << "acknowledged record " << p << " lost";
    }
  }
}

// `logs` shard logs share one committer; with `volume_syncs`, batch rounds that cover several
// of them sync the whole (memory) volume instead of each file.
void crash_repeatedly_in_memory(fsync_policy policy, bool power_loss, int logs = 1,
                                bool volume_syncs = false) {
  auto fs = std::make_unique<mem_file_system>();
  std::vector<std::vector<acked_range>> all_acked(logs);
  std::mt19937 rng(static_cast<unsigned>(policy) * 7919 + power_loss);
  auto committer_for = [&](mem_file_system& on) {
    std::unique_ptr<volume_sync> volume;
    if (volume_syncs) volume = std::move(*on.open_volume_sync("/data"));
    return std::make_unique<group_committer>(policy, std::move(volume));
  };
  auto dir_of = [](int i) { return "/data/s/" + std::to_string(i); };
  int volume_rounds = 0;
  for (int round = 0; round < 25; ++round) {
    std::unique_ptr<mem_file_system> image;
    std::vector<std::vector<acked_range>> acked_before_crash(logs);
    {
      // Declared before the committer: its destructor may still run acknowledgements.
      std::mutex mu;
      std::vector<std::vector<acked_range>> acked(logs);
      std::atomic<bool> stop{false};
      auto committer = committer_for(*fs);
      std::vector<std::unique_ptr<shard_log>> opened;
      for (int i = 0; i < logs; ++i) {
        auto log = shard_log::open(*fs, dir_of(i), small_segments(), *committer);
        ASSERT_TRUE(log) << "round " << round << ": " << log.error().message();
        verify(**log, all_acked[i]);
        opened.push_back(std::move(*log));
      }

      std::vector<std::thread> writers;
      for (int i = 0; i < logs; ++i) {
        writers.emplace_back([&, i] {
          // Several writers, paced: every round reads back everything written so far.
          write_until_stopped(*opened[i], stop, mu, acked[i],
                              static_cast<unsigned>(round * logs + i),
                              logs > 1 ? std::chrono::microseconds(200) : std::chrono::microseconds(0));
        });
      }
      // Crash a random moment after a random number of acknowledgements, so every round
      // crashes with acknowledged records at stake however loaded the machine is.
      const std::size_t acks_wanted = 1 + rng() % 50;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (;;) {
        {
          std::lock_guard lock(mu);
          if (acked[0].size() >= acks_wanted) break;
        }
        if (std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1000));
      {
        // Acknowledgements seen before the crash instant must survive it.
        std::lock_guard lock(mu);
        acked_before_crash = acked;
      }
      image = fs->crash_image(power_loss);
      stop = true;
      for (auto& w : writers) w.join();
      volume_rounds += static_cast<int>(committer->volume_syncs());
    }
    for (int i = 0; i < logs; ++i) {
      all_acked[i].insert(all_acked[i].end(), acked_before_crash[i].begin(),
                          acked_before_crash[i].end());
    }
    fs = std::move(image);
  }
  auto committer = committer_for(*fs);
  for (int i = 0; i < logs; ++i) {
    auto log = shard_log::open(*fs, dir_of(i), small_segments(), *committer);
    ASSERT_TRUE(log);
    verify(**log, all_acked[i]);
    EXPECT_GE(all_acked[i].size(), i == 0 ? 25u : 1u)
        << "log " << i << ": rounds crashed with acknowledged records at stake";
  }
  if (volume_syncs) {
    EXPECT_GT(volume_rounds, 0) << "rounds covered several logs at once";
  }
}

TEST(ShardLogCrash, PowerLossKeepsEveryAcknowledgedRecordUnderBatch) {
  crash_repeatedly_in_memory(fsync_policy::batch, /*power_loss=*/true);
}

TEST(ShardLogCrash, PowerLossKeepsEveryAcknowledgedRecordOfFourLogsSyncedAsAVolume) {
  crash_repeatedly_in_memory(fsync_policy::batch, /*power_loss=*/true, /*logs=*/4,
                             /*volume_syncs=*/true);
}

TEST(ShardLogCrash, PowerLossKeepsEveryAcknowledgedRecordUnderAlways) {
  crash_repeatedly_in_memory(fsync_policy::always, /*power_loss=*/true);
}

TEST(ShardLogCrash, ProcessCrashKeepsEveryAcknowledgedRecordUnderNever) {
  crash_repeatedly_in_memory(fsync_policy::never, /*power_loss=*/false);
}

// A real process on real files, killed with SIGKILL while it appends. The child reports each
// acknowledged range through a pipe; the parent kills it, reopens the log and checks.
void kill_repeatedly_on_disk(fsync_policy policy) {
  testutil::temp_dir dir;
  const std::string log_dir = dir.file("shard");
  std::vector<acked_range> all_acked;
  std::mt19937 rng(1234 + static_cast<unsigned>(policy));
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      posix_file_system fs;
      group_committer committer(policy);
      auto log = shard_log::open(fs, log_dir, small_segments(), committer);
      if (!log) _exit(2);
      // Report acknowledgements as they happen: the pipe write is the acknowledgement.
      std::atomic<int> in_flight{0};
      for (;;) {
        const position first = (*log)->next_position();
        const std::size_t n = 1 + first % 37;
        numbered_batch batch(first, n);
        // Like clients waiting for their responses, at most 8 appends are unacknowledged.
        while (in_flight.load() >= 8) std::this_thread::sleep_for(std::chrono::microseconds(50));
        in_flight++;
        const int out = fds[1];
        auto appended =
            (*log)->append(batch.records, 1000, [out, first, n, &in_flight](std::error_code ec) {
              if (ec) _exit(5);
              acked_range r{first, first + n - 1};
              if (write(out, &r, sizeof r) != sizeof r) _exit(3);
              in_flight--;
            });
        if (!appended) _exit(4);
      }
    }
    close(fds[1]);
    // Let the writer get a random number of acknowledgements out (however loaded the machine
    // is), then kill it a random moment later, mid-append.
    const std::size_t acks_before_kill = 5 + rng() % 300;
    acked_range r;
    std::size_t this_round = 0;
    while (this_round < acks_before_kill && read(fds[0], &r, sizeof r) == sizeof r) {
      all_acked.push_back(r);
      ++this_round;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the writer died of the kill, not of an error: " << WEXITSTATUS(status);
    while (read(fds[0], &r, sizeof r) == sizeof r) {
      all_acked.push_back(r);
      ++this_round;
    }
    close(fds[0]);
    EXPECT_GE(this_round, acks_before_kill) << "round " << round;

    posix_file_system fs;
    group_committer committer(policy);
    auto log = shard_log::open(fs, log_dir, small_segments(), committer);
    ASSERT_TRUE(log) << log.error().message();
    verify(**log, all_acked);
  }
}

TEST(ShardLogCrash, KillNineLosesNoAcknowledgedRecordUnderBatch) {
  kill_repeatedly_on_disk(fsync_policy::batch);
}

TEST(ShardLogCrash, KillNineLosesNoAcknowledgedRecordUnderNever) {
  kill_repeatedly_on_disk(fsync_policy::never);
}

}  // namespace
}  // namespace spate::storage
