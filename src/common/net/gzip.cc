#include "common/net/gzip.h"

#include <zlib.h>

#include <algorithm>

#include "absl/status/status.h"
#include "common/base/check.h"
#include "fmt/format.h"

namespace strata {

namespace {
// zlib counts in uInt; feed it bounded slices so inputs over 4 GiB work too.
constexpr size_t kMaxChunk = size_t{1} << 30;
// windowBits 15 + 16 selects the gzip wrapper; + 32 auto-detects on inflate.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoWindowBits = 15 + 32;
}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  int init = deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  STRATA_CHECK(init == Z_OK);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kMaxChunk))) + 64);
  size_t in_pos = 0;
  size_t out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t in_n = std::min(data.size() - in_pos, kMaxChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_n);
    if (out.size() - out_pos < 64) out.resize(out.size() * 2);
    size_t out_n = std::min(out.size() - out_pos, kMaxChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_n);
    bool last = in_pos + in_n == data.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    STRATA_CHECK(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
    in_pos += in_n - zs.avail_in;
    out_pos += out_n - zs.avail_out;
  }
  deflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

absl::StatusOr<std::string> GzipDecompress(std::string_view data, size_t max_output_bytes) {
  std::string out;
  out.resize(std::min(std::max<size_t>(data.size() * 4, 256), max_output_bytes + 1));
  size_t in_pos = 0;
  size_t out_pos = 0;
  while (in_pos < data.size()) {
    z_stream zs{};
    if (inflateInit2(&zs, kAutoWindowBits) != Z_OK) return absl::InternalError("inflateInit2 failed");
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (out_pos == out.size()) {
        if (out.size() > max_output_bytes) {
          inflateEnd(&zs);
          return absl::ResourceExhaustedError(
              fmt::format("gzip body inflates beyond the limit of {} bytes", max_output_bytes));
        }
        out.resize(std::min(out.size() * 2, max_output_bytes + 1));
      }
      size_t in_n = std::min(data.size() - in_pos, kMaxChunk);
      size_t out_n = std::min(out.size() - out_pos, kMaxChunk);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
      zs.avail_in = static_cast<uInt>(in_n);
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
      zs.avail_out = static_cast<uInt>(out_n);
      rc = inflate(&zs, Z_NO_FLUSH);
      in_pos += in_n - zs.avail_in;
      out_pos += out_n - zs.avail_out;
      if (rc == Z_BUF_ERROR && in_pos == data.size() && zs.avail_out > 0) rc = Z_DATA_ERROR;  // truncated
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        inflateEnd(&zs);
        return absl::InvalidArgumentError(fmt::format("cannot gunzip body: corrupt or truncated data (zlib {})", rc));
      }
    }
    inflateEnd(&zs);
    if (out_pos > max_output_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("gzip body inflates beyond the limit of {} bytes", max_output_bytes));
    }
  }
  out.resize(out_pos);
  return out;
}

}  // namespace strata
