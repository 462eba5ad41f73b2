// encoder: a response as a stream of tokens, so an action can write a large answer (thousands
// of records) straight into the wire format without building a value tree first. Each wire
// codec implements it (json_codec.h: json_encoder, cbor_codec.h: cbor_encoder);
// encode_value() writes a value through it.
//
// Thread safety: an encoder belongs to one response; use it from one thread.
#pragma once

#include "api/value.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spate::api {

class encoder {
 public:
  virtual ~encoder() = default;
  virtual void begin_object() = 0;
  virtual void end_object() = 0;
  virtual void begin_array() = 0;
  virtual void end_array() = 0;
  virtual void key(std::string_view name) = 0;
  virtual void string(std::string_view text) = 0;
  virtual void blob(std::string_view bytes) = 0;
  virtual void integer(std::int64_t i) = 0;
  virtual void number(double d) = 0;
  // A point in time; each codec writes it its own way (JSON: epoch seconds with milliseconds,
  // as AWS's JSON protocol does; CBOR: tag 1 around integer epoch milliseconds, as AWS's CBOR
  // protocol does).
  virtual void timestamp(std::int64_t epoch_ms) = 0;
  virtual void boolean(bool b) = 0;
  virtual void null() = 0;
  // A value this codec has already encoded (one whole value: an array, an object, a scalar),
  // written as the next element or member value: the push paths encode a page's records once
  // and write the bytes into every subscriber's event.
  virtual void encoded(std::string_view value_bytes) = 0;
  // A fresh encoder of this one's codec appending to `out`: for a value encoded once, then
  // written many times with encoded().
  virtual std::unique_ptr<encoder> same_codec(std::string& out) const = 0;
};

void encode_value(const value& v, encoder& out);

}  // namespace spate::api
