#include "common/chunkenc/chunk_codec.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace strata {
namespace {

constexpr ChunkEncoding kAllEncodings[] = {ChunkEncoding::kXor, ChunkEncoding::kIntDelta, ChunkEncoding::kDecimal,
                                           ChunkEncoding::kSplit};

const char* Name(ChunkEncoding e) {
  switch (e) {
    case ChunkEncoding::kXor: return "xor";
    case ChunkEncoding::kIntDelta: return "int-delta";
    case ChunkEncoding::kDecimal: return "decimal";
    case ChunkEncoding::kSplit: return "split";
  }
  return "?";
}

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

void CheckRoundTrip(ChunkEncoding encoding, const std::vector<Sample>& samples) {
  INFO("encoding " << Name(encoding) << ", " << samples.size() << " samples");
  std::string bytes = EncodeChunk(encoding, samples);
  CHECK(ChunkNumSamples(encoding, bytes) == samples.size());
  std::vector<Sample> out = {{1, 2.0}};  // decoding appends
  REQUIRE(DecodeChunk(encoding, bytes, &out).ok());
  REQUIRE(out.size() == samples.size() + 1);
  for (size_t i = 0; i < samples.size(); ++i) {
    INFO("sample " << i << " t=" << samples[i].timestamp_ms << " bits=" << std::hex
                   << std::bit_cast<uint64_t>(samples[i].value));
    REQUIRE(SameBits(out[i + 1], samples[i]));
  }
}

void CheckAllRoundTrip(const std::vector<Sample>& samples) {
  for (ChunkEncoding e : kAllEncodings) CheckRoundTrip(e, samples);
  EncodedChunk best = EncodeBest(samples);
  std::vector<Sample> out;
  REQUIRE(DecodeChunk(best.encoding, best.data, &out).ok());
  REQUIRE(out.size() == samples.size());
  for (size_t i = 0; i < samples.size(); ++i) REQUIRE(SameBits(out[i], samples[i]));
}

std::vector<Sample> Regular(const std::vector<double>& values, int64_t start = 1700000000000, int64_t step = 15000) {
  std::vector<Sample> out;
  for (size_t i = 0; i < values.size(); ++i) out.push_back({start + static_cast<int64_t>(i) * step, values[i]});
  return out;
}

// Values that no integer or decimal mantissa represents, plus edge integers.
std::vector<double> SpecialValues() {
  return {StaleNaN(),
          std::numeric_limits<double>::quiet_NaN(),
          FromBits(0x7ff8dead0000beefULL),  // NaN with payload
          FromBits(0xfff0000000000001ULL),  // negative signalling NaN
          std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(),
          -0.0,
          0.0,
          std::numeric_limits<double>::denorm_min(),
          -std::numeric_limits<double>::denorm_min(),
          std::numeric_limits<double>::min(),
          std::numeric_limits<double>::max(),
          std::numeric_limits<double>::lowest(),
          9007199254740992.0,   // 2^53
          -9007199254740992.0,  // -2^53
          9007199254740994.0,   // 2^53 + 2: integral, beyond the exact range
          0.1,
          1.0 / 3.0,
          12.375,
          1e15,
          1e-15,
          3.141592653589793};
}

TEST_CASE("every codec round-trips special values bit for bit", "[common][chunkenc][unit]") {
  std::vector<double> specials = SpecialValues();
  CheckAllRoundTrip(Regular(specials));
  // Each special alone amid a counter, at the start, in the middle, at the end.
  for (double special : specials) {
    std::vector<double> values;
    for (int i = 0; i < 40; ++i) values.push_back(1000.0 + i * 17);
    for (size_t pos : {size_t{0}, size_t{17}, size_t{39}}) {
      std::vector<double> v = values;
      v[pos] = special;
      CheckAllRoundTrip(Regular(v));
    }
    // Runs of the special value (stale series, NaN gauges).
    CheckAllRoundTrip(Regular(std::vector<double>(33, special)));
  }
}

TEST_CASE("every codec round-trips random bit patterns and random timestamps", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 50; ++round) {
    size_t n = 1 + rng() % 300;
    std::vector<Sample> samples;
    int64_t t = static_cast<int64_t>(rng());
    for (size_t i = 0; i < n; ++i) {
      double v = 0;
      switch (rng() % 4) {
        case 0: v = FromBits(rng()); break;
        case 1: v = static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000); break;
        case 2: v = static_cast<double>(static_cast<int64_t>(rng() % 200001) - 100000) / 1000.0; break;
        case 3: v = static_cast<double>(static_cast<int64_t>(rng() >> 10)); break;  // up to 2^54: some inexact
      }
      samples.push_back({t, v});
      // Mostly small steps, sometimes huge ones (wrapping is part of the contract).
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + (rng() % 8 == 0 ? rng() : rng() % 30000));
    }
    CheckAllRoundTrip(samples);
  }
}

