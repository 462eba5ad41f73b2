// The smallest useful producer: sends N lines ("record-<i>") to a stream through the batching
// producer and prints where each one landed. Usage: spate-example-producer STREAM [COUNT]
// (endpoint from AWS_ENDPOINT_URL, default the local spated).
#include <spate/client/producer.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  // --help (or -h) is a request for the usage, not a stream name; other options are mistakes.
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: %s STREAM [COUNT]\n", argv[0]);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s STREAM [COUNT]\n", argv[0]);
    return 2;
  }
  const int count = argc > 2 ? std::stoi(argv[2]) : 10;

  spate::client::producer_options options;
  options.stream.stream_name = argv[1];
  spate::client::producer producer(spate::client::make_client(), options);

  std::vector<std::future<spate::client::outcome<spate::client::put_result>>> results;
  for (int i = 0; i < count; ++i) {
    results.push_back(producer.put("key-" + std::to_string(i % 4), "record-" + std::to_string(i)));
  }
  producer.flush();

  int failed = 0;
  for (int i = 0; i < count; ++i) {
    auto result = results[i].get();
    if (!result) {
      std::fprintf(stderr, "record-%d failed: %s\n", i, result.err().to_string().c_str());
      ++failed;
      continue;
    }
    std::printf("record-%d -> %s %s\n", i, result->shard_id.c_str(),
                result->sequence_number.c_str());
  }
  return failed == 0 ? 0 : 1;
}
