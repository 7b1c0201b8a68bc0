#include "common/rpc/storage_wire.h"

#include <bit>

#include "fmt/format.h"
#include "strata/rpc.pb.h"

namespace strata {
namespace {

void EncodeMatchers(const std::vector<Matcher>& matchers,
                    google::protobuf::RepeatedPtrField<rpc::MatcherProto>* out) {
  out->Reserve(static_cast<int>(matchers.size()));
  for (const Matcher& m : matchers) {
    rpc::MatcherProto* mp = out->Add();
    mp->set_type(static_cast<uint32_t>(m.type()));
    mp->set_name(m.name());
    mp->set_value(m.value());
  }
}

absl::Status DecodeMatchers(google::protobuf::RepeatedPtrField<rpc::MatcherProto>* in, std::vector<Matcher>* out) {
  out->reserve(static_cast<size_t>(in->size()));
  for (rpc::MatcherProto& mp : *in) {
    if (mp.type() > static_cast<uint32_t>(MatchType::kRegexNoMatch)) {
      return absl::InvalidArgumentError(fmt::format("unknown matcher type {} for label \"{}\"", mp.type(), mp.name()));
    }
    auto m = Matcher::Create(static_cast<MatchType>(mp.type()), std::move(*mp.mutable_name()),
                             std::move(*mp.mutable_value()));
    if (!m.ok()) return m.status();
    out->push_back(std::move(*m));
  }
  return absl::OkStatus();
}

void EncodeLabelPairs(const Labels& labels, google::protobuf::RepeatedPtrField<rpc::LabelPair>* out) {
  for (const Label& l : labels) {
    rpc::LabelPair* lp = out->Add();
    lp->set_name(l.name);
    lp->set_value(l.value);
  }
}

// The storage node sends labels sorted; re-sorting guards the invariant of
// Labels against a misbehaving peer at little cost.
Labels DecodeLabelPairs(google::protobuf::RepeatedPtrField<rpc::LabelPair>* in) {
  std::vector<Label> labels;
  labels.reserve(static_cast<size_t>(in->size()));
  for (rpc::LabelPair& lp : *in) {
    labels.push_back(Label{std::move(*lp.mutable_name()), std::move(*lp.mutable_value())});
  }
  return Labels::FromUnsorted(std::move(labels));
}

}  // namespace

namespace {

void ToProto(const SearchRequest& request, rpc::SearchRequest* pb) {
  pb->set_account_id(request.tenant.account_id);
  pb->set_project_id(request.tenant.project_id);
  EncodeMatchers(request.matchers, pb->mutable_matchers());
  pb->set_min_time_ms(request.min_time_ms);
  pb->set_max_time_ms(request.max_time_ms);
  pb->set_max_series(request.max_series);
}

absl::StatusOr<SearchRequest> FromProto(rpc::SearchRequest& pb) {
  SearchRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  request.min_time_ms = pb.min_time_ms();
  request.max_time_ms = pb.max_time_ms();
  request.max_series = pb.max_series();
  absl::Status st = DecodeMatchers(pb.mutable_matchers(), &request.matchers);
  if (!st.ok()) return st;
  return request;
}

void ToProto(const SearchResult& result, rpc::SearchResponse* pb) {
  pb->set_truncated(result.truncated);
  pb->mutable_series()->Reserve(static_cast<int>(result.series.size()));
  for (const SeriesChunks& s : result.series) {
    rpc::SeriesProto* sp = pb->add_series();
    EncodeLabelPairs(s.labels, sp->mutable_labels());
    for (const ChunkData& c : s.chunks) {
      rpc::ChunkProto* cp = sp->add_chunks();
      cp->set_min_time_ms(c.min_time_ms);
      cp->set_max_time_ms(c.max_time_ms);
      cp->set_encoding(static_cast<uint32_t>(c.encoding));
      cp->set_data(c.data);
    }
  }
}

absl::StatusOr<SearchResult> FromProto(rpc::SearchResponse& pb) {
  SearchResult result;
  result.truncated = pb.truncated();
  result.series.reserve(static_cast<size_t>(pb.series_size()));
  for (rpc::SeriesProto& sp : *pb.mutable_series()) {
    SeriesChunks series;
    series.labels = DecodeLabelPairs(sp.mutable_labels());
    series.chunks.reserve(static_cast<size_t>(sp.chunks_size()));
    for (rpc::ChunkProto& cp : *sp.mutable_chunks()) {
      if (!IsKnownChunkEncoding(cp.encoding())) {
        return absl::InvalidArgumentError(fmt::format("unknown chunk encoding {}", cp.encoding()));
      }
      ChunkData c;
      c.min_time_ms = cp.min_time_ms();
      c.max_time_ms = cp.max_time_ms();
      c.encoding = static_cast<ChunkEncoding>(cp.encoding());
      c.data = std::move(*cp.mutable_data());
      series.chunks.push_back(std::move(c));
    }
    result.series.push_back(std::move(series));
  }
  return result;
}

}  // namespace

std::string EncodeSearchRequest(const SearchRequest& request) {
  rpc::SearchRequest pb;
  ToProto(request, &pb);
  return pb.SerializeAsString();
}

absl::StatusOr<SearchRequest> DecodeSearchRequest(std::string_view bytes) {
  rpc::SearchRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse search request");
  }
  return FromProto(pb);
}