TEST_CASE("codecs round-trip equal timestamps, large gaps and extreme timestamps", "[common][chunkenc][unit]") {
  CheckAllRoundTrip({{5, 1}, {5, 2}, {5, 3}, {5, 3}});
  CheckAllRoundTrip({{0, 1}, {1, 2}, {int64_t{1} << 40, 3}, {(int64_t{1} << 40) + 1, 4}, {int64_t{1} << 62, 5}});
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  CheckAllRoundTrip({{kMin, 1}, {-1, 2}, {0, 3}, {kMax, 4}});
  CheckAllRoundTrip({{-1700000000000, 0.5}, {-1699999985000, 0.75}});
}

TEST_CASE("codecs round-trip empty, single-sample and two-sample chunks", "[common][chunkenc][unit]") {
  CheckAllRoundTrip({});
  CheckAllRoundTrip({{1700000000000, 42}});
  CheckAllRoundTrip({{-3, StaleNaN()}});
  CheckAllRoundTrip({{1700000000000, 0.25}, {1700000015000, -0.0}});
}

TEST_CASE("codecs round-trip a full 65535-sample chunk", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(7);
  std::vector<Sample> samples;
  double counter = 0;
  int64_t t = 1700000000000;
  for (size_t i = 0; i < kMaxChunkSamples; ++i) {
    counter += static_cast<double>(rng() % 5000);
    t += 15000 + static_cast<int64_t>(rng() % 5) - 2;
    samples.push_back({t, i % 1000 == 999 ? StaleNaN() : counter});
  }
  CheckAllRoundTrip(samples);
  EncodedChunk best = EncodeBest(samples);
  CHECK(best.encoding == ChunkEncoding::kIntDelta);
}

TEST_CASE("kDecimal round-trips gauges with few decimals and picks the shared exponent", "[common][chunkenc][unit]") {
  std::vector<Sample> samples = Regular({0.25, 12.375, 3.14, -7.5, 0, 100, 0.001, StaleNaN()});
  CheckAllRoundTrip(samples);
  // 0.001 needs e = 3: an exponent byte of 3 follows the order byte and count.
  std::string bytes = EncodeDecimalChunk(samples);
  REQUIRE(bytes.size() > 3);
  CHECK(static_cast<int>(bytes[2]) == 3);
}

TEST_CASE("EncodeBest keeps the smallest encoding", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(99);
  auto check_smallest = [](const std::vector<Sample>& samples) {
    EncodedChunk best = EncodeBest(samples);
    for (ChunkEncoding e : kAllEncodings) {
      INFO("best " << Name(best.encoding) << " vs " << Name(e));
      CHECK(best.data.size() <= EncodeChunk(e, samples).size());
    }
    return best.encoding;
  };
  std::vector<Sample> counter, gauge, noise, constant;
  double c = 123456;
  double walk = 1000;
  std::normal_distribution<double> step(0, 1);
  for (int i = 0; i < 240; ++i) {
    int64_t t = 1700000000000 + i * 15000 + static_cast<int64_t>(rng() % 5);
    c += static_cast<double>(rng() % 50000);
    counter.push_back({t, c});
    gauge.push_back({t, std::round((50 + std::sin(i / 10.0) * 20) * 100) / 100});
    walk += step(rng);  // full-precision floats: no decimal form, XOR's case
    noise.push_back({1700000000000 + i * 15000, walk});
    constant.push_back({1700000000000 + i * 15000, 1});
  }
  CHECK(check_smallest(counter) == ChunkEncoding::kIntDelta);
  CHECK(check_smallest(gauge) == ChunkEncoding::kDecimal);
  // XOR's values, but timestamps packed apart: 6 bits per 32 exact steps
  // instead of Gorilla's bit per sample.
  CHECK(check_smallest(noise) == ChunkEncoding::kSplit);
  check_smallest(constant);
  // A counter beats Gorilla by a wide margin (integer deltas vs XOR noise).
  CHECK(EncodeBest(counter).data.size() * 3 < EncodeXorChunk(counter).size() * 2);
  // Empty: the 2-byte XOR header.
  CHECK(EncodeBest({}).data.size() == 2);
}

