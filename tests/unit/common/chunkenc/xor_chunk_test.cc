#include "common/chunkenc/xor_chunk.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace strata {
namespace {

std::string Encode(const std::vector<Sample>& samples) {
  XorAppender app;
  for (const Sample& s : samples) app.Append(s.timestamp_ms, s.value);
  return std::string(app.bytes());
}

void CheckRoundTrip(const std::vector<Sample>& samples) {
  std::string bytes = Encode(samples);
  CHECK(XorChunkNumSamples(bytes) == samples.size());
  std::vector<Sample> out;
  REQUIRE(DecodeXorChunk(bytes, &out).ok());
  REQUIRE(out.size() == samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    INFO("sample " << i << " t=" << samples[i].timestamp_ms);
    CHECK(SameBits(out[i], samples[i]));
  }
}

TEST_CASE("xor chunk bytes match the Prometheus bit layout", "[common][chunkenc][unit]") {
  // Derived by hand from tsdb/chunkenc/xor.go: count, varint(1000)=D0 0F,
  // raw 1.0, uvarint(1000)=E8 07, then the bit stream
  // '0' (same value) '0' (dod 0) '11' 00001 001011 11111111111 (1.0^2.0).
  std::string bytes = Encode({{1000, 1.0}, {2000, 1.0}, {3000, 2.0}});
  const unsigned char want[] = {0x00, 0x03, 0xD0, 0x0F, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0xE8, 0x07, 0x30, 0x97, 0xFF, 0xC0};
  CHECK(bytes == std::string(reinterpret_cast<const char*>(want), sizeof(want)));
}

TEST_CASE("xor chunk round-trips random series bit-exactly", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 50; ++round) {
    std::vector<Sample> s;
    int64_t t = static_cast<int64_t>(rng() % 2000000000000ULL);
    double v = static_cast<double>(rng() % 1000);
    size_t n = 1 + rng() % 600;
    for (size_t i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0: t += 15000; break;
        case 1: t += 15000 + static_cast<int64_t>(rng() % 200) - 100; break;
        case 2: t += static_cast<int64_t>(rng() % 10000000); break;
        default: break;  // equal timestamp
      }
      switch (rng() % 4) {
        case 0: break;
        case 1: v += 1; break;
        case 2: v = std::bit_cast<double>(rng()); break;
        default: v = static_cast<double>(rng() % 100) / 7.0; break;
      }
      s.push_back({t, v});
    }
    CheckRoundTrip(s);
  }
}

TEST_CASE("xor appender reused after Finish writes exactly what a fresh one writes", "[common][chunkenc][unit]") {
  // No byte, bit or window of a finished chunk may leak into the next one.
  std::mt19937_64 rng(20261122);
  XorAppender reused;
  for (int round = 0; round < 40; ++round) {
    std::vector<Sample> s;
    int64_t t = static_cast<int64_t>(rng() % 2000000000000ULL);
    // Long chunks of random bits first, then short ones of small values.
    const size_t n = round < 20 ? 200 + rng() % 300 : 1 + rng() % 5;
    for (size_t i = 0; i < n; ++i) {
      t += 15000 + static_cast<int64_t>(rng() % 3) * 7;
      s.push_back({t, round < 20 ? std::bit_cast<double>(rng()) : static_cast<double>(rng() % 4)});
    }
    for (const Sample& x : s) reused.Append(x.timestamp_ms, x.value);
    CHECK(reused.num_samples() == n);
    CHECK(reused.min_time() == s.front().timestamp_ms);
    CHECK(reused.max_time() == s.back().timestamp_ms);
    const std::string want = Encode(s);
    CHECK(reused.bytes() == want);
    CHECK(reused.Finish() == want);
    CHECK(reused.num_samples() == 0);
    CHECK(reused.bytes() == std::string(2, '\0'));
  }
}

TEST_CASE("xor appender moves keep the open chunk and leave an empty one", "[common][chunkenc][unit]") {
  XorAppender a;
  a.Append(1000, 1.5);
  a.Append(16000, 2.5);
  const std::string want(a.bytes());
  XorAppender b(std::move(a));
  CHECK(b.bytes() == want);
  CHECK(a.num_samples() == 0);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  CHECK(a.bytes() == std::string(2, '\0'));
  a.Append(5, 5.0);  // a moved-from appender is usable
  CHECK(a.num_samples() == 1);
  b.Append(31000, 3.5);
  a = std::move(b);
  CHECK(a.num_samples() == 3);
  std::vector<Sample> out;
  REQUIRE(DecodeXorChunk(a.bytes(), &out).ok());
  REQUIRE(out.size() == 3);
  CHECK(out[2].timestamp_ms == 31000);
  CHECK(out[2].value == 3.5);
}

