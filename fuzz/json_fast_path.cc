// json_fast_path: the PutRecords JSON fast path's parser (parse_put_records_json), checked
// against the generic path it stands in for (decode_json): fast_path_agreement.h says how.
// The input is a request body.
#include "api/json_fast_path.h"

#include "api/json_codec.h"
#include "fast_path_agreement.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spate;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  api::parsed_put_records fast;
  if (!api::parse_put_records_json(body, fast)) return 0;
  fuzz::check_agreement("json_fast_path", fast, api::decode_json(body),
                        api::number_time::epoch_seconds);
  return 0;
}
