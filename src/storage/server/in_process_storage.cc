#include "storage/server/in_process_storage.h"

#include "storage/engine/db.h"

namespace strata::storage {
namespace {

bool Expired(const RequestContext& ctx) { return std::chrono::steady_clock::now() > ctx.deadline; }

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

}  // namespace strata::storage
