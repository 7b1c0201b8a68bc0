// File: common/rpc/storage_wire.h
//
// Conversion between the StorageApi search, delete and labels types
// (storage_api.h) and their protobuf wire form (strata.rpc.SearchRequest /
// SearchResponse / SearchManyRequest / SearchManyResponse /
// DeleteSeriesRequest / DeleteSeriesResponse / LabelsRequest /
// LabelsResponse / SeriesLabelsResponse in
// src/common/proto/strata/rpc.proto). Shared by RpcStorageClient and
// StorageRpcService; protobuf headers stay in the .cc. Pure functions,
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/storage_api.h"

namespace strata {

std::string EncodeSearchRequest(const SearchRequest& request);
// Recompiles the matchers; InvalidArgument for a bad matcher or message.
absl::StatusOr<SearchRequest> DecodeSearchRequest(std::string_view bytes);

std::string EncodeSearchResult(const SearchResult& result);
// DataLoss for a message that does not parse; InvalidArgument for an
// unknown chunk encoding.
absl::StatusOr<SearchResult> DecodeSearchResult(std::string_view bytes);

// The SearchMany forms (strata.rpc.SearchManyRequest / SearchManyResponse):
// errors as the single forms'. DecodeSearchManyResult also answers DataLoss
// when the response does not hold `expected` results.
std::string EncodeSearchManyRequest(const std::vector<SearchRequest>& requests);
absl::StatusOr<std::vector<SearchRequest>> DecodeSearchManyRequest(std::string_view bytes);
std::string EncodeSearchManyResult(const std::vector<SearchResult>& results);
absl::StatusOr<std::vector<SearchResult>> DecodeSearchManyResult(std::string_view bytes, size_t expected);

// The arguments of StorageApi::DeleteSeries.
struct DeleteSeriesRequest {
  TenantId tenant;
  std::vector<Matcher> matchers;
};

std::string EncodeDeleteSeriesRequest(TenantId tenant, const std::vector<Matcher>& matchers);
// Recompiles the matchers; InvalidArgument for a bad matcher or message, or
// when there is no matcher (a delete never means "everything").
absl::StatusOr<DeleteSeriesRequest> DecodeDeleteSeriesRequest(std::string_view bytes);

std::string EncodeDeleteSeriesResponse(uint64_t deleted);
// DataLoss for a message that does not parse.
absl::StatusOr<uint64_t> DecodeDeleteSeriesResponse(std::string_view bytes);

// LabelsRequest (StorageApi::LabelNames / LabelValues / SeriesLabels).
std::string EncodeLabelsRequest(const LabelsRequest& request);
// Recompiles the matchers; InvalidArgument for a bad matcher or message.
absl::StatusOr<LabelsRequest> DecodeLabelsRequest(std::string_view bytes);

std::string EncodeLabelsResult(const LabelsResult& result);
// DataLoss for a message that does not parse.
absl::StatusOr<LabelsResult> DecodeLabelsResult(std::string_view bytes);

std::string EncodeSeriesLabelsResult(const SeriesLabelsResult& result);
// DataLoss for a message that does not parse.
absl::StatusOr<SeriesLabelsResult> DecodeSeriesLabelsResult(std::string_view bytes);

}  // namespace strata