std::string EncodeSearchResult(const SearchResult& result) {
  rpc::SearchResponse pb;
  ToProto(result, &pb);
  return pb.SerializeAsString();
}

absl::StatusOr<SearchResult> DecodeSearchResult(std::string_view bytes) {
  rpc::SearchResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse search response");
  }
  return FromProto(pb);
}

std::string EncodeSearchManyRequest(const std::vector<SearchRequest>& requests) {
  rpc::SearchManyRequest pb;
  pb.mutable_requests()->Reserve(static_cast<int>(requests.size()));
  for (const SearchRequest& r : requests) ToProto(r, pb.add_requests());
  return pb.SerializeAsString();
}

absl::StatusOr<std::vector<SearchRequest>> DecodeSearchManyRequest(std::string_view bytes) {
  rpc::SearchManyRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse search_many request");
  }
  std::vector<SearchRequest> requests;
  requests.reserve(static_cast<size_t>(pb.requests_size()));
  for (rpc::SearchRequest& r : *pb.mutable_requests()) {
    absl::StatusOr<SearchRequest> request = FromProto(r);
    if (!request.ok()) return request.status();
    requests.push_back(*std::move(request));
  }
  return requests;
}

std::string EncodeSearchManyResult(const std::vector<SearchResult>& results) {
  rpc::SearchManyResponse pb;
  pb.mutable_responses()->Reserve(static_cast<int>(results.size()));
  for (const SearchResult& r : results) ToProto(r, pb.add_responses());
  return pb.SerializeAsString();
}

absl::StatusOr<std::vector<SearchResult>> DecodeSearchManyResult(std::string_view bytes, size_t expected) {
  rpc::SearchManyResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse search_many response");
  }
  if (static_cast<size_t>(pb.responses_size()) != expected) {
    return absl::DataLossError(
        fmt::format("search_many response has {} results for {} requests", pb.responses_size(), expected));
  }
  std::vector<SearchResult> results;
  results.reserve(expected);
  for (rpc::SearchResponse& r : *pb.mutable_responses()) {
    absl::StatusOr<SearchResult> result = FromProto(r);
    if (!result.ok()) return result.status();
    results.push_back(*std::move(result));
  }
  return results;
}

std::string EncodeDeleteSeriesRequest(TenantId tenant, const std::vector<Matcher>& matchers) {
  rpc::DeleteSeriesRequest pb;
  pb.set_account_id(tenant.account_id);
  pb.set_project_id(tenant.project_id);
  EncodeMatchers(matchers, pb.mutable_matchers());
  return pb.SerializeAsString();
}

absl::StatusOr<DeleteSeriesRequest> DecodeDeleteSeriesRequest(std::string_view bytes) {
  rpc::DeleteSeriesRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse delete_series request");
  }
  DeleteSeriesRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  absl::Status st = DecodeMatchers(pb.mutable_matchers(), &request.matchers);
  if (!st.ok()) return st;
  if (request.matchers.empty()) return absl::InvalidArgumentError("delete_series request has no matchers");
  return request;
}

std::string EncodeDeleteSeriesResponse(uint64_t deleted) {
  rpc::DeleteSeriesResponse pb;
  pb.set_deleted(deleted);
  return pb.SerializeAsString();
}

