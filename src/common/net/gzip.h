// File: common/net/gzip.h
//
// gzip (RFC 1952) encode/decode with zlib, for HTTP Content-Encoding. Both
// functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

// Compresses `data` into one gzip member. `level` is zlib's 1..9.
std::string GzipCompress(std::string_view data, int level = 6);

// Decompresses gzip data (concatenated members are accepted). Returns
// InvalidArgument for corrupt or truncated input and ResourceExhausted when
// the output would exceed `max_output_bytes`.
absl::StatusOr<std::string> GzipDecompress(std::string_view data, size_t max_output_bytes);

}  // namespace strata
