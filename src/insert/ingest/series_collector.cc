#include "insert/ingest/series_collector.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace strata::insert {

SeriesCollector::SeriesCollector(TenantId tenant, std::span<const Label> extra_labels, IngestMetrics* metrics,
                                 IngestLimiter* limiter, size_t max_batch_bytes)
    : batch_(tenant),
      extra_labels_(extra_labels),
      max_timestamp_ms_(NowUnixMillis() + kMaxFutureTimestampMs),
      max_batch_bytes_(max_batch_bytes),
      metrics_(metrics),
      limiter_(limiter) {}

void SeriesCollector::Reject(size_t line, absl::FunctionRef<std::string()> message) {
  ++rejected_;
  if (!first_problem_.empty()) return;
  std::string text = message();
  first_problem_ = line == 0 ? std::move(text) : fmt::format("line {}: {}", line, text);
}

void SeriesCollector::Add(std::vector<LabelView>* labels, std::span<const Sample> samples, size_t line,
                          std::span<const ExemplarView> exemplars, std::span<const LabelView> exemplar_labels) {
  ++total_;
  // Nothing to store (e.g. a histogram-only remote_write series).
  if (samples.empty() && exemplars.empty()) return;
  for (const Sample& sample : samples) {
    if (sample.timestamp_ms > max_timestamp_ms_) {
      if (metrics_ != nullptr) metrics_->CountRejectedSeries("future_timestamp", samples.size());
      rejected_samples_ += samples.size();
      Reject(line, [&] {
        return fmt::format("sample timestamp {} ms is more than 2 days in the future; timestamps are Unix "
                           "milliseconds",
                           sample.timestamp_ms);
      });
      return;
    }
  }
  for (const Label& extra : extra_labels_) {
    bool replaced = false;
    for (LabelView& l : *labels) {
      if (l.name == extra.name) {
        l.value = extra.value;
        replaced = true;
      }
    }
    if (!replaced) labels->push_back({extra.name, extra.value});
  }
  absl::Status valid = ValidateAndSortLabels(labels);
  if (!valid.ok()) {
    if (metrics_ != nullptr) metrics_->CountInvalidSeries(valid, samples.size());
    rejected_samples_ += samples.size();
    Reject(line, [&] { return std::string(ToStd(valid.message())); });
    return;
  }
  if (limiter_ != nullptr) {
    if (std::optional<LimitReason> reason = limiter_->Check(batch_.tenant(), *labels)) {
      ++limited_[static_cast<size_t>(*reason)];
      rejected_samples_ += samples.size();
      if (metrics_ != nullptr) metrics_->CountRejectedSeries(LimitReasonName(*reason), samples.size());
      Reject(line, [&] { return limiter_->Describe(*reason, batch_.tenant(), *labels); });
      return;
    }
  }
  if (batch_.bytes() > max_batch_bytes_) {
    if (metrics_ != nullptr) metrics_->CountRejectedSeries("request_too_large", samples.size());
    rejected_samples_ += samples.size();
    Reject(line, [&] {
      return fmt::format("the request's series take more than {} bytes once decoded; send smaller requests",
                         max_batch_bytes_);
    });
    return;
  }
  batch_.AddSeries(*labels, samples, exemplars, exemplar_labels);
}

void SeriesCollector::OnError(formats::ParseError error) {
  ++total_;
  if (metrics_ != nullptr) metrics_->CountRejected("parse_error");
  Reject(error.line, [&] { return std::move(error.message); });
}

void SeriesCollector::OnSkippedValue(size_t, std::string_view reason) {
  ++skipped_values_;
  if (metrics_ != nullptr) metrics_->CountRejected(reason);
}

MetricMetadata& SeriesCollector::MetadataOf(std::string_view family) {
  // Looked up by view first: remote_write 2.0 repeats a family's metadata
  // on every one of its series.
  if (auto it = metadata_index_.find(ToAbsl(family)); it != metadata_index_.end()) return metadata_[it->second];
  metadata_index_.emplace(std::string(family), metadata_.size());
  return metadata_.emplace_back(MetricMetadata{std::string(family), 0, {}, {}});
}

void SeriesCollector::SetMetadata(std::string_view family, uint32_t type, std::string_view help,
                                  std::string_view unit) {
  MetricMetadata& m = MetadataOf(family);
  m.type = type;
  m.help.assign(help);
  m.unit.assign(unit);
}

void SeriesCollector::OnMetadata(const formats::MetadataLine& line) {
  MetricMetadata& m = MetadataOf(line.family);
  switch (line.kind) {
    case formats::MetadataLine::Kind::kType:
      m.type = static_cast<uint32_t>(line.type);
      break;
    case formats::MetadataLine::Kind::kHelp:
      m.help = std::string(line.text);
      break;
    case formats::MetadataLine::Kind::kUnit:
      m.unit = std::string(line.text);
      break;
  }
}

std::string SeriesCollector::Problems(std::string_view unit) const {
  if (rejected_ == 0) return {};
  std::string by_limit;
  for (size_t i = 0; i < kLimitReasonCount; ++i) {
    if (limited_[i] == 0) continue;
    by_limit.append(by_limit.empty() ? " (" : ", ");
    by_limit.append(fmt::format("{} over {}", limited_[i], limiter_->FlagOf(static_cast<LimitReason>(i))));
  }
  if (!by_limit.empty()) by_limit.push_back(')');
  return fmt::format("rejected {} of {} {}{}; the first: {}", rejected_, total_, unit, by_limit, first_problem_);
}

FollowUpWrite WriteMetadataAfter(Router& router, TenantId tenant, std::vector<MetricMetadata> metadata) {
  if (metadata.empty()) return nullptr;
  return [&router, tenant, metadata = std::move(metadata)](Router::DoneCallback then) mutable {
    router.WriteMetadata(tenant, std::move(metadata), std::move(then));
  };
}

void WriteAndReply(Router& router, SeriesBatch batch, std::string problems, IngestMetrics& metrics,
                   int retry_after_seconds, ReplyBuilder build, HttpResponder respond, FollowUpWrite then) {
  size_t samples = batch.sample_count();
  auto answer = [&metrics, samples, retry_after_seconds, problems = std::move(problems), build = std::move(build),
                 respond = std::move(respond)](absl::Status status) mutable {
    HttpResponse r;
    if (status.ok()) {
      metrics.AddSamples(samples);
      r = problems.empty() ? build(204, "", samples) : build(400, std::move(problems), samples);
    } else {
      r = build(HttpStatusOf(status), std::string(ToStd(status.message())), 0);
      if (r.status == 429) r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
    }
    metrics.CountRequest(r.status);
    respond(std::move(r));
  };
  router.Write(std::move(batch), [answer = std::move(answer), then = std::move(then)](absl::Status status) mutable {
    if (!status.ok() || then == nullptr) return answer(std::move(status));
    then(std::move(answer));
  });
}

}  // namespace strata::insert