absl::StatusOr<uint64_t> DecodeDeleteSeriesResponse(std::string_view bytes) {
  rpc::DeleteSeriesResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse delete_series response");
  }
  return pb.deleted();
}

std::string EncodeLabelsRequest(const LabelsRequest& request) {
  rpc::LabelsRequest pb;
  pb.set_account_id(request.tenant.account_id);
  pb.set_project_id(request.tenant.project_id);
  EncodeMatchers(request.matchers, pb.mutable_matchers());
  pb.set_min_time_ms(request.min_time_ms);
  pb.set_max_time_ms(request.max_time_ms);
  pb.set_limit(request.limit);
  pb.set_label_name(request.label_name);
  return pb.SerializeAsString();
}

absl::StatusOr<LabelsRequest> DecodeLabelsRequest(std::string_view bytes) {
  rpc::LabelsRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse labels request");
  }
  LabelsRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  request.min_time_ms = pb.min_time_ms();
  request.max_time_ms = pb.max_time_ms();
  request.limit = pb.limit();
  request.label_name = std::move(*pb.mutable_label_name());
  absl::Status st = DecodeMatchers(pb.mutable_matchers(), &request.matchers);
  if (!st.ok()) return st;
  return request;
}

std::string EncodeLabelsResult(const LabelsResult& result) {
  rpc::LabelsResponse pb;
  pb.mutable_values()->Reserve(static_cast<int>(result.values.size()));
  for (const std::string& v : result.values) pb.add_values(v);
  pb.set_truncated(result.truncated);
  return pb.SerializeAsString();
}

absl::StatusOr<LabelsResult> DecodeLabelsResult(std::string_view bytes) {
  rpc::LabelsResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse labels response");
  }
  LabelsResult result;
  result.truncated = pb.truncated();
  result.values.reserve(static_cast<size_t>(pb.values_size()));
  for (std::string& v : *pb.mutable_values()) result.values.push_back(std::move(v));
  return result;
}

std::string EncodeSeriesLabelsResult(const SeriesLabelsResult& result) {
  rpc::SeriesLabelsResponse pb;
  pb.set_truncated(result.truncated);
  pb.mutable_series()->Reserve(static_cast<int>(result.series.size()));
  for (const Labels& labels : result.series) EncodeLabelPairs(labels, pb.add_series()->mutable_labels());
  return pb.SerializeAsString();
}

absl::StatusOr<SeriesLabelsResult> DecodeSeriesLabelsResult(std::string_view bytes) {
  rpc::SeriesLabelsResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse series labels response");
  }
  SeriesLabelsResult result;
  result.truncated = pb.truncated();
  result.series.reserve(static_cast<size_t>(pb.series_size()));
  for (rpc::SeriesProto& sp : *pb.mutable_series()) result.series.push_back(DecodeLabelPairs(sp.mutable_labels()));
  return result;
}

namespace {

void EncodeStatEntries(const std::vector<TsdbStatEntry>& entries,
                       google::protobuf::RepeatedPtrField<rpc::TsdbStatEntry>* out) {
  out->Reserve(static_cast<int>(entries.size()));
  for (const TsdbStatEntry& e : entries) {
    rpc::TsdbStatEntry* pe = out->Add();
    pe->set_name(e.name);
    pe->set_value(e.value);
  }
}

std::vector<TsdbStatEntry> DecodeStatEntries(google::protobuf::RepeatedPtrField<rpc::TsdbStatEntry>* in) {
  std::vector<TsdbStatEntry> out;
  out.reserve(static_cast<size_t>(in->size()));
  for (rpc::TsdbStatEntry& pe : *in) out.push_back(TsdbStatEntry{std::move(*pe.mutable_name()), pe.value()});
  return out;
}

}  // namespace

std::string EncodeTsdbStatusRequest(const TsdbStatusRequest& request) {
  rpc::TsdbStatusRequest pb;
  pb.set_account_id(request.tenant.account_id);
  pb.set_project_id(request.tenant.project_id);
  EncodeMatchers(request.matchers, pb.mutable_matchers());
  pb.set_min_time_ms(request.min_time_ms);
  pb.set_max_time_ms(request.max_time_ms);
  pb.set_top_n(request.top_n);
  pb.set_focus_label(request.focus_label);
  return pb.SerializeAsString();
}

