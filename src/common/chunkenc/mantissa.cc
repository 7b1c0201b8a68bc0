#include "common/chunkenc/mantissa.h"

namespace strata::chunkenc_internal {
namespace {

// The smallest exponent representing v, or -1.
int MinExponent(double v) {
  for (int e = 0; e <= kMaxDecimalExponent; ++e) {
    int64_t m;
    if (ToMantissa(v, e, &m)) return e;
  }
  return -1;
}

}  // namespace

int SharedExponent(std::span<const Sample> samples) {
  int e = -1;
  for (const Sample& s : samples) {
    // Integers (the common case) need no search beyond e = 0.
    int m = MinExponent(s.value);
    if (m > e) e = m;
    if (e == kMaxDecimalExponent) break;
  }
  return e;
}

void ToMantissas(std::span<const Sample> samples, int e, std::vector<uint64_t>* mantissas,
                 std::vector<Exception>* exceptions) {
  mantissas->resize(samples.size());
  exceptions->clear();
  int64_t prev = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    int64_t m;
    if (ToMantissa(samples[i].value, e, &m)) {
      prev = m;
    } else {
      exceptions->emplace_back(i, Bits(samples[i].value));
      m = prev;
    }
    (*mantissas)[i] = static_cast<uint64_t>(m);
  }
}

void PutExceptions(const std::vector<Exception>& exceptions, std::string* out) {
  PutVarint(out, exceptions.size());
  size_t next_index = 0;
  for (const auto& [index, bits] : exceptions) {
    PutVarint(out, index - next_index);
    PutFixed64(out, bits);
    next_index = index + 1;
  }
}

bool ReadExceptions(ByteReader* r, size_t n, std::vector<Exception>* exceptions) {
  uint64_t count;
  if (!r->GetVarint(&count) || count > n) return false;
  exceptions->resize(count);
  uint64_t next_index = 0;
  for (auto& [index, bits] : *exceptions) {
    uint64_t gap;
    if (!r->GetVarint(&gap) || gap >= n - next_index) return false;
    index = next_index + gap;
    next_index = index + 1;
    if (!r->GetFixed64(&bits)) return false;
  }
  return true;
}

bool ReadTimestamps(BitReader* bits, int mode, const std::array<uint64_t, kMaxSeeds>& seeds, size_t n, Sample* s) {
  return ReadSequence(bits, mode, seeds, n,
                      [s](size_t i, uint64_t x) { s[i].timestamp_ms = static_cast<int64_t>(x); });
}

bool ReadMantissaValues(BitReader* bits, int mode, const std::array<uint64_t, kMaxSeeds>& seeds, size_t n, int e,
                        Sample* s) {
  if (e == 0) {  // integers: no division
    return ReadSequence(bits, mode, seeds, n,
                        [s](size_t i, uint64_t x) { s[i].value = static_cast<double>(static_cast<int64_t>(x)); });
  }
  return ReadSequence(bits, mode, seeds, n,
                      [s, e](size_t i, uint64_t x) { s[i].value = FromMantissa(static_cast<int64_t>(x), e); });
}

}  // namespace strata::chunkenc_internal
