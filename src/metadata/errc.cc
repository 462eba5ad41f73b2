// Error categories of the metadata layer.
#include "metadata/errc.h"

#include <sqlite3.h>

#include <string>

namespace spate::metadata {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "spate.metadata"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::stream_not_found:
        return "stream not found";
      case errc::stream_exists:
        return "stream already exists";
      case errc::shard_not_found:
        return "shard not found";
      case errc::schema_too_new:
        return "the catalog schema is newer than this build reads: the directory was written by a newer spated";
    }
    return "unknown metadata error " + std::to_string(code);
  }
};

class sqlite_errors final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int code) const override { return sqlite3_errstr(code); }
};

}  // namespace

const std::error_category& metadata_category() noexcept {
  static const category instance;
  return instance;
}

const std::error_category& sqlite_category() noexcept {
  static const sqlite_errors instance;
  return instance;
}

}  // namespace spate::metadata
