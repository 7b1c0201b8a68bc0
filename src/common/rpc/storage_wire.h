// File: common/rpc/storage_wire.h
//
// Conversion between the StorageApi search types (storage_api.h) and their
// protobuf wire form (strata.rpc.SearchRequest / SearchResponse in
// src/common/proto/strata/rpc.proto). Shared by RpcStorageClient and
// StorageRpcService; protobuf headers stay in the .cc. Pure functions,
// thread-safe.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace strata
