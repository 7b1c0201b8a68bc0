#include "common/formats/remote_write_v2.h"

#include <climits>
#include <string>

#include <fmt/format.h>

#include "io/prometheus/write/v2/types.pb.h"

namespace strata::formats {
namespace {

namespace v2 = io::prometheus::write::v2;

absl::Status Malformed(std::string what) {
  return absl::InvalidArgumentError(fmt::format("cannot parse remote_write 2.0 request: {}", what));
}

// Checks one labels_refs list: even length, every ref inside the table.
// `exemplar` is the exemplar's index, or -1 for the series' own labels
// (named only in an error, so that valid input formats nothing).
absl::Status CheckRefs(const google::protobuf::RepeatedField<uint32_t>& refs, size_t symbols, size_t series,
                       int exemplar = -1) {
  auto of = [exemplar] { return exemplar < 0 ? std::string("series") : fmt::format("exemplars[{}]", exemplar); };
  if (refs.size() % 2 != 0) {
    return Malformed(fmt::format("timeseries[{}]: {} labels_refs has odd length {}; it must hold name,value pairs",
                                 series, of(), refs.size()));
  }
  for (uint32_t ref : refs) {
    if (ref >= symbols) {
      return Malformed(fmt::format("timeseries[{}]: {} labels_refs holds symbol ref {}, but the symbols table has {} "
                                   "entries",
                                   series, of(), ref, symbols));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRef(uint32_t ref, size_t symbols, size_t series, std::string_view field) {
  if (ref < symbols) return absl::OkStatus();
  return Malformed(fmt::format("timeseries[{}]: metadata {} is {}, but the symbols table has {} entries", series,
                               field, ref, symbols));
}

void AppendLabels(const google::protobuf::RepeatedField<uint32_t>& refs,
                  const google::protobuf::RepeatedPtrField<std::string>& symbols, std::vector<LabelView>* out) {
  for (int i = 0; i + 1 < refs.size(); i += 2) {
    out->push_back({symbols.Get(static_cast<int>(refs.Get(i))), symbols.Get(static_cast<int>(refs.Get(i + 1)))});
  }
}

bool StripSuffix(std::string_view* name, std::string_view suffix) {
  if (name->size() <= suffix.size() || name->substr(name->size() - suffix.size()) != suffix) return false;
  name->remove_suffix(suffix.size());
  return true;
}

}  // namespace

RemoteWriteV2Reader::RemoteWriteV2Reader() : request_(std::make_unique<v2::Request>()) {}
RemoteWriteV2Reader::~RemoteWriteV2Reader() = default;

absl::Status RemoteWriteV2Reader::Parse(std::string_view request) {
  valid_ = false;
  // Clear (not a new message) keeps the allocated strings and series for
  // the next request of this thread.
  request_->Clear();
  if (request.size() > static_cast<size_t>(INT_MAX)) return Malformed("the request is larger than 2 GiB");
  if (!request_->ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    request_->Clear();
    return Malformed(fmt::format("the {}-byte body is not a valid {} protobuf message", request.size(),
                                 kRemoteWriteV2Message));
  }
  const size_t symbols = static_cast<size_t>(request_->symbols_size());
  if (request_->timeseries_size() == 0 && symbols == 0 && !request.empty()) {
    // Fields 1-3 (1.0's) are reserved: a 1.0 body decodes as an empty 2.0
    // request. Say so rather than store nothing silently.
    request_->Clear();
    return Malformed(
        "it holds neither symbols nor timeseries; is it a remote_write 1.0 prometheus.WriteRequest sent with "
        "proto=io.prometheus.write.v2.Request?");
  }
  for (int i = 0; i < request_->timeseries_size(); ++i) {
    const v2::TimeSeries& ts = request_->timeseries(i);
    const size_t series = static_cast<size_t>(i);
    absl::Status status = CheckRefs(ts.labels_refs(), symbols, series);
    for (int e = 0; status.ok() && e < ts.exemplars_size(); ++e) {
      status = CheckRefs(ts.exemplars(e).labels_refs(), symbols, series, e);
    }
    if (status.ok() && ts.has_metadata()) {
      status = CheckRef(ts.metadata().help_ref(), symbols, series, "help_ref");
      if (status.ok()) status = CheckRef(ts.metadata().unit_ref(), symbols, series, "unit_ref");
    }
    if (!status.ok()) {
      request_->Clear();
      return status;
    }
  }
  valid_ = true;
  return absl::OkStatus();
}

size_t RemoteWriteV2Reader::series_count() const {
  return valid_ ? static_cast<size_t>(request_->timeseries_size()) : 0;
}

void RemoteWriteV2Reader::Series(size_t i, RemoteWriteV2Series* out) const {
  const v2::TimeSeries& ts = request_->timeseries(static_cast<int>(i));
  const auto& symbols = request_->symbols();
  out->labels.clear();
  AppendLabels(ts.labels_refs(), symbols, &out->labels);
  out->samples.clear();
  out->samples.reserve(static_cast<size_t>(ts.samples_size()));
  for (const v2::Sample& s : ts.samples()) out->samples.push_back({s.timestamp(), s.value()});
  out->exemplars.clear();
  out->exemplar_labels.clear();
  for (const v2::Exemplar& e : ts.exemplars()) {
    ExemplarView view;
    view.label_begin = static_cast<uint32_t>(out->exemplar_labels.size());
    AppendLabels(e.labels_refs(), symbols, &out->exemplar_labels);
    view.label_end = static_cast<uint32_t>(out->exemplar_labels.size());
    view.value = e.value();
    view.timestamp_ms = e.timestamp();
    out->exemplars.push_back(view);
  }
  out->histogram_count = static_cast<size_t>(ts.histograms_size());
  out->metadata_type = 0;
  out->help = out->unit = {};
  if (ts.has_metadata()) {
    // Refs were checked by Parse (only when metadata is present).
    const v2::Metadata& m = ts.metadata();
    out->metadata_type = static_cast<uint32_t>(m.type());
    out->help = symbols.Get(static_cast<int>(m.help_ref()));
    out->unit = symbols.Get(static_cast<int>(m.unit_ref()));
  }
}

std::string_view MetricFamilyName(std::string_view metric_name, uint32_t type) {
  std::string_view name = metric_name;
  switch (type) {
    case 3:  // histogram
      if (StripSuffix(&name, "_bucket") || StripSuffix(&name, "_sum") || StripSuffix(&name, "_count")) return name;
      break;
    case 4:  // gauge histogram
      if (StripSuffix(&name, "_bucket") || StripSuffix(&name, "_gsum") || StripSuffix(&name, "_gcount")) return name;
      break;
    case 5:  // summary
      if (StripSuffix(&name, "_sum") || StripSuffix(&name, "_count")) return name;
      break;
    default:
      break;
  }
  return metric_name;
}

}  // namespace strata::formats
