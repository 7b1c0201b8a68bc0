#include "common/chunkenc/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "common/base/check.h"
#include "common/encoding/varint.h"

// Bit layout follows Prometheus tsdb/chunkenc/xor.go exactly; see
// docs/format/chunk.md. Bits are written most significant first.

namespace strata {
namespace {

constexpr size_t kHeaderSize = 2;

// Prometheus's bitRange: the asymmetric range [-(2^(n-1) - 1), 2^(n-1)] that
// an n-bit two's complement field can carry after the reader's fix-up.
inline bool BitRange(int64_t x, int nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= x && x <= (int64_t{1} << (nbits - 1));
}

// The most bytes one sample can take: a 10-byte varint and a 64-bit value
// for the first two; 4 + 64 bits of timestamp and 2 + 5 + 6 + 64 bits of
// value (19 bytes) after them.
constexpr uint32_t kMaxSampleBytes = 20;
// WriteBits stores 8 bytes from the partial byte on.
constexpr uint32_t kStoreSlack = 8;

inline void StoreBigEndian64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

}  // namespace

XorAppender::~XorAppender() { std::free(buf_); }

XorAppender::XorAppender(XorAppender&& other) noexcept { *this = std::move(other); }

XorAppender& XorAppender::operator=(XorAppender&& other) noexcept {
  if (this == &other) return *this;
  std::free(buf_);
  buf_ = std::exchange(other.buf_, nullptr);
  capacity_ = std::exchange(other.capacity_, 0);
  size_ = std::exchange(other.size_, 0);
  min_time_ = other.min_time_;
  max_time_ = other.max_time_;
  last_delta_ = other.last_delta_;
  last_value_bits_ = other.last_value_bits_;
  num_samples_ = std::exchange(other.num_samples_, 0);
  bits_free_ = std::exchange(other.bits_free_, 0);
  leading_ = std::exchange(other.leading_, 0xff);
  trailing_ = other.trailing_;
  return *this;
}

void XorAppender::Reserve() {
  const uint32_t need = size_ + kMaxSampleBytes + kStoreSlack;
  if (need <= capacity_) return;
  // 1.5x: chunks stop at a few hundred bytes, so doubling would mostly
  // leave slack behind in every series of the head.
  uint32_t grown = std::max<uint32_t>(need, capacity_ + capacity_ / 2);
  grown = (grown + 15) & ~uint32_t{15};
  void* p = std::realloc(buf_, grown);
  if (p == nullptr) throw std::bad_alloc();
  buf_ = static_cast<char*>(p);
  capacity_ = grown;
}

void XorAppender::StoreBits(uint64_t value, int nbits) {
  // The bits go at bit `used` of the byte at `start`: the partial last
  // byte when there is one (its free low bits are zero), else a new byte.
  const uint32_t start = bits_free_ > 0 ? size_ - 1 : size_;
  const int used = bits_free_ > 0 ? 8 - bits_free_ : 0;
  const uint64_t head = used > 0 ? uint64_t{static_cast<uint8_t>(buf_[start])} << 56 : 0;
  const uint64_t field = (value << (64 - nbits)) >> used;  // drops bits above nbits
  StoreBigEndian64(buf_ + start, head | field);
  const int total = used + nbits;
  size_ = start + static_cast<uint32_t>((total + 7) / 8);
  bits_free_ = static_cast<uint8_t>((8 - total % 8) % 8);
}

void XorAppender::WriteBits(uint64_t value, int nbits) {
  // One 8-byte store holds at most 57 bits after a partial byte's 7.
  if (nbits > 57) {
    StoreBits(value >> 32, nbits - 32);
    StoreBits(value & 0xffffffff, 32);
    return;
  }
  StoreBits(value, nbits);
}

void XorAppender::WriteVarint(uint64_t v) {
  while (v >= 0x80) {
    buf_[size_++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf_[size_++] = static_cast<char>(v);
}

void XorAppender::Append(int64_t t, double v) {
  // A full chunk is a caller bug (the head seals far earlier).
  STRATA_CHECK(num_samples_ < 65535);
  Reserve();
  const uint64_t vbits = std::bit_cast<uint64_t>(v);
  if (num_samples_ == 0) {
    size_ = kHeaderSize;
    bits_free_ = 0;
    // Byte aligned: the header is whole bytes.
    WriteVarint(ZigZagEncode(t));
    StoreBigEndian64(buf_ + size_, vbits);
    size_ += 8;
    min_time_ = t;
    last_value_bits_ = vbits;
  } else if (num_samples_ == 1) {
    // Still byte aligned after sample 0 (varint bytes + 64 bits).
    const int64_t delta = WrappingSub(t, max_time_);
    WriteVarint(static_cast<uint64_t>(delta));
    AppendValue(vbits);
    last_delta_ = delta;
  } else {
    const int64_t delta = WrappingSub(t, max_time_);
    const int64_t dod = WrappingSub(delta, last_delta_);
    // Each bucket's prefix and value in one field.
    if (dod == 0) {
      WriteBits(0, 1);
    } else if (BitRange(dod, 14)) {
      WriteBits((uint64_t{0b10} << 14) | (static_cast<uint64_t>(dod) & 0x3fff), 2 + 14);
    } else if (BitRange(dod, 17)) {
      WriteBits((uint64_t{0b110} << 17) | (static_cast<uint64_t>(dod) & 0x1ffff), 3 + 17);
    } else if (BitRange(dod, 20)) {
      WriteBits((uint64_t{0b1110} << 20) | (static_cast<uint64_t>(dod) & 0xfffff), 4 + 20);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
    AppendValue(vbits);
    last_delta_ = delta;
  }
  max_time_ = t;
  ++num_samples_;
  buf_[0] = static_cast<char>(num_samples_ >> 8);
  buf_[1] = static_cast<char>(num_samples_ & 0xff);
}

void XorAppender::AppendValue(uint64_t vbits) {
  const uint64_t delta = vbits ^ last_value_bits_;
  last_value_bits_ = vbits;
  if (delta == 0) {
    WriteBits(0, 1);
    return;
  }
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  const uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;  // must fit the 5-bit field
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    // '10' and the significant bits of the current window, as one field
    // when the prefix fits beside them in 64 bits.
    const int sigbits = 64 - leading_ - trailing_;
    const uint64_t bits = delta >> trailing_;
    if (sigbits <= 62) {
      WriteBits((uint64_t{0b10} << sigbits) | bits, 2 + sigbits);
    } else {
      WriteBits(0b10, 2);
      WriteBits(bits, sigbits);
    }
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  // '11', 5 bits of leading zeros, 6 bits of length: 64 significant bits do
  // not fit 6 bits; they are written as 0 and read back as 64 (0 significant
  // bits is impossible: that is the '0' case).
  const int sigbits = 64 - leading - trailing;
  WriteBits((uint64_t{0b11} << 11) | (uint64_t{leading} << 6) | (static_cast<uint64_t>(sigbits) & 0x3f), 13);
  WriteBits(delta >> trailing, sigbits);
}

std::string XorAppender::Finish() {
  std::string out(bytes());
  // The buffer goes too: kept, every series in the head would hold a whole
  // chunk's worth of it at all times, not just what its open chunk holds.
  // Growing it again costs a handful of reallocs per chunk of 240 samples.
  *this = XorAppender();
  return out;
}

XorIterator::XorIterator(std::string_view chunk) : data_(chunk) {
  if (data_.size() < kHeaderSize) {
    status_ = absl::DataLossError("cannot decode XOR chunk: shorter than its 2-byte header");
    return;
  }
  total_ = (static_cast<size_t>(static_cast<uint8_t>(data_[0])) << 8) | static_cast<uint8_t>(data_[1]);
  data_.remove_prefix(kHeaderSize);
}

bool XorIterator::ReadBit(bool* out) {
  if (bit_pos_ >= data_.size() * 8) return false;
  uint8_t byte = static_cast<uint8_t>(data_[bit_pos_ >> 3]);
  *out = (byte >> (7 - (bit_pos_ & 7))) & 1;
  ++bit_pos_;
  return true;
}

bool XorIterator::ReadBits(int nbits, uint64_t* out) {
  if (bit_pos_ + static_cast<size_t>(nbits) > data_.size() * 8) return false;
  uint64_t v = 0;
  while (nbits > 0) {
    size_t in_byte = bit_pos_ & 7;
    int avail = 8 - static_cast<int>(in_byte);
    int take = nbits < avail ? nbits : avail;
    uint8_t byte = static_cast<uint8_t>(data_[bit_pos_ >> 3]);
    uint64_t bits = (byte >> (avail - take)) & ((1u << take) - 1);
    v = (v << take) | bits;
    bit_pos_ += static_cast<size_t>(take);
    nbits -= take;
  }
  *out = v;
  return true;
}

namespace {

// Reads a varint starting at a byte-aligned bit position.
bool ReadAlignedVarint(std::string_view data, size_t* bit_pos, uint64_t* out) {
  if ((*bit_pos & 7) != 0) return false;
  size_t byte = *bit_pos >> 3;
  if (byte > data.size()) return false;
  ByteReader r(data.substr(byte));
  size_t before = r.remaining();
  if (!r.GetVarint(out)) return false;
  *bit_pos += (before - r.remaining()) * 8;
  return true;
}

}  // namespace

bool XorIterator::ReadValue() {
  bool bit;
  if (!ReadBit(&bit)) return false;
  if (!bit) return true;  // same value
  if (!ReadBit(&bit)) return false;
  if (bit) {
    uint64_t leading, sigbits;
    if (!ReadBits(5, &leading) || !ReadBits(6, &sigbits)) return false;
    if (sigbits == 0) sigbits = 64;
    if (leading + sigbits > 64) return false;
    leading_ = static_cast<uint8_t>(leading);
    trailing_ = static_cast<uint8_t>(64 - leading - sigbits);
  }
  // '10' reuses the previous window; like Prometheus, an unset window is
  // 0/0 (64 significant bits), so garbage decodes to garbage, never UB.
  int sig = 64 - leading_ - trailing_;
  if (sig <= 0) return false;
  uint64_t bits;
  if (!ReadBits(sig, &bits)) return false;
  value_bits_ ^= (sig == 64 ? bits : (bits << trailing_));
  v_ = std::bit_cast<double>(value_bits_);
  return true;
}

bool XorIterator::Next() {
  if (!status_.ok() || read_ >= total_) return false;
  auto fail = [this]() {
    status_ = absl::DataLossError(
        "cannot decode XOR chunk: truncated or corrupt at sample " + std::to_string(read_));
    return false;
  };
  if (read_ == 0) {
    uint64_t zt;
    if (!ReadAlignedVarint(data_, &bit_pos_, &zt)) return fail();
    t_ = ZigZagDecode(zt);
    if (!ReadBits(64, &value_bits_)) return fail();
    v_ = std::bit_cast<double>(value_bits_);
  } else if (read_ == 1) {
    uint64_t delta;
    if (!ReadAlignedVarint(data_, &bit_pos_, &delta)) return fail();
    delta_ = static_cast<int64_t>(delta);
    // Unsigned arithmetic: garbage input may overflow, which must not be UB.
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta);
    if (!ReadValue()) return fail();
  } else {
    int prefix = 0;
    for (int i = 0; i < 4; ++i) {
      bool bit;
      if (!ReadBit(&bit)) return fail();
      if (!bit) break;
      ++prefix;
    }
    int64_t dod = 0;
    int size = 0;
    switch (prefix) {
      case 0: break;
      case 1: size = 14; break;
      case 2: size = 17; break;
      case 3: size = 20; break;
      default: {
        uint64_t bits;
        if (!ReadBits(64, &bits)) return fail();
        dod = static_cast<int64_t>(bits);
      }
    }
    if (size != 0) {
      uint64_t bits;
      if (!ReadBits(size, &bits)) return fail();
      // Values above 2^(size-1) are negative (Prometheus's fix-up).
      if (bits > (uint64_t{1} << (size - 1))) bits -= uint64_t{1} << size;
      dod = static_cast<int64_t>(bits);
    }
    delta_ = static_cast<int64_t>(static_cast<uint64_t>(delta_) + static_cast<uint64_t>(dod));
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + static_cast<uint64_t>(delta_));
    if (!ReadValue()) return fail();
  }
  ++read_;
  return true;
}

absl::Status DecodeXorChunk(std::string_view chunk, std::vector<Sample>* out) {
  XorIterator it(chunk);
  // Each sample takes at least one bit; bounds the reservation on garbage.
  out->reserve(out->size() + std::min(XorChunkNumSamples(chunk), chunk.size() * 8));
  while (it.Next()) out->push_back(Sample{it.t(), it.v()});
  return it.status();
}

size_t XorChunkNumSamples(std::string_view chunk) {
  if (chunk.size() < kHeaderSize) return 0;
  return (static_cast<size_t>(static_cast<uint8_t>(chunk[0])) << 8) | static_cast<uint8_t>(chunk[1]);
}

}  // namespace strata
