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

std::string EncodeSearchRequest(const SearchRequest& request) {
  rpc::SearchRequest pb;
  pb.set_account_id(request.tenant.account_id);
  pb.set_project_id(request.tenant.project_id);
  EncodeMatchers(request.matchers, pb.mutable_matchers());
  pb.set_min_time_ms(request.min_time_ms);
  pb.set_max_time_ms(request.max_time_ms);
  pb.set_max_series(request.max_series);
  return pb.SerializeAsString();
}

absl::StatusOr<SearchRequest> DecodeSearchRequest(std::string_view bytes) {
  rpc::SearchRequest pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cannot parse search request");
  }
  SearchRequest request;
  request.tenant = TenantId{pb.account_id(), pb.project_id()};
  request.min_time_ms = pb.min_time_ms();
  request.max_time_ms = pb.max_time_ms();
  request.max_series = pb.max_series();
  absl::Status st = DecodeMatchers(pb.mutable_matchers(), &request.matchers);
  if (!st.ok()) return st;
  return request;
}

std::string EncodeSearchResult(const SearchResult& result) {
  rpc::SearchResponse pb;
  pb.set_truncated(result.truncated);
  pb.mutable_series()->Reserve(static_cast<int>(result.series.size()));
  for (const SeriesChunks& s : result.series) {
    rpc::SeriesProto* sp = pb.add_series();
    EncodeLabelPairs(s.labels, sp->mutable_labels());
    for (const ChunkData& c : s.chunks) {
      rpc::ChunkProto* cp = sp->add_chunks();
      cp->set_min_time_ms(c.min_time_ms);
      cp->set_max_time_ms(c.max_time_ms);
      cp->set_encoding(static_cast<uint32_t>(c.encoding));
      cp->set_data(c.data);
    }
  }
  return pb.SerializeAsString();
}

absl::StatusOr<SearchResult> DecodeSearchResult(std::string_view bytes) {
  rpc::SearchResponse pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("cannot parse search response");
  }
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
