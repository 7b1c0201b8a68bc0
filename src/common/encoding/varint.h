// File: common/encoding/varint.h
//
// Little-endian base-128 varints (the protobuf wire encoding), zigzag for
// signed values, and fixed-width little-endian helpers. Header-only: these
// sit on every hot path (remote_write decode, write batches, WAL records).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/base/check.h"

namespace strata {

// a - b and a + b modulo 2^64, as Go computes them: timestamps far apart
// (or deltas between such) must encode and decode, not overflow (UB in C++).
inline int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

inline uint64_t ZigZagEncode(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

inline void PutFixed32(std::string* out, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);  // x86-64 and aarch64 Linux are little-endian
  out->append(buf, 4);
}

inline void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  out->append(buf, 8);
}

// Bytes PutVarint writes for `v`.
inline size_t VarintSize(uint64_t v) { return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7; }

// memcpy(dst, src, n) for the short strings that label names and values
// mostly are: fixed-size, overlapping loads and stores (every byte is
// written once or twice, none outside [dst, dst + n)) instead of a call
// to memcpy per string, whose dispatch cost more than the copy (measured:
// 3.6% of ingest CPU in packing labels).
inline void CopyBytes(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0 && n < 4) {
    // The first, middle and last byte cover 1 to 3 bytes.
    const char first = src[0], middle = src[n / 2], last = src[n - 1];
    dst[0] = first;
    dst[n / 2] = middle;
    dst[n - 1] = last;
  } else if (n > 16) {
    std::memcpy(dst, src, n);
  }
}

// Writes into a string through a raw pointer: the caller sizes the worst
// case once, and each write skips std::string's capacity check and length
// update, which dominate encoders that append a few bytes at a time.
// Finish() trims the string to what was written. Thread-compatible.
class StringAppender {
 public:
  // Makes room for `max_bytes` after the string's current end.
  StringAppender(std::string* out, size_t max_bytes) : out_(out), begin_(out->size()) {
    out->resize(begin_ + max_bytes);
    p_ = out->data() + begin_;
    end_ = p_ + max_bytes;
  }
  StringAppender(const StringAppender&) = delete;
  StringAppender& operator=(const StringAppender&) = delete;

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Fixed64(uint64_t v) {
    std::memcpy(p_, &v, 8);
    p_ += 8;
  }
  void Bytes(std::string_view s) {
    CopyBytes(p_, s.data(), s.size());
    p_ += s.size();
  }
  void LengthPrefixed(std::string_view s) {
    Varint(s.size());
    Bytes(s);
  }
  // Bytes written so far.
  size_t size() const { return static_cast<size_t>(p_ - (out_->data() + begin_)); }
  // Trims the string to the bytes written. REQUIRES: at most max_bytes written.
  void Finish() {
    STRATA_CHECK(p_ <= end_);
    out_->resize(static_cast<size_t>(p_ - out_->data()));
  }

 private:
  std::string* out_;
  size_t begin_;
  char* p_;
  char* end_;
};

inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

inline uint32_t LoadFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t LoadFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Reads from a byte range, tracking position; every getter returns false on
// truncated or malformed input instead of reading past the end.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool empty() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }

  bool GetVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      uint64_t byte = static_cast<unsigned char>(*p_++);
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool GetVarint32(uint32_t* v) {
    uint64_t x;
    if (!GetVarint(&x) || x > 0xffffffffu) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool GetSignedVarint(int64_t* v) {
    uint64_t x;
    if (!GetVarint(&x)) return false;
    *v = ZigZagDecode(x);
    return true;
  }
  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = LoadFixed32(p_);
    p_ += 4;
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = LoadFixed64(p_);
    p_ += 8;
    return true;
  }
  bool GetBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool GetLengthPrefixed(std::string_view* out) {
    uint64_t n;
    return GetVarint(&n) && n <= remaining() && GetBytes(static_cast<size_t>(n), out);
  }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

}  // namespace strata
