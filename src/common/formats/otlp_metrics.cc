#include "common/formats/otlp_metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "common/formats/otlp_names.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata {
namespace {

namespace otlp_common = opentelemetry::proto::common::v1;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;
namespace otlp_collector = opentelemetry::proto::collector::metrics::v1;
using Attributes = google::protobuf::RepeatedPtrField<otlp_common::KeyValue>;

constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNamespace = "service.namespace";
constexpr std::string_view kServiceInstanceId = "service.instance.id";
// Prometheus writes target_info every lookback-delta/2 (5 min / 2) so that
// joins find it anywhere between a resource's first and last points.
constexpr int64_t kTargetInfoIntervalMs = 150'000;
// Bounds the target_info samples of one resource: a client with a bogus
// early timestamp must not make the request explode.
constexpr int64_t kMaxTargetInfoSamples = 64;

// Appends `v` as Go's strconv.FormatFloat(v, 'f', -1, 64) does: the shortest
// decimal that reads back as `v`, never an exponent ("+Inf" for infinity).
void AppendFixedFloat(double v, std::string* out) {
  if (std::isnan(v)) return out->append("NaN"), void();
  if (std::isinf(v)) return out->append(v > 0 ? "+Inf" : "-Inf"), void();
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out->append(buf, res.ptr);
}

std::string FixedFloat(double v) {
  std::string s;
  AppendFixedFloat(v, &s);
  return s;
}

// Appends a double as OpenTelemetry's pcommon Value.AsString does (ES6
// number formatting: fixed between 1e-6 and 1e21, else exponent).
void AppendJsonNumber(double v, std::string* out) {
  double a = std::fabs(v);
  if (std::isnan(v) || std::isinf(v) || a == 0 || (a >= 1e-6 && a < 1e21)) return AppendFixedFloat(v, out);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  // "1e-07" -> "1e-7", like Go's encoding/json.
  size_t n = s.size();
  if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
    out->append(s.substr(0, n - 2));
    out->push_back(s[n - 1]);
    return;
  }
  out->append(s);
}

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out->push_back(kAlphabet[(n >> shift) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 0) return;
  uint32_t n = at(i) << 16;
  if (rest == 2) n |= at(i + 1) << 8;
  out->push_back(kAlphabet[(n >> 18) & 63]);
  out->push_back(kAlphabet[(n >> 12) & 63]);
  out->push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
  out->push_back('=');
}

void AppendAnyValueJson(const otlp_common::AnyValue& v, std::string* out);

// An attribute value as a label value, as pcommon Value.AsString does:
// strings as they are, numbers and bools as text, bytes in base64, arrays
// and maps as JSON (map keys sorted, like Go's encoding/json).
void AppendAnyValueString(const otlp_common::AnyValue& v, std::string* out) {
  switch (v.value_case()) {
    case otlp_common::AnyValue::kStringValue: out->append(v.string_value()); break;
    case otlp_common::AnyValue::kBoolValue: out->append(v.bool_value() ? "true" : "false"); break;
    case otlp_common::AnyValue::kIntValue: fmt::format_to(std::back_inserter(*out), "{}", v.int_value()); break;
    case otlp_common::AnyValue::kDoubleValue: AppendJsonNumber(v.double_value(), out); break;
    case otlp_common::AnyValue::kBytesValue: AppendBase64(v.bytes_value(), out); break;
    case otlp_common::AnyValue::kArrayValue:
    case otlp_common::AnyValue::kKvlistValue: AppendAnyValueJson(v, out); break;
    case otlp_common::AnyValue::VALUE_NOT_SET: break;
  }
}