absl::StatusOr<TsdbStatusRequest> DecodeTsdbStatusRequest(std::string_view bytes) {
  rpc::TsdbStatusRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse tsdb status request");
  }
  TsdbStatusRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  request.min_time_ms = pb.min_time_ms();
  request.max_time_ms = pb.max_time_ms();
  request.top_n = pb.top_n();
  request.focus_label = std::move(*pb.mutable_focus_label());
  if (request.top_n == 0) return absl::InvalidArgumentError("tsdb status request has top_n 0");
  absl::Status st = DecodeMatchers(pb.mutable_matchers(), &request.matchers);
  if (!st.ok()) return st;
  return request;
}

std::string EncodeTsdbStatusResult(const TsdbStatusResult& result) {
  rpc::TsdbStatusResponse pb;
  pb.set_total_series(result.total_series);
  pb.set_total_label_value_pairs(result.total_label_value_pairs);
  pb.set_distinct_label_pairs(result.distinct_label_pairs);
  pb.set_head_chunks(result.head_chunks);
  pb.set_head_min_time_ms(result.head_min_time_ms);
  pb.set_head_max_time_ms(result.head_max_time_ms);
  EncodeStatEntries(result.series_count_by_metric_name, pb.mutable_series_count_by_metric_name());
  EncodeStatEntries(result.series_count_by_label_name, pb.mutable_series_count_by_label_name());
  EncodeStatEntries(result.series_count_by_focus_label_value, pb.mutable_series_count_by_focus_label_value());
  EncodeStatEntries(result.series_count_by_label_value_pair, pb.mutable_series_count_by_label_value_pair());
  EncodeStatEntries(result.label_value_count_by_label_name, pb.mutable_label_value_count_by_label_name());
  EncodeStatEntries(result.memory_in_bytes_by_label_name, pb.mutable_memory_in_bytes_by_label_name());
  return pb.SerializeAsString();
}

absl::StatusOr<TsdbStatusResult> DecodeTsdbStatusResult(std::string_view bytes) {
  rpc::TsdbStatusResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse tsdb status response");
  }
  TsdbStatusResult r;
  r.total_series = pb.total_series();
  r.total_label_value_pairs = pb.total_label_value_pairs();
  r.distinct_label_pairs = pb.distinct_label_pairs();
  r.head_chunks = pb.head_chunks();
  r.head_min_time_ms = pb.head_min_time_ms();
  r.head_max_time_ms = pb.head_max_time_ms();
  r.series_count_by_metric_name = DecodeStatEntries(pb.mutable_series_count_by_metric_name());
  r.series_count_by_label_name = DecodeStatEntries(pb.mutable_series_count_by_label_name());
  r.series_count_by_focus_label_value = DecodeStatEntries(pb.mutable_series_count_by_focus_label_value());
  r.series_count_by_label_value_pair = DecodeStatEntries(pb.mutable_series_count_by_label_value_pair());
  r.label_value_count_by_label_name = DecodeStatEntries(pb.mutable_label_value_count_by_label_name());
  r.memory_in_bytes_by_label_name = DecodeStatEntries(pb.mutable_memory_in_bytes_by_label_name());
  return r;
}

namespace {

void EncodeMetadataList(const std::vector<MetricMetadata>& in,
                        google::protobuf::RepeatedPtrField<rpc::MetricMetadataProto>* out) {
  out->Reserve(static_cast<int>(in.size()));
  for (const MetricMetadata& m : in) {
    rpc::MetricMetadataProto* mp = out->Add();
    mp->set_metric_family_name(m.metric_family_name);
    mp->set_type(m.type);
    mp->set_help(m.help);
    mp->set_unit(m.unit);
  }
}

std::vector<MetricMetadata> DecodeMetadataList(google::protobuf::RepeatedPtrField<rpc::MetricMetadataProto>* in) {
  std::vector<MetricMetadata> out;
  out.reserve(static_cast<size_t>(in->size()));
  for (rpc::MetricMetadataProto& mp : *in) {
    out.push_back(MetricMetadata{std::move(*mp.mutable_metric_family_name()), mp.type(),
                                 std::move(*mp.mutable_help()), std::move(*mp.mutable_unit())});
  }
  return out;
}

}  // namespace

