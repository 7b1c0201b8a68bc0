#include "common/net/gzip.h"

#include <catch2/catch.hpp>
#include <random>

namespace strata {
namespace {

TEST_CASE("gzip round trips text and binary data", "[common][net][unit]") {
  std::mt19937 rng(7);
  std::string binary(100000, '\0');
  for (char& c : binary) c = static_cast<char>(rng());
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "http_requests_total{code=\"200\"} 12345\n";
  for (const std::string& input : {std::string(), std::string("x"), binary, text}) {
    std::string packed = GzipCompress(input);
    REQUIRE(packed.size() >= 18);  // gzip header + trailer
    CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);
    auto unpacked = GzipDecompress(packed, size_t{1} << 24);
    REQUIRE(unpacked.ok());
    CHECK(*unpacked == input);
  }
  CHECK(GzipCompress(text).size() < text.size() / 10);
}

TEST_CASE("gzip decompress rejects corrupt, truncated and oversized input", "[common][net][unit]") {
  std::string text(200000, 'a');
  std::string packed = GzipCompress(text);
  auto truncated = GzipDecompress(std::string_view(packed).substr(0, packed.size() / 2), size_t{1} << 24);
  CHECK(absl::IsInvalidArgument(truncated.status()));
  auto garbage = GzipDecompress("definitely not gzip", size_t{1} << 24);
  CHECK(absl::IsInvalidArgument(garbage.status()));
  auto bomb = GzipDecompress(packed, 1000);
  CHECK(absl::IsResourceExhausted(bomb.status()));
  auto exact = GzipDecompress(packed, text.size());
  REQUIRE(exact.ok());
  CHECK(exact->size() == text.size());
}

TEST_CASE("gzip decompress accepts concatenated members", "[common][net][unit]") {
  std::string packed = GzipCompress("hello ") + GzipCompress("world");
  auto unpacked = GzipDecompress(packed, 1 << 20);
  REQUIRE(unpacked.ok());
  CHECK(*unpacked == "hello world");
}

}  // namespace
}  // namespace strata
