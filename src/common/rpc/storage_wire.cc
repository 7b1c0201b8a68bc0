#include "common/rpc/storage_wire.h"

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

}  // namespace strata
