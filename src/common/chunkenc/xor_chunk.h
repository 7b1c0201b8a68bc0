// File: common/chunkenc/xor_chunk.h
//
// The Gorilla chunk codec (Pelkonen et al., VLDB 2015) in the exact bit
// layout of Prometheus's XOR chunk (tsdb/chunkenc/xor.go), so that chunks can
// be exchanged with Prometheus (remote read STREAMED_XOR_CHUNKS) unchanged:
//
//   u16 big-endian sample count
//   sample 0: timestamp varint (signed), value 64 raw bits
//   sample 1: timestamp delta uvarint, value XOR-encoded
//   sample n: delta-of-delta in buckets '0' | '10'+14b | '110'+17b |
//             '1110'+20b | '1111'+64b, value XOR-encoded ('0' same value,
//             '10' reuse leading/trailing window, '11'+5b leading+6b length)
//
// It lives in common/ because storage encodes and select decodes: chunks
// travel between them still encoded (DESIGN.md "Between the nodes").
// Full format description: docs/format/chunk.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/sample.h"

namespace strata {

// Appends samples to a growing chunk. The bytes are a valid, decodable chunk
// after every Append, so a reader can snapshot an open chunk at any time.
//
// Built for the head, which holds one per series and appends to each one
// sample at a time, with its state rarely still in a CPU cache: the state is
// 56 bytes (a std::string-backed one took 104), each append checks for room
// once and then writes each bit field with one 8-byte store, and the buffer
// grows by half, so that an open chunk holds little more than its bytes.
// Thread-compatible; movable, not copyable.
class XorAppender {
 public:
  XorAppender() = default;
  ~XorAppender();
  XorAppender(XorAppender&& other) noexcept;
  XorAppender& operator=(XorAppender&& other) noexcept;
  XorAppender(const XorAppender&) = delete;
  XorAppender& operator=(const XorAppender&) = delete;

  // REQUIRES: t >= the last appended timestamp; num_samples() < 65535.
  void Append(int64_t t, double v);

  size_t num_samples() const { return num_samples_; }
  int64_t min_time() const { return min_time_; }
  int64_t max_time() const { return max_time_; }
  // The chunk bytes (count header included); an empty chunk is its header.
  std::string_view bytes() const {
    return num_samples_ == 0 ? std::string_view(kEmptyChunk, sizeof(kEmptyChunk)) : std::string_view(buf_, size_);
  }
  // Returns the bytes, exactly sized, and resets the appender to an empty
  // chunk, its buffer released.
  std::string Finish();

 private:
  // Makes room for one more sample (and the slack of WriteBits' 8-byte
  // stores) after size_.
  void Reserve();
  // Writes the low `nbits` bits of `value`, most significant first.
  // REQUIRES: 1 <= nbits <= 64; Reserve() called for this sample.
  void WriteBits(uint64_t value, int nbits);
  // WriteBits in one 8-byte store from the partial byte. REQUIRES:
  // 1 <= nbits <= 57.
  void StoreBits(uint64_t value, int nbits);
  void WriteVarint(uint64_t v);
  void AppendValue(uint64_t vbits);

  static constexpr char kEmptyChunk[2] = {0, 0};  // the count header of 0 samples

  char* buf_ = nullptr;  // malloc'ed; bytes past size_ are undefined
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;  // bytes in use, the partial last byte included
  int64_t min_time_ = 0;
  int64_t max_time_ = 0;
  int64_t last_delta_ = 0;
  uint64_t last_value_bits_ = 0;
  uint16_t num_samples_ = 0;
  uint8_t bits_free_ = 0;   // unused low bits of the last byte
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
};

// Iterates the samples of an encoded chunk. Malformed bytes end the
// iteration with status() = DataLoss, never a crash or an over-read.
// Thread-compatible.
class XorIterator {
 public:
  // REQUIRES: `chunk` outlives the iterator.
  explicit XorIterator(std::string_view chunk);

  // Advances to the next sample; false at the end or on error.
  bool Next();
  int64_t t() const { return t_; }
  double v() const { return v_; }
  const absl::Status& status() const { return status_; }

 private:
  bool ReadBits(int nbits, uint64_t* out);
  bool ReadBit(bool* out);
  bool ReadValue();

  std::string_view data_;
  size_t bit_pos_ = 0;  // position in data_ after the 2-byte header, in bits
  size_t total_ = 0;
  size_t read_ = 0;
  int64_t t_ = 0;
  double v_ = 0;
  int64_t delta_ = 0;
  uint64_t value_bits_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  absl::Status status_;
};

// Appends every sample of `chunk` to `out`. DataLoss when malformed.
absl::Status DecodeXorChunk(std::string_view chunk, std::vector<Sample>* out);

// Number of samples recorded in the chunk header (0 when too short).
size_t XorChunkNumSamples(std::string_view chunk);

}  // namespace strata
