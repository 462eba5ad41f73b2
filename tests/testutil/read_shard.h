// read_shard: every record of one shard through the client's `kinesis` interface, for tests
// that read against fake_stream or spated alike.
#pragma once

#include <spate/client/client.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace spate::testutil {

// Follows `iterator` page by page until the shard's end (no next iterator) or its tip (an empty
// page of an open shard), at most 1000 pages. `last` receives the last answer (ChildShards at
// a closed shard's end). A failed call fails the test and ends the read.
inline std::vector<client::record> read_shard(client::kinesis& api, std::string iterator,
                                              client::get_records_result* last = nullptr,
                                              std::optional<int> limit = std::nullopt) {
  std::vector<client::record> out;
  for (int pages = 0; !iterator.empty() && pages < 1000; ++pages) {
    auto page = api.get_records({iterator, limit, {}});
    EXPECT_TRUE(page.ok()) << page.err().to_string();
    if (!page.ok()) break;
    out.insert(out.end(), page->records.begin(), page->records.end());
    iterator = page->next_shard_iterator;
    if (last) *last = *page;
    if (page->records.empty()) break;  // at the tip of an open shard
  }
  return out;
}

}  // namespace spate::testutil
