// decode_guide: what of a request document the codecs build into a value, so that decoding
// costs memory in proportion to what the action reads and never to what a client may send.
//
// Guided by an action's request shape (schema.h), a decoder builds:
//   - the members the shape names, each once (others, and repeats, are skipped without being
//     built; the first of repeated members is the one read, as before);
//   - lists and maps up to one element past their limit (validation then reports the length
//     as AWS does; the elements beyond are skipped);
//   - where the shape expects a scalar but the document holds a list or a map, an EMPTY list
//     or map, so that normalize() still reports the type as before, without its contents.
// `everything()` builds the whole document (tests, fuzzing); the codecs bound it otherwise
// (json_codec.h: a cap on elements; cbor_codec.h: on nesting).
//
// Thread safety: a small value type pointing into static shapes.
#pragma once

#include "api/schema.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spate::api {

class decode_guide {
 public:
  // Lists and maps whose member declares no max_length keep at most this many elements.
  static constexpr std::size_t default_max_items = 1'000;

  static decode_guide everything() { return decode_guide(kind::all, nullptr, nullptr); }
  // A request (or structure) of shape `s`.
  static decode_guide object(const shape& s) { return decode_guide(kind::object, &s, nullptr); }

  // How to decode the value of member `name` of an object this guides; nullopt: skip it.
  std::optional<decode_guide> member(std::string_view name) const {
    switch (kind_) {
      case kind::all:
        return everything();
      case kind::object:
        for (const auto& m : shape_->members) {
          if (m.name == name) return for_member(m);
        }
        return std::nullopt;
      case kind::map:
        return scalar();
      default:
        return std::nullopt;
    }
  }
  // How to decode each element of a list this guides; nullopt: skip them.
  std::optional<decode_guide> item() const {
    switch (kind_) {
      case kind::all:
        return everything();
      case kind::list:
        return member_->element ? object(*member_->element) : scalar();
      default:
        return std::nullopt;
    }
  }
  // Whether a member whose name was already decoded is skipped (objects of a shape).
  bool skips_repeats() const { return kind_ == kind::object; }
  // Elements of a list (or members of a map or object) to keep; the rest are skipped.
  std::size_t max_items() const {
    switch (kind_) {
      case kind::all:
        return SIZE_MAX;
      case kind::object:
        return shape_->members.size();  // each named member, once (see skips_repeats)
      case kind::list:
      case kind::map:
        return member_->max_length ? static_cast<std::size_t>(*member_->max_length) + 1
                                   : default_max_items;
      case kind::scalar:
        return 0;
    }
    return 0;
  }

 private:
  enum class kind { all, object, list, map, scalar };
  decode_guide(kind k, const shape* s, const api::member* m) : kind_(k), shape_(s), member_(m) {}
  static decode_guide scalar() { return decode_guide(kind::scalar, nullptr, nullptr); }
  static decode_guide for_member(const api::member& m) {
    switch (m.type) {
      case member_type::list:
        return decode_guide(kind::list, nullptr, &m);
      case member_type::map:
        return decode_guide(kind::map, nullptr, &m);
      case member_type::structure:
        return m.element ? object(*m.element) : scalar();
      default:
        return scalar();
    }
  }

  kind kind_;
  const shape* shape_;
  const api::member* member_;
};

}  // namespace spate::api
