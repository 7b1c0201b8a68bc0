// File: storage/wal/wal_format.h
//
// Constants of the WAL record framing; the byte diagram and recovery rules
// are in docs/format/wal.md. Every record is
//
//   magic u32le | length u32le | crc32c u32le | payload (length bytes)
//
// where the CRC32C covers the 4 length bytes followed by the payload. The
// magic lets replay resynchronise after a corrupt region.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::storage::wal_format {

inline constexpr uint32_t kRecordMagic = 0x5741D1A7u;  // bytes A7 D1 41 57
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kSegmentNameDigits = 8;

}  // namespace strata::storage::wal_format
