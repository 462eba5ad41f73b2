// An outside program of the client library: creates a stream, puts one record through the
// producer, reads it back with GetRecords, prints it and deletes the stream. Built from an
// installed Spate only (by CMake's find_package and by pkg-config); run against spated by
// tests/integration/test_install.py. Usage: outside_program STREAM (endpoint: AWS_ENDPOINT_URL).
#include <spate/client/client.h>
#include <spate/client/producer.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace sc = spate::client;

static int fail(const char* step, const sc::error& err) {
  std::fprintf(stderr, "%s: %s\n", step, err.to_string().c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STREAM\n", argv[0]);
    return 2;
  }
  auto api = sc::make_client();
  const sc::stream_ref stream{argv[1], {}};

  sc::create_stream_request create;
  create.stream_name = argv[1];
  create.shard_count = 1;
  if (auto created = api->create_stream(create); !created) return fail("create", created.err());
  for (;;) {  // CreateStream is asynchronous: wait for ACTIVE
    auto described = api->describe_stream_summary({stream});
    if (!described) return fail("describe", described.err());
    if (described->summary.status == sc::stream_status::active) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  sc::producer_options options;
  options.stream = stream;
  sc::producer out(api, options);
  auto sent = out.put("key", "hello from outside");
  out.flush();
  auto where = sent.get();
  if (!where) return fail("put", where.err());

  auto iterator = api->get_shard_iterator(
      {stream, where->shard_id, sc::start_position::at_sequence(where->sequence_number)});
  if (!iterator) return fail("iterator", iterator.err());
  auto batch = api->get_records({iterator->shard_iterator, 1, ""});
  if (!batch) return fail("get", batch.err());
  if (batch->records.size() != 1) {
    std::fprintf(stderr, "get: %zu records\n", batch->records.size());
    return 1;
  }
  std::printf("%s %s %s\n", where->shard_id.c_str(), batch->records[0].sequence_number.c_str(),
              batch->records[0].data.c_str());
  if (auto deleted = api->delete_stream({stream, false}); !deleted) {
    return fail("delete", deleted.err());
  }
  return 0;
}
