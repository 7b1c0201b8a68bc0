// File: common/encoding/crc32c.h
//
// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the
// checksum of WAL records (docs/format/wal.md). Uses the SSE4.2 crc32
// instruction when the CPU has it (checked once at startup with
// __builtin_cpu_supports) and a slicing-by-8 table otherwise; both give the
// same result. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata {

// Continues a CRC: Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

// True when the hardware (SSE4.2) path is in use; for tests and logs.
bool Crc32cIsHardwareAccelerated();

namespace internal {
// The portable table implementation, exposed so tests can compare both paths.
uint32_t Crc32cExtendPortable(uint32_t crc, const char* data, size_t n);
}  // namespace internal

}  // namespace strata