void AppendAnyValueJson(const otlp_common::AnyValue& v, std::string* out) {
  switch (v.value_case()) {
    case otlp_common::AnyValue::kStringValue: AppendJsonString(v.string_value(), out); break;
    case otlp_common::AnyValue::kBoolValue:
    case otlp_common::AnyValue::kIntValue:
    case otlp_common::AnyValue::kDoubleValue: AppendAnyValueString(v, out); break;
    case otlp_common::AnyValue::kBytesValue: {
      std::string b64;
      AppendBase64(v.bytes_value(), &b64);
      AppendJsonString(b64, out);
      break;
    }
    case otlp_common::AnyValue::kArrayValue: {
      out->push_back('[');
      for (int i = 0; i < v.array_value().values_size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendAnyValueJson(v.array_value().values(i), out);
      }
      out->push_back(']');
      break;
    }
    case otlp_common::AnyValue::kKvlistValue: {
      std::vector<const otlp_common::KeyValue*> kvs;
      for (const auto& kv : v.kvlist_value().values()) kvs.push_back(&kv);
      std::stable_sort(kvs.begin(), kvs.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out->push_back('{');
      for (size_t i = 0; i < kvs.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(kvs[i]->key(), out);
        out->push_back(':');
        AppendAnyValueJson(kvs[i]->value(), out);
      }
      out->push_back('}');
      break;
    }
    case otlp_common::AnyValue::VALUE_NOT_SET: out->append("null"); break;
  }
}

const otlp_common::AnyValue* FindAttribute(const Attributes& attrs, std::string_view key) {
  for (const auto& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

std::string AnyValueString(const otlp_common::AnyValue& v) {
  std::string s;
  AppendAnyValueString(v, &s);
  return s;
}

// A label set under construction: names unique, sorted.
using LabelMap = std::map<std::string, std::string, std::less<>>;

// Converts the metrics of one request. Thread-compatible; one per call.
class Converter {
 public:
  Converter(const OtlpConvertOptions& options, OtlpConversion* out) : options_(options), out_(out) {}

  void AddResourceMetrics(const otlp_metrics::ResourceMetrics& rm);
  void Finish();

 private:
  void Reject(OtlpRejectReason reason, int64_t points, std::string problem);
  void AddMetric(const otlp_metrics::Metric& metric);
  // The labels of a point (attributes, job, instance). False (and the point
  // rejected) when an attribute key cannot be a label name.
  bool PointLabels(const Attributes& attrs, const std::vector<std::string_view>& ignore, LabelMap* labels);
  int64_t TimestampMs(uint64_t unix_nano) const;
  // Adds a sample to the series `base` + __name__=name [+ extra=extra_value].
  void AddSample(const LabelMap& base, std::string_view name, std::string_view extra, std::string_view extra_value,
                 Sample sample);
  void AddTargetInfo(const otlp_metrics::ResourceMetrics& rm);

  template <typename Point>
  void NotePointTimes(const google::protobuf::RepeatedPtrField<Point>& points);

  const OtlpConvertOptions& options_;
  OtlpConversion* out_;
  std::unordered_map<std::string, size_t> series_index_;
  std::string key_;                 // reused canonical-bytes buffer
  std::vector<LabelView> views_;    // reused

  // The resource being converted.
  const Attributes* resource_attrs_ = nullptr;
  std::string job_, instance_;
  bool have_job_ = false, have_instance_ = false;
  int64_t earliest_ms_ = 0, latest_ms_ = 0;
  bool have_points_ = false;
};

void Converter::Reject(OtlpRejectReason reason, int64_t points, std::string problem) {
  out_->points_rejected += points;
  out_->rejected_by_reason[static_cast<size_t>(reason)] += points;
  if (out_->first_problem.empty()) out_->first_problem = std::move(problem);
}

int64_t Converter::TimestampMs(uint64_t unix_nano) const {
  if (unix_nano == 0) return options_.now_ms;
  return static_cast<int64_t>(unix_nano / 1'000'000);
}

bool Converter::PointLabels(const Attributes& attrs, const std::vector<std::string_view>& ignore, LabelMap* labels) {
  labels->clear();
  // Prometheus orders attributes by key before sanitising, so values of
  // keys that collide ("a.b", "a_b") are joined in a stable order.
  std::vector<const otlp_common::KeyValue*> sorted;
  sorted.reserve(static_cast<size_t>(attrs.size()));
  for (const auto& kv : attrs) {
    if (std::find(ignore.begin(), ignore.end(), kv.key()) == ignore.end()) sorted.push_back(&kv);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
  for (const otlp_common::KeyValue* kv : sorted) {
    absl::StatusOr<std::string> name = OtlpLabelName(kv->key());
    if (!name.ok()) {
      Reject(OtlpRejectReason::kInvalidLabels, 0, std::string(ToStd(name.status().message())));
      return false;
    }
    std::string value = AnyValueString(kv->value());
    auto [it, inserted] = labels->try_emplace(std::move(*name), value);
    if (!inserted) it->second.append(";").append(value);
  }
  if (have_job_) (*labels)["job"] = job_;
  if (have_instance_) (*labels)["instance"] = instance_;
  return true;
}

void Converter::AddSample(const LabelMap& base, std::string_view name, std::string_view extra,
                          std::string_view extra_value, Sample sample) {
  views_.clear();
  for (const auto& [n, v] : base) {
    if (n == kMetricNameLabel || (!extra.empty() && n == extra)) continue;
    views_.push_back(LabelView{n, v});
  }
  views_.push_back(LabelView{kMetricNameLabel, name});
  if (!extra.empty()) views_.push_back(LabelView{extra, extra_value});
  absl::Status valid = ValidateAndSortLabels(&views_);
  if (!valid.ok()) {
    // The point's labels were checked before its first sample; this is a
    // backstop (it counts a problem without a point).
    Reject(OtlpRejectReason::kInvalidLabels, 0, std::string(ToStd(valid.message())));
    return;
  }
  key_.clear();
  AppendCanonical(views_, &key_);
  auto [it, inserted] = series_index_.try_emplace(key_, out_->series.size());
  if (inserted) {
    OtlpSeries& s = out_->series.emplace_back();
    s.labels.reserve(views_.size());
    for (const LabelView& l : views_) s.labels.push_back(Label{std::string(l.name), std::string(l.value)});
  }
  out_->series[it->second].samples.push_back(sample);
}

template <typename Point>
void Converter::NotePointTimes(const google::protobuf::RepeatedPtrField<Point>& points) {
  for (const Point& p : points) {
    int64_t t = TimestampMs(p.time_unix_nano());
    earliest_ms_ = have_points_ ? std::min(earliest_ms_, t) : t;
    latest_ms_ = have_points_ ? std::max(latest_ms_, t) : t;
    have_points_ = true;
  }
}

void Converter::AddResourceMetrics(const otlp_metrics::ResourceMetrics& rm) {
  resource_attrs_ = &rm.resource().attributes();
  const otlp_common::AnyValue* service = FindAttribute(*resource_attrs_, kServiceName);
  const otlp_common::AnyValue* ns = FindAttribute(*resource_attrs_, kServiceNamespace);
  const otlp_common::AnyValue* instance = FindAttribute(*resource_attrs_, kServiceInstanceId);
  have_job_ = service != nullptr;
  job_ = have_job_ ? AnyValueString(*service) : "";
  if (have_job_ && ns != nullptr) job_ = fmt::format("{}/{}", AnyValueString(*ns), job_);
  have_instance_ = instance != nullptr;
  instance_ = have_instance_ ? AnyValueString(*instance) : "";
  have_points_ = false;

  for (const auto& sm : rm.scope_metrics()) {
    for (const auto& metric : sm.metrics()) AddMetric(metric);
  }
  if (have_points_) AddTargetInfo(rm);
}

void Converter::AddTargetInfo(const otlp_metrics::ResourceMetrics& rm) {
  const std::vector<std::string_view> identifying = {kServiceNamespace, kServiceName, kServiceInstanceId};
  int others = 0;
  for (const auto& kv : rm.resource().attributes()) {
    if (std::find(identifying.begin(), identifying.end(), kv.key()) == identifying.end()) ++others;
  }
  // Only job/instance: target_info would say nothing; neither: nothing to join on.
  if (others == 0 || (!have_job_ && !have_instance_)) return;
  LabelMap labels;
  if (!PointLabels(rm.resource().attributes(), identifying, &labels)) return;
  int64_t start = std::max(earliest_ms_, latest_ms_ - (kMaxTargetInfoSamples - 1) * kTargetInfoIntervalMs);
  int64_t last = std::numeric_limits<int64_t>::min();
  for (int64_t t = start; t < latest_ms_; t += kTargetInfoIntervalMs) {
    AddSample(labels, "target_info", "", "", Sample{t, 1});
    last = t;
  }
  if (last < latest_ms_) AddSample(labels, "target_info", "", "", Sample{latest_ms_, 1});
}

double PointValue(const otlp_metrics::NumberDataPoint& p) {
  if (p.flags() & otlp_metrics::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK) return StaleNaN();
  switch (p.value_case()) {
    case otlp_metrics::NumberDataPoint::kAsDouble: return p.as_double();
    case otlp_metrics::NumberDataPoint::kAsInt: return static_cast<double>(p.as_int());
    case otlp_metrics::NumberDataPoint::VALUE_NOT_SET: break;
  }
  return 0;
}

// `v`, or the stale marker when the point carries no recorded value.
double OrStale(uint32_t flags, double v) {
  return (flags & otlp_metrics::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK) ? StaleNaN() : v;
}

std::string_view TemporalityProblem(otlp_metrics::AggregationTemporality t) {
  return t == otlp_metrics::AGGREGATION_TEMPORALITY_DELTA
             ? "delta temporality is not supported; export cumulative temporality"
             : "aggregation temporality is unspecified";
}

void Converter::AddMetric(const otlp_metrics::Metric& metric) {
  OtlpMetricKind kind = OtlpMetricKind::kGauge;
  int64_t points = 0;
  otlp_metrics::AggregationTemporality temporality = otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE;
  switch (metric.data_case()) {
    case otlp_metrics::Metric::kGauge:
      points = metric.gauge().data_points_size();
      NotePointTimes(metric.gauge().data_points());
      break;
    case otlp_metrics::Metric::kSum:
      kind = metric.sum().is_monotonic() ? OtlpMetricKind::kMonotonicSum : OtlpMetricKind::kNonMonotonicSum;
      points = metric.sum().data_points_size();
      temporality = metric.sum().aggregation_temporality();
      NotePointTimes(metric.sum().data_points());
      break;
    case otlp_metrics::Metric::kHistogram:
      kind = OtlpMetricKind::kHistogram;
      points = metric.histogram().data_points_size();
      temporality = metric.histogram().aggregation_temporality();
      NotePointTimes(metric.histogram().data_points());
      break;
    case otlp_metrics::Metric::kExponentialHistogram:
      NotePointTimes(metric.exponential_histogram().data_points());
      Reject(OtlpRejectReason::kExponentialHistogram, metric.exponential_histogram().data_points_size(),
             fmt::format("metric \"{}\": exponential histograms are not supported (no native histograms yet)",
                         metric.name()));
      return;
    case otlp_metrics::Metric::kSummary:
      kind = OtlpMetricKind::kSummary;
      points = metric.summary().data_points_size();
      NotePointTimes(metric.summary().data_points());
      break;
    case otlp_metrics::Metric::DATA_NOT_SET:
      Reject(OtlpRejectReason::kUnsupportedType, 0,
             fmt::format("metric \"{}\" has no data of a known type", metric.name()));
      return;
  }
  if (temporality != otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE) {
    Reject(OtlpRejectReason::kDeltaTemporality, points,
           fmt::format("metric \"{}\": {}", metric.name(), TemporalityProblem(temporality)));
    return;
  }
  absl::StatusOr<std::string> name = OtlpMetricName(metric.name(), metric.unit(), kind);
  if (!name.ok()) {
    Reject(OtlpRejectReason::kInvalidMetricName, points, std::string(ToStd(name.status().message())));
    return;
  }

  LabelMap labels;
  const std::vector<std::string_view> no_ignore;
  auto labels_of = [&](const Attributes& attrs) {
    if (PointLabels(attrs, no_ignore, &labels)) return true;
    out_->points_rejected += 1;
    out_->rejected_by_reason[static_cast<size_t>(OtlpRejectReason::kInvalidLabels)] += 1;
    return false;
  };
  const std::string sum_name = *name + "_sum";
  const std::string count_name = *name + "_count";
  switch (metric.data_case()) {
    case otlp_metrics::Metric::kGauge:
    case otlp_metrics::Metric::kSum: {
      const auto& dps = metric.data_case() == otlp_metrics::Metric::kGauge ? metric.gauge().data_points()
                                                                           : metric.sum().data_points();
      for (const auto& p : dps) {
        if (!labels_of(p.attributes())) continue;
        AddSample(labels, *name, "", "", Sample{TimestampMs(p.time_unix_nano()), PointValue(p)});
        ++out_->points_accepted;
      }
      break;
    }
    case otlp_metrics::Metric::kHistogram: {
      const std::string bucket_name = *name + "_bucket";
      for (const auto& p : metric.histogram().data_points()) {
        if (!labels_of(p.attributes())) continue;
        int64_t t = TimestampMs(p.time_unix_nano());
        if (p.has_sum()) AddSample(labels, sum_name, "", "", Sample{t, OrStale(p.flags(), p.sum())});
        AddSample(labels, count_name, "", "", Sample{t, OrStale(p.flags(), static_cast<double>(p.count()))});
        // OTLP buckets hold per-bucket counts; Prometheus's le buckets are
        // cumulative. The last OTLP bucket (above the last bound) is +Inf.
        uint64_t cumulative = 0;
        int n = std::min(p.explicit_bounds_size(), p.bucket_counts_size());
        for (int i = 0; i < n; ++i) {
          cumulative += p.bucket_counts(i);
          AddSample(labels, bucket_name, "le", FixedFloat(p.explicit_bounds(i)),
                    Sample{t, OrStale(p.flags(), static_cast<double>(cumulative))});
        }
        AddSample(labels, bucket_name, "le", "+Inf", Sample{t, OrStale(p.flags(), static_cast<double>(p.count()))});
        ++out_->points_accepted;
      }
      break;
    }
    case otlp_metrics::Metric::kSummary: {
      for (const auto& p : metric.summary().data_points()) {
        if (!labels_of(p.attributes())) continue;
        int64_t t = TimestampMs(p.time_unix_nano());
        AddSample(labels, sum_name, "", "", Sample{t, OrStale(p.flags(), p.sum())});
        AddSample(labels, count_name, "", "", Sample{t, OrStale(p.flags(), static_cast<double>(p.count()))});
        for (const auto& q : p.quantile_values()) {
          AddSample(labels, *name, "quantile", FixedFloat(q.quantile()), Sample{t, OrStale(p.flags(), q.value())});
        }
        ++out_->points_accepted;
      }
      break;
    }
    default: break;
  }
}

void Converter::Finish() {
  // One sample per timestamp, in time order; a repeated timestamp keeps
  // the value that came last in the request.
  for (OtlpSeries& s : out_->series) {
    auto& v = s.samples;
    std::stable_sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; });
    size_t w = 0;
    for (size_t r = 0; r < v.size(); ++r) {
      if (w > 0 && v[w - 1].timestamp_ms == v[r].timestamp_ms) {
        v[w - 1] = v[r];
      } else {
        v[w++] = v[r];
      }
    }
    v.resize(w);
  }
}

}  // namespace

std::string_view OtlpRejectReasonName(OtlpRejectReason reason) {
  switch (reason) {
    case OtlpRejectReason::kDeltaTemporality: return "delta_temporality";
    case OtlpRejectReason::kExponentialHistogram: return "exponential_histogram";
    case OtlpRejectReason::kInvalidMetricName: return "invalid_metric_name";
    case OtlpRejectReason::kInvalidLabels: return "invalid_labels";
    case OtlpRejectReason::kUnsupportedType: return "unsupported_type";
  }
  return "unknown";
}

absl::StatusOr<OtlpConversion> ConvertOtlpMetrics(std::string_view protobuf, const OtlpConvertOptions& options) {
  otlp_collector::ExportMetricsServiceRequest request;
  if (protobuf.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !request.ParseFromArray(protobuf.data(), static_cast<int>(protobuf.size()))) {
    return absl::InvalidArgumentError(
        "malformed OTLP request: the body is not a protobuf ExportMetricsServiceRequest (invalid wire format or "
        "invalid UTF-8 in a string)");
  }
  OtlpConversion out;
  Converter converter(options, &out);
  for (const auto& rm : request.resource_metrics()) converter.AddResourceMetrics(rm);
  converter.Finish();
  return out;
}

std::string EncodeOtlpMetricsResponse(int64_t rejected_points, std::string_view error_message) {
  otlp_collector::ExportMetricsServiceResponse response;
  if (rejected_points > 0 || !error_message.empty()) {
    auto* partial = response.mutable_partial_success();
    partial->set_rejected_data_points(rejected_points);
    partial->set_error_message(std::string(error_message));
  }
  return response.SerializeAsString();
}

}  // namespace strata