TEST_CASE("kSplit keeps timestamps apart and wins where values need XOR", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> step(0, 1);
  std::vector<Sample> noise, counter;
  double walk = 1000, c = 0;
  for (int i = 0; i < 240; ++i) {
    // A scrape jittering by 0-4 ms, as real scrapes do.
    const int64_t t = 1700000000000 + i * 15000 + static_cast<int64_t>(rng() % 5);
    walk += step(rng);
    c += static_cast<double>(rng() % 1000);
    noise.push_back({t, walk});
    counter.push_back({t, c});
  }
  // Gorilla pays 16 bits for most jittered timestamps (1 when the jitter
  // repeats), kSplit the jitter's 3: at least 9 bits less per sample.
  const std::string split = EncodeSplitChunk(noise);
  CHECK(split.size() + 240 * 9 / 8 < EncodeXorChunk(noise).size());
  CHECK(EncodeBest(noise).encoding == ChunkEncoding::kSplit);

  // Chunks with the same timestamps have the same timestamp section, and
  // splitting and joining gives the chunk back.
  std::string_view ts_noise, values_noise, ts_counter, values_counter;
  const std::string split_counter = EncodeSplitChunk(counter);
  REQUIRE(SplitChunkTimestamps(split, &ts_noise, &values_noise));
  REQUIRE(SplitChunkTimestamps(split_counter, &ts_counter, &values_counter));
  CHECK(ts_noise == ts_counter);
  CHECK(values_noise != values_counter);
  CHECK(JoinChunkTimestamps(ts_noise, values_counter) == split_counter);
  // Integer values keep the mantissa form: as small as kIntDelta give or
  // take the section size and the padding byte.
  CHECK(split_counter.size() <= EncodeIntDeltaChunk(counter).size() + 3);

  // A chunk whose section is stored apart (size 0) is not a whole chunk.
  std::vector<Sample> out;
  CHECK(DecodeChunk(ChunkEncoding::kSplit, std::string("\0\1\2\3\4\5\6\7\x8\x10", 10), &out).code() ==
        absl::StatusCode::kDataLoss);
  CHECK(!SplitChunkTimestamps(std::string_view("\0", 1), &ts_noise, &values_noise));
  CHECK(out.empty());
}

// The modes byte (docs/format/chunk.md): high nibble timestamps, low nibble values.
int TimestampMode(const std::string& chunk) { return static_cast<uint8_t>(chunk[0]) >> 4; }
int ValueMode(const std::string& chunk) { return static_cast<uint8_t>(chunk[0]) & 0xf; }

