#include "insert/ingest/ingest_limits.h"

#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/base/logging.h"
#include "common/model/series_hash.h"

namespace strata::insert {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kLogEveryMs = 10 * 1000;
// A rejected series is quoted in logs and replies up to this many bytes.
constexpr size_t kMaxQuotedSeries = 256;

std::string Quote(std::span<const LabelView> labels) {
  std::string s = FormatLabelViews(labels);
  if (s.size() > kMaxQuotedSeries) {
    s.resize(kMaxQuotedSeries);
    s.append("...");
  }
  return s;
}

}  // namespace

std::string_view LimitReasonName(LimitReason reason) {
  switch (reason) {
    case LimitReason::kTooManyLabels: return "too_many_labels";
    case LimitReason::kTooLongLabelName: return "too_long_label_name";
    case LimitReason::kTooLongLabelValue: return "too_long_label_value";
    case LimitReason::kHourlySeriesLimit: return "hourly_series_limit";
    case LimitReason::kDailySeriesLimit: return "daily_series_limit";
  }
  return "other";
}

IngestLimiter::IngestLimiter(IngestLimitsOptions options) : options_(std::move(options)) {}

int64_t IngestLimiter::NowMs() const { return options_.now_ms ? options_.now_ms() : NowUnixMillis(); }

std::string IngestLimiter::FlagOf(LimitReason reason) const {
  switch (reason) {
    case LimitReason::kTooManyLabels: return fmt::format("-maxLabelsPerTimeseries={}", options_.max_labels_per_series);
    case LimitReason::kTooLongLabelName: return fmt::format("-maxLabelNameLen={}", options_.max_label_name_len);
    case LimitReason::kTooLongLabelValue: return fmt::format("-maxLabelValueLen={}", options_.max_label_value_len);
    case LimitReason::kHourlySeriesLimit: return fmt::format("-storage.maxHourlySeries={}", options_.max_hourly_series);
    case LimitReason::kDailySeriesLimit: return fmt::format("-storage.maxDailySeries={}", options_.max_daily_series);
  }
  return "";
}

std::string IngestLimiter::Describe(LimitReason reason, TenantId tenant,
                                    std::span<const LabelView> sorted_labels) const {
  std::string series = Quote(sorted_labels);
  switch (reason) {
    case LimitReason::kTooManyLabels:
      return fmt::format("series {} has {} labels, over {}", series, sorted_labels.size(), FlagOf(reason));
    case LimitReason::kTooLongLabelName:
    case LimitReason::kTooLongLabelValue:
      return fmt::format("series {} has a label {} longer than {}", series,
                         reason == LimitReason::kTooLongLabelName ? "name" : "value", FlagOf(reason));
    case LimitReason::kHourlySeriesLimit:
    case LimitReason::kDailySeriesLimit:
      return fmt::format("series {} would be a new series of tenant {} over {} (per insert node)", series,
                         tenant.ToString(), FlagOf(reason));
  }
  return series;
}

std::optional<LimitReason> IngestLimiter::Check(TenantId tenant, std::span<const LabelView> sorted_labels) {
  std::optional<LimitReason> reason = CheckLabels(sorted_labels);
  if (!reason.has_value()) reason = CheckCardinality(tenant, sorted_labels);
  if (reason.has_value()) LogRejection(*reason, tenant, sorted_labels);
  return reason;
}

std::optional<LimitReason> IngestLimiter::CheckLabels(std::span<const LabelView> sorted_labels) const {
  // A limit of 0 or less is off: the largest size_t never trips.
  auto cap = [](int64_t limit) { return limit > 0 ? static_cast<size_t>(limit) : SIZE_MAX; };
  if (sorted_labels.size() > cap(options_.max_labels_per_series)) return LimitReason::kTooManyLabels;
  const size_t name_cap = cap(options_.max_label_name_len);
  const size_t value_cap = cap(options_.max_label_value_len);
  for (const LabelView& l : sorted_labels) {
    if (l.name.size() > name_cap) return LimitReason::kTooLongLabelName;
    if (l.value.size() > value_cap) return LimitReason::kTooLongLabelValue;
  }
  return std::nullopt;
}

std::optional<LimitReason> IngestLimiter::CheckCardinality(TenantId tenant, std::span<const LabelView> sorted_labels) {
  const int64_t hourly_max = options_.max_hourly_series;
  const int64_t daily_max = options_.max_daily_series;
  if (hourly_max <= 0 && daily_max <= 0) return std::nullopt;
  const uint64_t hash = SeriesHash(tenant, sorted_labels);
  const int64_t now = NowMs();
  const int64_t hour = now / kHourMs;
  const int64_t day = now / kDayMs;

  std::lock_guard lock(mu_);
  if (day != swept_day_) {
    // Once a day, forget tenants that wrote nothing since yesterday.
    absl::erase_if(tenants_, [day](const auto& entry) { return entry.second.day < day - 1; });
    swept_day_ = day;
  }
  TenantWindows& w = tenants_[tenant];
  if (w.hour != hour) {
    absl::flat_hash_set<uint64_t>().swap(w.hourly);  // releases the memory too
    w.hour = hour;
  }
  if (w.day != day) {
    absl::flat_hash_set<uint64_t>().swap(w.daily);
    w.day = day;
  }
  const bool in_hour = hourly_max <= 0 || w.hourly.contains(hash);
  const bool in_day = daily_max <= 0 || w.daily.contains(hash);
  // Both windows are checked before either is updated, so a series one
  // window refuses takes no slot in the other.
  if (!in_hour && static_cast<int64_t>(w.hourly.size()) >= hourly_max) return LimitReason::kHourlySeriesLimit;
  if (!in_day && static_cast<int64_t>(w.daily.size()) >= daily_max) return LimitReason::kDailySeriesLimit;
  if (!in_hour) w.hourly.insert(hash);
  if (!in_day) w.daily.insert(hash);
  return std::nullopt;
}

void IngestLimiter::LogRejection(LimitReason reason, TenantId tenant, std::span<const LabelView> sorted_labels) {
  const size_t i = static_cast<size_t>(reason);
  const int64_t now = NowUnixMillis();
  int64_t next = next_log_ms_[i].load(std::memory_order_relaxed);
  if (now < next || !next_log_ms_[i].compare_exchange_strong(next, now + kLogEveryMs, std::memory_order_relaxed)) {
    unlogged_[i].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t skipped = unlogged_[i].exchange(0, std::memory_order_relaxed);
  STRATA_LOG(Warn, "rejected {} (reason {}){}", Describe(reason, tenant, sorted_labels), LimitReasonName(reason),
             skipped == 0 ? std::string()
                          : fmt::format("; {} more series rejected for this reason in the last {} s, not logged",
                                        skipped, kLogEveryMs / 1000));
}

}  // namespace strata::insert