std::string EncodeWriteMetadataRequest(TenantId tenant, const std::vector<MetricMetadata>& metadata) {
  rpc::WriteMetadataRequest pb;
  pb.set_account_id(tenant.account_id);
  pb.set_project_id(tenant.project_id);
  EncodeMetadataList(metadata, pb.mutable_metadata());
  return pb.SerializeAsString();
}

absl::StatusOr<WriteMetadataRequest> DecodeWriteMetadataRequest(std::string_view bytes) {
  rpc::WriteMetadataRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse write_metadata request");
  }
  return WriteMetadataRequest{TenantId{pb.account_id(), pb.project_id()}, DecodeMetadataList(pb.mutable_metadata())};
}

std::string EncodeMetadataRequest(const MetadataRequest& request) {
  rpc::MetadataRequest pb;
  pb.set_account_id(request.tenant.account_id);
  pb.set_project_id(request.tenant.project_id);
  pb.set_metric(request.metric);
  pb.set_limit(request.limit);
  return pb.SerializeAsString();
}

absl::StatusOr<MetadataRequest> DecodeMetadataRequest(std::string_view bytes) {
  rpc::MetadataRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse metadata request");
  }
  return MetadataRequest{TenantId{pb.account_id(), pb.project_id()}, std::move(*pb.mutable_metric()), pb.limit()};
}

std::string EncodeMetadataResult(const MetadataResult& result) {
  rpc::MetadataResponse pb;
  EncodeMetadataList(result.metadata, pb.mutable_metadata());
  return pb.SerializeAsString();
}

absl::StatusOr<MetadataResult> DecodeMetadataResult(std::string_view bytes) {
  rpc::MetadataResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse metadata response");
  }
  return MetadataResult{DecodeMetadataList(pb.mutable_metadata())};
}

std::string EncodeExemplarsRequest(const ExemplarsRequest& request) {
  rpc::ExemplarsRequest pb;
  pb.set_account_id(request.tenant.account_id);
  pb.set_project_id(request.tenant.project_id);
  for (const std::vector<Matcher>& selector : request.selectors) {
    EncodeMatchers(selector, pb.add_selectors()->mutable_matchers());
  }
  pb.set_min_time_ms(request.min_time_ms);
  pb.set_max_time_ms(request.max_time_ms);
  return pb.SerializeAsString();
}

absl::StatusOr<ExemplarsRequest> DecodeExemplarsRequest(std::string_view bytes) {
  rpc::ExemplarsRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse query_exemplars request");
  }
  ExemplarsRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  request.min_time_ms = pb.min_time_ms();
  request.max_time_ms = pb.max_time_ms();
  for (rpc::SelectorProto& sp : *pb.mutable_selectors()) {
    absl::Status st = DecodeMatchers(sp.mutable_matchers(), &request.selectors.emplace_back());
    if (!st.ok()) return st;
  }
  return request;
}

std::string EncodeExemplarsResult(const ExemplarsResult& result) {
  rpc::ExemplarsResponse pb;
  for (const SeriesExemplars& s : result.series) {
    rpc::SeriesExemplarsProto* sp = pb.add_series();
    EncodeLabelPairs(s.series, sp->mutable_series_labels());
    for (const Exemplar& e : s.exemplars) {
      rpc::ExemplarProto* ep = sp->add_exemplars();
      EncodeLabelPairs(e.labels, ep->mutable_labels());
      ep->set_value_bits(std::bit_cast<uint64_t>(e.value));
      ep->set_timestamp_ms(e.timestamp_ms);
    }
  }
  return pb.SerializeAsString();
}

absl::StatusOr<ExemplarsResult> DecodeExemplarsResult(std::string_view bytes) {
  rpc::ExemplarsResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse query_exemplars response");
  }
  ExemplarsResult result;
  result.series.reserve(static_cast<size_t>(pb.series_size()));
  for (rpc::SeriesExemplarsProto& sp : *pb.mutable_series()) {
    SeriesExemplars& s = result.series.emplace_back();
    s.series = DecodeLabelPairs(sp.mutable_series_labels());
    for (rpc::ExemplarProto& ep : *sp.mutable_exemplars()) {
      s.exemplars.push_back(
          Exemplar{DecodeLabelPairs(ep.mutable_labels()), std::bit_cast<double>(ep.value_bits()), ep.timestamp_ms()});
    }
  }
  return result;
}

}  // namespace strata
