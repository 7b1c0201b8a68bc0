// File: insert/ingest/ingest_limits.h
//
// The limits every ingest path applies to each series, in ONE place
// (SeriesCollector calls IngestLimiter::Check for every valid series of
// remote_write, the import formats and OTLP):
//
//   -maxLabelsPerTimeseries   labels per series, __name__ included (VM: 30)
//   -maxLabelNameLen          bytes of a label name (VM: 256)
//   -maxLabelValueLen         bytes of a label value, the metric name included (VM: 4KiB)
//   -storage.maxHourlySeries  distinct series per tenant per clock hour (0 = off)
//   -storage.maxDailySeries   distinct series per tenant per UTC day (0 = off)
//
// VictoriaMetrics drops such series and only logs; Strata rejects them too
// (a truncated label would silently merge distinct series), but never
// silently: each rejection is counted by reason, logged at a bounded pace and
// reported in the reply (SeriesCollector::Problems), while the request's
// other series are stored.
//
// The cardinality limiter: VictoriaMetrics runs it on vmstorage; Strata runs
// it on the insert node, so with several insert nodes the limit holds per
// insert node (a tenant spread over K insert nodes may create up to K times
// the limit). It keeps, per tenant, the 64-bit SeriesHash of every series seen
// in the current hour and the current day: exact up to hash collisions
// (about n^2 / 2^65, negligible), and bounded. A tenant's set stops growing at
// its limit, so memory is at most about 32 bytes x (max_hourly_series +
// max_daily_series) per tenant that wrote in the current day (flat hash set
// of uint64 at worst half full after growth, plus control bytes). The sets
// are cleared when their window ends, so a series that reappears in the next
// hour or day is counted again there, as in VictoriaMetrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/model/labels.h"
#include "common/model/tenant.h"

namespace strata::insert {

struct IngestLimitsOptions {
  // 0 (or less) disables a limit.
  int64_t max_labels_per_series = 30;
  int64_t max_label_name_len = 256;
  int64_t max_label_value_len = 4096;
  int64_t max_hourly_series = 0;
  int64_t max_daily_series = 0;
  // Unix milliseconds for the hourly and daily windows (aligned to UTC);
  // the wall clock when empty. For tests.
  std::function<int64_t()> now_ms;
};

enum class LimitReason : uint8_t {
  kTooManyLabels,
  kTooLongLabelName,
  kTooLongLabelValue,
  kHourlySeriesLimit,
  kDailySeriesLimit,
};
inline constexpr size_t kLimitReasonCount = static_cast<size_t>(LimitReason::kDailySeriesLimit) + 1;

// The `reason` label of the rejection counters: "too_many_labels",
// "too_long_label_name", "too_long_label_value", "hourly_series_limit",
// "daily_series_limit" (VictoriaMetrics' names where it has them).
std::string_view LimitReasonName(LimitReason reason);

// Thread-safe: Check may be called concurrently from every ingest thread.
class IngestLimiter {
 public:
  explicit IngestLimiter(IngestLimitsOptions options);

  // The first limit `sorted_labels` (validated, sorted) breaks, or nullopt
  // when the series may be stored; a series that passes is then counted in
  // its tenant's hourly and daily sets. A rejection is logged at most once
  // per reason every 10 s (with the number not logged since).
  std::optional<LimitReason> Check(TenantId tenant, std::span<const LabelView> sorted_labels);

  // The flag and value behind `reason`, e.g. "-maxLabelsPerTimeseries=30".
  std::string FlagOf(LimitReason reason) const;

  // A sentence on why `sorted_labels` broke `reason`, for the reply.
  std::string Describe(LimitReason reason, TenantId tenant, std::span<const LabelView> sorted_labels) const;

 private:
  struct TenantWindows {
    int64_t hour = -1;
    int64_t day = -1;
    absl::flat_hash_set<uint64_t> hourly;
    absl::flat_hash_set<uint64_t> daily;
  };

  std::optional<LimitReason> CheckLabels(std::span<const LabelView> sorted_labels) const;
  std::optional<LimitReason> CheckCardinality(TenantId tenant, std::span<const LabelView> sorted_labels);
  void LogRejection(LimitReason reason, TenantId tenant, std::span<const LabelView> sorted_labels);
  int64_t NowMs() const;

  const IngestLimitsOptions options_;

  // std::mutex rather than absl::Mutex: see router.h (ThreadSanitizer).
  std::mutex mu_;
  absl::flat_hash_map<TenantId, TenantWindows> tenants_;  // guarded by mu_
  int64_t swept_day_ = -1;                                 // guarded by mu_

  // Rate-limited logging, per reason: the next time a line may be written,
  // and the rejections not logged since the last line.
  std::array<std::atomic<int64_t>, kLimitReasonCount> next_log_ms_{};
  std::array<std::atomic<uint64_t>, kLimitReasonCount> unlogged_{};
};

}  // namespace strata::insert