TEST_CASE("xor chunk keeps special float values bit-exact", "[common][chunkenc][unit]") {
  double inf = std::numeric_limits<double>::infinity();
  CheckRoundTrip({{1, StaleNaN()},
                  {2, std::bit_cast<double>(0x7ff8000000000abcULL)},
                  {3, std::bit_cast<double>(0xfff0000000000001ULL)},
                  {4, inf},
                  {5, -inf},
                  {6, -0.0},
                  {7, 0.0},
                  {8, StaleNaN()},
                  {9, std::numeric_limits<double>::denorm_min()},
                  {10, std::numeric_limits<double>::max()}});
}

TEST_CASE("xor chunk handles 1 and 2 sample chunks and equal timestamps", "[common][chunkenc][unit]") {
  CheckRoundTrip({{-5, 1.5}});
  CheckRoundTrip({{std::numeric_limits<int64_t>::min() / 2, 1.5}});
  CheckRoundTrip({{100, 1.5}, {100, 2.5}});
  CheckRoundTrip({{100, 1.5}, {100, 2.5}, {100, 2.5}, {100, 3.5}});
  XorAppender empty;
  CHECK(XorChunkNumSamples(empty.bytes()) == 0);
  std::vector<Sample> out;
  CHECK(DecodeXorChunk(empty.bytes(), &out).ok());
  CHECK(out.empty());
}

TEST_CASE("xor chunk encodes large gaps and negative delta-of-deltas in every bucket", "[common][chunkenc][unit]") {
  // Deltas chosen so delta-of-delta hits each bucket boundary on both sides,
  // including beyond 20 bits (the '1111' + 64-bit form).
  std::vector<int64_t> deltas = {10,     10,      8192 + 10, 10,        -8191 + 10 + 8191, 8193,  1,
                                 65537,  1,       65536,     1,         524289,            1,     524288,
                                 1,      1 << 30, 1,         int64_t{1} << 40, 0, 3, 0};
  std::vector<Sample> s;
  int64_t t = 1700000000000;
  double v = 0;
  s.push_back({t, v});
  for (int64_t d : deltas) {
    t += d;
    v += 0.5;
    s.push_back({t, v});
  }
  CheckRoundTrip(s);
}

TEST_CASE("xor chunk snapshot of bytes mid-stream decodes to the samples so far", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(99);
  XorAppender app;
  std::vector<Sample> all;
  int64_t t = 1000;
  for (int i = 0; i < 300; ++i) {
    t += 1000 + static_cast<int64_t>(rng() % 50);
    double v = static_cast<double>(rng() % 100000) / 3.0;
    app.Append(t, v);
    all.push_back({t, v});
    std::string snapshot(app.bytes());
    std::vector<Sample> out;
    REQUIRE(DecodeXorChunk(snapshot, &out).ok());
    REQUIRE(out.size() == all.size());
    CHECK(SameBits(out.back(), all.back()));
  }
  CHECK(app.min_time() == all.front().timestamp_ms);
  CHECK(app.max_time() == all.back().timestamp_ms);
  std::string finished = app.Finish();
  CHECK(XorChunkNumSamples(finished) == 300);
  CHECK(app.num_samples() == 0);
  CHECK(XorChunkNumSamples(app.bytes()) == 0);
}

TEST_CASE("xor chunk reports truncated or garbage input as data loss", "[common][chunkenc][unit]") {
  std::vector<Sample> s;
  for (int i = 0; i < 100; ++i) s.push_back({i * 15000 + (i % 3), i * 1.25 + (i % 7)});
  std::string bytes = Encode(s);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<Sample> out;
    absl::Status st = DecodeXorChunk(std::string_view(bytes).substr(0, cut), &out);
    INFO("cut at " << cut);
    CHECK(st.code() == absl::StatusCode::kDataLoss);
    CHECK(out.size() < s.size());
  }
  std::mt19937_64 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(rng() % 64, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    std::vector<Sample> out;
    absl::Status st = DecodeXorChunk(garbage, &out);
    CHECK((st.ok() || st.code() == absl::StatusCode::kDataLoss));
    CHECK(out.size() <= XorChunkNumSamples(garbage));
  }
  // A flipped bit in the middle never crashes the decoder.
  for (size_t bit = 16; bit < bytes.size() * 8; bit += 7) {
    std::string b = bytes;
    b[bit / 8] = static_cast<char>(b[bit / 8] ^ (1 << (bit % 8)));
    std::vector<Sample> out;
    absl::Status st = DecodeXorChunk(b, &out);
    CHECK((st.ok() || st.code() == absl::StatusCode::kDataLoss));
  }
}

}  // namespace
}  // namespace strata
