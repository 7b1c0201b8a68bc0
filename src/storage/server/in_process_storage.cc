#include "storage/server/in_process_storage.h"

#include "storage/engine/db.h"

namespace strata::storage {
namespace {

bool Expired(const RequestContext& ctx) { return std::chrono::steady_clock::now() > ctx.deadline; }

// The Db's limit, one past the request's so a longer answer shows truncation.
size_t DbLimit(const LabelsRequest& request) {
  return request.limit == 0 ? 0 : static_cast<size_t>(request.limit) + 1;
}

// Cuts `items` to the request's limit, saying whether anything was cut.
template <typename T>
bool CutToLimit(const LabelsRequest& request, std::vector<T>* items) {
  if (request.limit == 0 || items->size() <= request.limit) return false;
  items->resize(static_cast<size_t>(request.limit));
  return true;
}

absl::StatusOr<LabelsResult> ToLabelsResult(const LabelsRequest& request,
                                            absl::StatusOr<std::vector<std::string>> values) {
  if (!values.ok()) return values.status();
  LabelsResult result;
  result.values = *std::move(values);
  result.truncated = CutToLimit(request, &result.values);
  return result;
}

}  // namespace

void InProcessStorage::Write(const RequestContext& ctx, std::shared_ptr<const std::string> batch,
                             WriteCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot write to local storage: deadline exceeded before the write"));
    return;
  }
  if (batch == nullptr) {
    done(absl::InvalidArgumentError("cannot write to local storage: no batch"));
    return;
  }
  done(db_.Append(*batch));
}

void InProcessStorage::WriteSeries(const RequestContext& ctx, const SeriesBatch& batch,
                                   std::span<const uint32_t> subset, WriteCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot write to local storage: deadline exceeded before the write"));
    return;
  }
  done(db_.AppendSeries(batch, subset));
}

void InProcessStorage::Search(const RequestContext& ctx, SearchRequest request, SearchCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot search local storage: deadline exceeded before the search"));
    return;
  }
  done(db_.Search(request));
}

void InProcessStorage::DeleteSeries(const RequestContext& ctx, TenantId tenant, std::vector<Matcher> matchers,
                                    DeleteCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot delete series in local storage: deadline exceeded before the delete"));
    return;
  }
  done(db_.DeleteSeries(tenant, matchers));
}

void InProcessStorage::LabelNames(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read label names from local storage: deadline exceeded"));
    return;
  }
  done(ToLabelsResult(request, db_.LabelNames(request.tenant, request.matchers, request.min_time_ms,
                                              request.max_time_ms, DbLimit(request))));
}

void InProcessStorage::LabelValues(const RequestContext& ctx, LabelsRequest request, LabelsCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read label values from local storage: deadline exceeded"));
    return;
  }
  done(ToLabelsResult(request, db_.LabelValues(request.tenant, request.label_name, request.matchers,
                                               request.min_time_ms, request.max_time_ms, DbLimit(request))));
}

void InProcessStorage::SeriesLabels(const RequestContext& ctx, LabelsRequest request, SeriesLabelsCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read series from local storage: deadline exceeded"));
    return;
  }
  auto series =
      db_.SeriesLabels(request.tenant, request.matchers, request.min_time_ms, request.max_time_ms, DbLimit(request));
  if (!series.ok()) {
    done(series.status());
    return;
  }
  SeriesLabelsResult result;
  result.series = *std::move(series);
  result.truncated = CutToLimit(request, &result.series);
  done(std::move(result));
}

void InProcessStorage::TsdbStatus(const RequestContext& ctx, TsdbStatusRequest request, TsdbStatusCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read tsdb status from local storage: deadline exceeded"));
    return;
  }
  done(db_.TsdbStatus(request));
}

void InProcessStorage::WriteMetadata(const RequestContext& ctx, TenantId tenant, std::vector<MetricMetadata> metadata,
                                     WriteCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot write metric metadata to local storage: deadline exceeded"));
    return;
  }
  done(db_.WriteMetadata(tenant, metadata));
}

void InProcessStorage::Metadata(const RequestContext& ctx, MetadataRequest request, MetadataCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read metric metadata from local storage: deadline exceeded"));
    return;
  }
  done(db_.Metadata(request));
}

void InProcessStorage::QueryExemplars(const RequestContext& ctx, ExemplarsRequest request, ExemplarsCallback done) {
  if (Expired(ctx)) {
    done(absl::DeadlineExceededError("cannot read exemplars from local storage: deadline exceeded"));
    return;
  }
  done(db_.QueryExemplars(request));
}

}  // namespace strata::storage
