// Tests of the --credentials file format: keys, comments, blank lines, and each way a file is
// refused (wrong field count, a repeated key, no key at all, an unreadable path).
#include "server/credentials.h"

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace spate::server {
namespace {

std::string error_of(std::string_view text) {
  auto parsed = credential_store::parse(text);
  const auto* message = std::get_if<std::string>(&parsed);
  return message ? *message : "(parsed)";
}

TEST(Credentials, KeysCommentsAndBlankLines) {
  auto parsed = credential_store::parse(
      "# keys for the test cluster\n"
      "\n"
      "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
      "   # indented comment\n"
      "AKID2\t\tsecret#with#hashes\r\n"
      "  AKID3   s3  ");
  ASSERT_TRUE(std::holds_alternative<credential_store>(parsed)) << std::get<std::string>(parsed);
  const auto& store = std::get<credential_store>(parsed);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.secret("AKIAIOSFODNN7EXAMPLE"), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(store.secret("AKID2"), "secret#with#hashes");
  EXPECT_EQ(store.secret("AKID3"), "s3");
  EXPECT_FALSE(store.secret("akid3").has_value()) << "access key ids are case-sensitive";
  EXPECT_FALSE(store.secret("unknown").has_value());
}

TEST(Credentials, LineWithoutExactlyTwoFieldsIsAnError) {
  EXPECT_EQ(error_of("AKID1 s1\nAKID2\n"),
            "line 2: expected ACCESS_KEY_ID SECRET_ACCESS_KEY (1 fields)");
  EXPECT_EQ(error_of("AKID1 s1 extra\n"),
            "line 1: expected ACCESS_KEY_ID SECRET_ACCESS_KEY (3 fields)");
}

TEST(Credentials, RepeatedKeyIsAnError) {
  EXPECT_EQ(error_of("A s1\n# x\nA s2\n"), "line 3: access key id A appears twice");
}

TEST(Credentials, FileWithoutKeysIsAnError) {
  EXPECT_EQ(error_of(""), "no access key in it");
  EXPECT_EQ(error_of("# only a comment\n\n"), "no access key in it");
}

TEST(Credentials, LoadNamesTheFile) {
  testutil::temp_dir dir;
  const std::string path = dir.file("keys");
  std::ofstream(path) << "AKID s\n";
  auto loaded = credential_store::load(path);
  ASSERT_TRUE(std::holds_alternative<credential_store>(loaded));
  EXPECT_EQ(std::get<credential_store>(loaded).secret("AKID"), "s");

  std::ofstream(path) << "# nothing\n";
  auto empty = credential_store::load(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(empty));
  EXPECT_EQ(std::get<std::string>(empty), "credentials file " + path + ": no access key in it");

  auto missing = credential_store::load(path + ".missing");
  ASSERT_TRUE(std::holds_alternative<std::string>(missing));
  EXPECT_EQ(std::get<std::string>(missing),
            "cannot read credentials file " + path + ".missing: No such file or directory");
}

}  // namespace
}  // namespace spate::server
