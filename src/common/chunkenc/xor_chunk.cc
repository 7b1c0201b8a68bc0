#include "common/chunkenc/xor_chunk.h"

#include <algorithm>
#include <bit>

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

// Signed varint in the Go encoding/binary form (zigzag), as PutVarint does.
inline void PutGoVarint(std::string* out, int64_t v) { PutVarint(out, ZigZagEncode(v)); }

}  // namespace

XorAppender::XorAppender() { buf_.assign(kHeaderSize, '\0'); }

void XorAppender::WriteBit(bool bit) {
  if (bits_free_ == 0) {
    buf_.push_back('\0');
    bits_free_ = 8;
  }
  if (bit) buf_.back() = static_cast<char>(static_cast<uint8_t>(buf_.back()) | (1u << (bits_free_ - 1)));
  --bits_free_;
}

void XorAppender::WriteBits(uint64_t value, int nbits) {
  if (nbits < 64) value &= (uint64_t{1} << nbits) - 1;
  // Top up the partial last byte, then emit whole bytes, then open a new
  // partial byte for the rest: at most 10 byte writes instead of a loop
  // iteration per partial chunk.
  if (bits_free_ > 0) {
    int take = nbits < bits_free_ ? nbits : bits_free_;
    uint8_t top = static_cast<uint8_t>((value >> (nbits - take)) & ((1u << take) - 1));
    buf_.back() = static_cast<char>(static_cast<uint8_t>(buf_.back()) | (top << (bits_free_ - take)));
    bits_free_ -= take;
    nbits -= take;
  }
  while (nbits >= 8) {
    nbits -= 8;
    buf_.push_back(static_cast<char>(value >> nbits));
  }
  if (nbits > 0) {
    buf_.push_back(static_cast<char>((value << (8 - nbits)) & 0xff));
    bits_free_ = 8 - nbits;
  }
}

void XorAppender::Append(int64_t t, double v) {
  // A full chunk is a caller bug (the head seals far earlier).
  STRATA_CHECK(num_samples_ < 65535);
  uint64_t vbits = std::bit_cast<uint64_t>(v);
  if (num_samples_ == 0) {
    // Byte aligned: the header is whole bytes.
    PutGoVarint(&buf_, t);
    WriteBits(vbits, 64);
    min_time_ = t;
    last_value_bits_ = vbits;
  } else if (num_samples_ == 1) {
    // Still byte aligned after sample 0 (varint bytes + 64 bits).
    int64_t delta = WrappingSub(t, last_t_);
    PutVarint(&buf_, static_cast<uint64_t>(delta));
    AppendValue(v);
    last_delta_ = delta;
  } else {
    int64_t delta = WrappingSub(t, last_t_);
    int64_t dod = WrappingSub(delta, last_delta_);
    if (dod == 0) {
      WriteBit(false);
    } else if (BitRange(dod, 14)) {
      WriteBits(0b10, 2);
      WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (BitRange(dod, 17)) {
      WriteBits(0b110, 3);
      WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (BitRange(dod, 20)) {
      WriteBits(0b1110, 4);
      WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
    AppendValue(v);
    last_delta_ = delta;
  }
  last_t_ = t;
  max_time_ = t;
  ++num_samples_;
  buf_[0] = static_cast<char>(num_samples_ >> 8);
  buf_[1] = static_cast<char>(num_samples_ & 0xff);
}

void XorAppender::AppendValue(double v) {
  uint64_t vbits = std::bit_cast<uint64_t>(v);
  uint64_t delta = vbits ^ last_value_bits_;
  last_value_bits_ = vbits;
  if (delta == 0) {
    WriteBit(false);
    return;
  }
  WriteBit(true);
  uint8_t leading = static_cast<uint8_t>(std::countl_zero(delta));
  uint8_t trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;  // must fit the 5-bit field
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    WriteBit(false);
    WriteBits(delta >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  WriteBit(true);
  WriteBits(leading, 5);
  // 64 significant bits do not fit 6 bits; they are written as 0 and read
  // back as 64 (0 significant bits is impossible: that is the '0' case).
  int sigbits = 64 - leading - trailing;
  WriteBits(static_cast<uint64_t>(sigbits), 6);
  WriteBits(delta >> trailing, sigbits);
}

std::string XorAppender::Finish() {
  std::string out = std::move(buf_);
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
