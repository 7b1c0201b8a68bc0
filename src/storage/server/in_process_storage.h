// File: storage/server/in_process_storage.h
//
// StorageApi over a Db in the same process, for `strata all` and tests. It
// is the in-process twin of the network client (common/rpc/storage_api.h).
#pragma once

#include <memory>
#include <string>

#include "common/rpc/storage_api.h"

namespace strata::storage {

class Db;

// Every call runs synchronously in the caller's thread
// (Write blocks for the WAL append, and for the fsync with
// -wal.fsync=always; DeleteSeries for a full flush) and invoke the callback
// before returning. Callers that must not block (an Asio
// io_context thread) should call them from a WorkPool thread. A request
// whose deadline has already passed fails with DeadlineExceeded without
// touching the Db.
// Thread-safe (as Db is). REQUIRES: `db` outlives this object.
class InProcessStorage final : public StorageApi {
 public:
  explicit InProcessStorage(Db& db) : db_(db) {}

  void Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch, WriteCallback done) override;
  // Db::AppendSeries: the batch is not encoded.
  void WriteSeries(const RequestContext& ctx, const SeriesBatch& batch, std::span<const uint32_t> subset,
                   WriteCallback done) override;
  void Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) override;
  // Db::DeleteSeries: FailedPrecondition when the Db is not persistent.
  void DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                    DeleteCallback done) override;
  // Db::LabelNames / LabelValues / SeriesLabels, asked for one more than
  // `limit` so that the answer can say whether it was truncated.
  void LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) override;
  void SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) override;
  // Db::TsdbStatus.
  void TsdbStatus(const RequestContext& ctx, TsdbStatusRequest request, TsdbStatusCallback done) override;
  // Db::WriteMetadata / Metadata / QueryExemplars.
  void WriteMetadata(const RequestContext& ctx, TenantId tenant, std::vector<MetricMetadata> metadata,
                     WriteCallback done) override;
  void Metadata(const RequestContext& ctx, MetadataRequest request, MetadataCallback done) override;
  void QueryExemplars(const RequestContext& ctx, ExemplarsRequest request, ExemplarsCallback done) override;
  std::string Name() const override { return "local"; }

 private:
  Db& db_;
};

}  // namespace strata::storage