TEST_CASE("integer chunks pick the sequence mode that fits the data", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(5);
  std::vector<Sample> jittered, flags, steady;
  for (int i = 0; i < 240; ++i) {
    // Per-scrape jitter of a few ms around a 15 s grid: the linear mode (4)
    // pays only the jitter's range (3 bits for 0..7 ms), where the
    // difference modes pay for the difference of two jitters.
    int64_t t = 1700000000000 + int64_t{i} * 15000 + static_cast<int64_t>(rng() % 8);
    jittered.push_back({t, 5});
    flags.push_back({1700000000000 + int64_t{i} * 15000, static_cast<double>(rng() % 2)});
    steady.push_back({t, 1e9 + i * 100000.0 + static_cast<double>(rng() % 16)});
  }
  std::string j = EncodeIntDeltaChunk(jittered);
  CHECK(TimestampMode(j) == 4);
  CHECK(j.size() <= 240 * 3 / 8 + 30);  // 3 bits of jitter per sample, widths, seeds
  std::string f = EncodeIntDeltaChunk(flags);
  CHECK(ValueMode(f) == 0);  // offset: one bit per 0/1 flag
  // 240 bits of flags, a 6-bit width per 32 samples in each sequence, seeds.
  CHECK(f.size() <= 240 / 8 + 30);
  CHECK(f.size() * 2 < EncodeXorChunk(flags).size());
  std::string s = EncodeIntDeltaChunk(steady);
  CHECK((ValueMode(s) == 3 || ValueMode(s) == 4));  // a steady rate: residuals about D
  CHECK(s.size() < EncodeXorChunk(steady).size() / 2);
  for (const auto* samples : {&jittered, &flags, &steady}) CheckAllRoundTrip(*samples);
}

TEST_CASE("truncated or corrupt chunks of every codec give DataLoss, never a crash", "[common][chunkenc][unit]") {
  std::mt19937_64 rng(3);
  std::vector<Sample> samples;
  for (int i = 0; i < 100; ++i) {
    double v = i % 3 == 0 ? 12.5 + i : static_cast<double>(i * 1000);
    if (i == 50) v = StaleNaN();
    samples.push_back({1700000000000 + i * 15000 + static_cast<int64_t>(rng() % 3), v});
  }
  for (ChunkEncoding e : kAllEncodings) {
    INFO("encoding " << Name(e));
    std::string bytes = EncodeChunk(e, samples);
    // Every strict prefix is malformed and must fail cleanly, leaving `out` unchanged.
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<Sample> out = {{7, 7.0}};
      absl::Status st = DecodeChunk(e, std::string_view(bytes).substr(0, len), &out);
      INFO("prefix " << len << " of " << bytes.size());
      CHECK(st.code() == absl::StatusCode::kDataLoss);
      CHECK(out.size() == 1);
    }
    // Random corruption: any outcome but a crash or an over-read (ASan/UBSan
    // builds check the latter); a successful decode yields the claimed count.
    for (int round = 0; round < 2000; ++round) {
      std::string bad = bytes;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      std::vector<Sample> out;
      absl::Status st = DecodeChunk(e, bad, &out);
      if (st.ok()) {
        CHECK(out.size() == ChunkNumSamples(e, bad));
      } else {
        CHECK(st.code() == absl::StatusCode::kDataLoss);
        CHECK(out.empty());
      }
    }
    // Trailing garbage after an integer chunk is rejected (it would hide corruption).
    if (e != ChunkEncoding::kXor) {
      std::vector<Sample> out;
      CHECK(DecodeChunk(e, bytes + std::string(1, '\x01'), &out).code() == absl::StatusCode::kDataLoss);
    }
  }
  // Headers that claim impossible things.
  std::vector<Sample> out;
  CHECK(DecodeChunk(ChunkEncoding::kIntDelta, std::string("\x55\x01\x00", 3), &out).code() ==
        absl::StatusCode::kDataLoss);  // sequence mode 5
  CHECK(DecodeChunk(ChunkEncoding::kIntDelta, std::string("\x00\xff\xff\x7f", 4), &out).code() ==
        absl::StatusCode::kDataLoss);  // count over 65535
  CHECK(DecodeChunk(ChunkEncoding::kDecimal, std::string("\x00\x01\x10\x00", 4), &out).code() ==
        absl::StatusCode::kDataLoss);  // exponent 16
  CHECK(DecodeChunk(ChunkEncoding::kIntDelta, std::string("\x00\x01\x01\x01", 4), &out).code() ==
        absl::StatusCode::kDataLoss);  // exception index beyond the count
  CHECK(DecodeChunk(static_cast<ChunkEncoding>(9), "abc", &out).code() == absl::StatusCode::kDataLoss);
  CHECK(out.empty());
}

}  // namespace
}  // namespace strata
