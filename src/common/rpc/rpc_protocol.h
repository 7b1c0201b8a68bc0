// File: common/rpc/rpc_protocol.h
//
// Constants of Strata's node-to-node RPC protocol; the byte layout is in
// docs/format/rpc.md. A connection carries length-prefixed protobuf frames:
// first one `Hello` each way, then `Envelope`s (requests from the client,
// replies from the server, matched by request_id, in any order).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata {

// Bumped on any incompatible change of framing or of a method's messages.
inline constexpr uint32_t kRpcProtocolVersion = 1;

// A frame is a 4-byte big-endian payload length, then the payload.
inline constexpr size_t kRpcFrameHeaderBytes = 4;
// Larger frames are a protocol error and close the connection.
inline constexpr size_t kRpcMaxFrameBytes = size_t{256} << 20;
// A decompressed body may be at most this large.
inline constexpr size_t kRpcMaxBodyBytes = size_t{1} << 30;

// Envelope.flags bits.
inline constexpr uint32_t kRpcFlagZstd = 1u << 0;  // body is one zstd frame

// Bodies at least this large are zstd-compressed by default.
inline constexpr size_t kRpcDefaultCompressMinBytes = 1024;

// Method numbers (Envelope.method). Stable: never reuse a number.
enum RpcMethod : uint32_t {
  kRpcMethodStorageWrite = 1,   // body: a WriteBatch (common/model/write_batch.h); reply: empty
  kRpcMethodStorageSearch = 2,  // body: strata.rpc.SearchRequest; reply: strata.rpc.SearchResponse
  // body: strata.rpc.DeleteSeriesRequest; reply: strata.rpc.DeleteSeriesResponse
  kRpcMethodStorageDeleteSeries = 3,
  // body: strata.rpc.LabelsRequest; reply: strata.rpc.LabelsResponse
  kRpcMethodStorageLabelNames = 4,
  kRpcMethodStorageLabelValues = 5,
  // body: strata.rpc.LabelsRequest; reply: strata.rpc.SeriesLabelsResponse
  kRpcMethodStorageSeriesLabels = 6,
  // body: strata.rpc.TsdbStatusRequest; reply: strata.rpc.TsdbStatusResponse
  kRpcMethodStorageTsdbStatus = 7,
  // body: strata.rpc.WriteMetadataRequest; reply: empty
  kRpcMethodStorageWriteMetadata = 8,
  // body: strata.rpc.MetadataRequest; reply: strata.rpc.MetadataResponse
  kRpcMethodStorageMetadata = 9,
  // body: strata.rpc.ExemplarsRequest; reply: strata.rpc.ExemplarsResponse
  kRpcMethodStorageQueryExemplars = 10,
  // 11 is unused.
  // body: strata.rpc.SearchManyRequest; reply: strata.rpc.SearchManyResponse
  kRpcMethodStorageSearchMany = 12,
  // Health probe: body empty; reply empty. Every RpcServer
  // answers it by itself (Unavailable while shutting down), so a peer that
  // is up but frozen (SIGSTOP keeps its TCP connections open) shows as a
  // probe that times out.
  kRpcMethodPing = 13,
};

// A short name for logs and metric labels ("write", "search",
// "delete_series", "label_names", "label_values", "series_labels",
// "tsdb_status", "write_metadata", "metadata", "query_exemplars",
// "search_many", "ping", or "other").
inline const char* RpcMethodName(uint32_t method) {
  switch (method) {
    case kRpcMethodStorageWrite:
      return "write";
    case kRpcMethodStorageSearch:
      return "search";
    case kRpcMethodStorageDeleteSeries:
      return "delete_series";
    case kRpcMethodStorageLabelNames:
      return "label_names";
    case kRpcMethodStorageLabelValues:
      return "label_values";
    case kRpcMethodStorageSeriesLabels:
      return "series_labels";
    case kRpcMethodStorageTsdbStatus:
      return "tsdb_status";
    case kRpcMethodStorageSearchMany:
      return "search_many";
    case kRpcMethodStorageWriteMetadata:
      return "write_metadata";
    case kRpcMethodStorageMetadata:
      return "metadata";
    case kRpcMethodStorageQueryExemplars:
      return "query_exemplars";
    case kRpcMethodPing:
      return "ping";
    default:
      return "other";
  }
}

}  // namespace strata
