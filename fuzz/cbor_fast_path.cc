// cbor_fast_path: the PutRecords CBOR fast path's parser (parse_put_records_cbor), checked
// against the generic path it stands in for (decode_cbor): fast_path_agreement.h says how.
// The input is a request body.
#include "api/cbor_fast_path.h"

#include "api/cbor_codec.h"
#include "fast_path_agreement.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spate;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  api::parsed_put_records fast;
  if (!api::parse_put_records_cbor(body, fast)) return 0;
  fuzz::check_agreement("cbor_fast_path", fast, api::decode_cbor(body),
                        api::number_time::epoch_millis);
  return 0;
}
