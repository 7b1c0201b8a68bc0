#include "common/encoding/crc32c.h"

#include <random>
#include <string>

#include <catch2/catch.hpp>

namespace strata {
namespace {

TEST_CASE("crc32c matches the published Castagnoli check values", "[common][crc32c][unit]") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(Crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  CHECK(Crc32c(ascending) == 0x46DD794Eu);
  CHECK(Crc32c("") == 0u);
}

TEST_CASE("crc32c hardware and portable paths agree and extend", "[common][crc32c][unit]") {
  std::mt19937_64 rng(42);
  std::string data(4099, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
    for (size_t off : {0u, 1u, 3u}) {
      if (off + len > data.size()) continue;
      const char* p = data.data() + off;
      INFO("len " << len << " offset " << off);
      CHECK(Crc32cExtend(0, p, len) == internal::Crc32cExtendPortable(0, p, len));
    }
  }
  uint32_t whole = Crc32c(data);
  for (size_t split : {0u, 5u, 2048u, 4099u}) {
    uint32_t part = Crc32cExtend(Crc32cExtend(0, data.data(), split), data.data() + split, data.size() - split);
    CHECK(part == whole);
  }
  data[100] ^= 1;
  CHECK(Crc32c(data) != whole);
}

}  // namespace
}  // namespace strata
