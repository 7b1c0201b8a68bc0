#include "storage/engine/retention.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "common/base/clock.h"
#include "common/base/logging.h"
#include "storage/index/time_partition.h"
#include "storage/metrics/storage_metrics.h"

namespace strata::storage {
namespace {

constexpr double kMaxMonths = 12 * 100;
constexpr int64_t kMsPerDayRetention = 24LL * 3600 * 1000;

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("invalid -retentionPeriod \"{}\": {}", text, why));
}

// A non-negative decimal "12", "1.5", ".5"; advances *pos past it.
bool ParseNumber(std::string_view s, size_t* pos, double* out) {
  const size_t start = *pos;
  size_t i = start;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  }
  if (!digits) return false;
  // std::from_chars for double is in libstdc++ 11+.
  const auto [end, ec] = std::from_chars(s.data() + start, s.data() + i, *out);
  if (ec != std::errc() || end != s.data() + i) return false;
  *pos = i;
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseRetentionPeriod(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  double months = 0;
  size_t pos = 0;
  if (ParseNumber(text, &pos, &months) && pos == text.size()) {
    if (months > kMaxMonths) return Invalid(text, fmt::format("more than {} months", kMaxMonths));
    const int64_t ms = static_cast<int64_t>(months * static_cast<double>(kMsPer31Days));
    if (ms < kMsPerDayRetention) return Invalid(text, "shorter than one day");
    return ms;
  }
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.back() == 'm') {
    return Invalid(text, "months take no suffix (\"m\" would read as minutes): give a bare number of months");
  }
  double total_ms = 0;
  pos = 0;
  while (pos < lower.size()) {
    double n = 0;
    if (!ParseNumber(lower, &pos, &n)) return Invalid(text, "want a number of months, or a duration like 30d, 12w, 1y");
    size_t unit_end = pos;
    while (unit_end < lower.size() && std::isalpha(static_cast<unsigned char>(lower[unit_end]))) ++unit_end;
    const std::string_view unit = std::string_view(lower).substr(pos, unit_end - pos);
    double unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1e3;
    } else if (unit == "m") {
      unit_ms = 60e3;
    } else if (unit == "h") {
      unit_ms = 3600e3;
    } else if (unit == "d") {
      unit_ms = 86400e3;
    } else if (unit == "w") {
      unit_ms = 7 * 86400e3;
    } else if (unit == "y") {
      unit_ms = 365 * 86400e3;
    } else {
      return Invalid(text, fmt::format("unknown unit \"{}\" (want ms, s, h, d, w or y)", unit));
    }
    total_ms += n * unit_ms;
    pos = unit_end;
  }
  if (total_ms > kMaxMonths * static_cast<double>(kMsPer31Days)) {
    return Invalid(text, fmt::format("more than {} months", kMaxMonths));
  }
  const int64_t ms = static_cast<int64_t>(total_ms);
  if (ms < kMsPerDayRetention) return Invalid(text, "shorter than one day");
  return ms;
}

RetentionEnforcer::RetentionEnforcer(RocksStore* store, int64_t retention_ms, StorageMetrics* metrics, Clock clock)
    : store_(store),
      retention_ms_(retention_ms),
      metrics_(metrics),
      clock_(clock ? std::move(clock) : Clock([] { return NowUnixMillis(); })) {}

uint32_t RetentionEnforcer::FirstKeptPartition(int64_t now_ms, int64_t retention_ms) {
  const int64_t cutoff =
      now_ms < std::numeric_limits<int64_t>::min() + retention_ms ? std::numeric_limits<int64_t>::min()
                                                                   : now_ms - retention_ms;
  // Day D ends at (D + 1) * day - 1, older than cutoff iff D < DayOf(cutoff).
  return PartitionOfDay(DayOf(cutoff));
}

absl::StatusOr<RocksStore::PartitionDrop> RetentionEnforcer::Run(int64_t now_ms) {
  if (retention_ms_ <= 0) return RocksStore::PartitionDrop{};
  absl::MutexLock l(&mu_);
  const uint32_t keep = FirstKeptPartition(now_ms, retention_ms_);
  absl::StatusOr<RocksStore::PartitionDrop> drop = store_->DropPartitionsBefore(keep);
  if (metrics_ != nullptr) metrics_->retention_runs.Increment();
  if (!drop.ok()) {
    if (metrics_ != nullptr) metrics_->retention_errors.Increment();
    return drop.status();
  }
  if (metrics_ != nullptr) {
    metrics_->retention_partitions_dropped.Increment(static_cast<double>(drop->partitions.size()));
    metrics_->retention_bytes_dropped.Increment(static_cast<double>(drop->approx_bytes));
    metrics_->partitions.Set(static_cast<double>(store_->ChunkPartitions().size()));
  }
  if (!drop->partitions.empty()) {
    STRATA_LOG(Info, "retention {} ms: dropped {} day partition(s) from day {} to day {} (about {} bytes)",
               retention_ms_, drop->partitions.size(), DayOfPartition(drop->partitions.front()),
               DayOfPartition(drop->partitions.back()), drop->approx_bytes);
  }
  return drop;
}

absl::StatusOr<RocksStore::PartitionDrop> RetentionEnforcer::RunNow() { return Run(clock_()); }

}  // namespace strata::storage
