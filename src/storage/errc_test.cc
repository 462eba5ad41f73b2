#include "storage/errc.h"

#include <gtest/gtest.h>

#include <set>

namespace spate::storage {
namespace {

TEST(StorageErrc, EveryCodeHasItsOwnMessageAndCategory) {
  std::error_code ec = errc::corruption;
  EXPECT_EQ(ec.category().name(), std::string("spate.storage"));
  EXPECT_EQ(ec.message(), "corrupt record frame before the end of a segment");
  std::set<std::string> messages;
  for (int code = 1; code <= static_cast<int>(errc::log_closed); ++code) {
    auto message = make_error_code(static_cast<errc>(code)).message();
    EXPECT_EQ(message.find("unknown"), std::string::npos) << code;
    messages.insert(message);
  }
  EXPECT_EQ(messages.size(), static_cast<std::size_t>(errc::log_closed));
  EXPECT_NE(std::error_code(errc::log_closed), std::error_condition(std::errc::io_error));
}

}  // namespace
}  // namespace spate::storage
