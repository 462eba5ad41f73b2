// http_framing_test: the raw header scans and the Transfer-Encoding / Content-Length rules.
#include "server/http_framing.h"

#include <gtest/gtest.h>

namespace spate::server {
namespace {

http::request_header<> header(std::initializer_list<std::pair<std::string, std::string>> fields,
                              unsigned version = 11) {
  http::request_header<> h;
  h.method(http::verb::post);
  h.target("/");
  h.version(version);
  for (const auto& [name, value] : fields) h.insert(name, value);
  return h;
}

TEST(HttpFramingTest, HeaderBlockEndsAtTheFirstBlankLine) {
  EXPECT_EQ(header_block_end("POST / HTTP/1.1\r\nA: b\r\n\r\nbody"), 25u);
  EXPECT_EQ(header_block_end("POST / HTTP/1.1\r\nA: b\r\n"), std::string_view::npos);
  // Leading empty lines belong to the block (Beast skips them).
  EXPECT_EQ(header_block_end("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 22u);
}

TEST(HttpFramingTest, FindsObsFold) {
  EXPECT_TRUE(has_obs_fold("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n chunked\r\n\r\n"));
  EXPECT_TRUE(has_obs_fold("POST / HTTP/1.1\r\nContent-Length: 1\r\n\t0\r\n\r\n"));
  EXPECT_FALSE(has_obs_fold("POST / HTTP/1.1\r\nA: b c\r\nD:\te\r\n\r\n"));
}

TEST(HttpFramingTest, AcceptsOneUnambiguousLength) {
  EXPECT_FALSE(framing_problem(header({})));
  EXPECT_FALSE(framing_problem(header({{"Content-Length", "12"}})));
  EXPECT_FALSE(framing_problem(header({{"Transfer-Encoding", "chunked"}})));
  EXPECT_FALSE(framing_problem(header({{"Transfer-Encoding", " Chunked "}})));
}

TEST(HttpFramingTest, RefusesEveryOtherTransferEncoding) {
  for (const char* te : {"gzip", "identity", "xchunked", "chunked, identity", "chunked, chunked",
                         "gzip, chunked", ""}) {
    EXPECT_TRUE(framing_problem(header({{"Transfer-Encoding", te}}))) << te;
  }
  EXPECT_TRUE(framing_problem(
      header({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})));
  EXPECT_TRUE(framing_problem(header({{"Transfer-Encoding", "chunked"}}, 10)));
}

TEST(HttpFramingTest, RefusesTwoLengths) {
  EXPECT_TRUE(framing_problem(header({{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}})));
  EXPECT_TRUE(framing_problem(header({{"Content-Length", "3"}, {"Content-Length", "3"}})));
}

}  // namespace
}  // namespace spate::server
