#include "common/encoding/varint.h"

#include <cstdint>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace strata {
namespace {

// The bytes PutVarint/PutFixed64/PutLengthPrefixed would have appended:
// StringAppender is their fast twin, and encoders switch between them.
std::string Reference(uint64_t v, std::string_view s) {
  std::string out = "head";
  PutVarint(&out, v);
  PutFixed64(&out, v);
  PutLengthPrefixed(&out, s);
  return out;
}

TEST_CASE("StringAppender writes what the Put functions write and trims to it", "[common][encoding][unit]") {
  const std::string text(300, 'x');  // a two-byte length prefix
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35, ~uint64_t{0}}) {
    CAPTURE(v);
    CHECK(VarintSize(v) == [&] {
      std::string s;
      PutVarint(&s, v);
      return s.size();
    }());
    std::string out = "head";
    StringAppender a(&out, 10 + 8 + 10 + text.size() + 64);  // room to spare
    a.Varint(v);
    a.Fixed64(v);
    a.LengthPrefixed(text);
    CHECK(a.size() == VarintSize(v) + 8 + VarintSize(text.size()) + text.size());
    a.Finish();
    CHECK(out == Reference(v, text));
  }
}

TEST_CASE("StringAppender with exactly the room it needs", "[common][encoding][unit]") {
  std::string out;
  StringAppender a(&out, 3);
  a.Bytes("abc");
  a.Finish();
  CHECK(out == "abc");
}

TEST_CASE("CopyBytes copies every length exactly and writes nothing outside", "[common][encoding][unit]") {
  // Each length through the short cases and past them, at every alignment;
  // guard bytes on both sides of the destination must stay untouched.
  std::string src;
  for (int i = 0; i < 64; ++i) src.push_back(static_cast<char>('A' + i % 50));
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t offset = 0; offset < 8; ++offset) {
      std::string dst(offset + n + 16, '#');
      CopyBytes(dst.data() + offset, src.data() + offset, n);
      CHECK(dst.substr(0, offset) == std::string(offset, '#'));
      CHECK(dst.substr(offset, n) == src.substr(offset, n));
      CHECK(dst.substr(offset + n) == std::string(16, '#'));
    }
  }
}

}  // namespace
}  // namespace strata
