// File: select/fanout/fanout_delete.h
//
// delete_series across the cluster: every storage node gets every selector
// in parallel, because with replication any node may hold a copy of a
// matching series (VictoriaMetrics cluster's vmselect does the same for
// /delete/<accountID>/prometheus/api/v1/admin/tsdb/delete_series). A delete
// that reaches only some nodes would leave copies that come back in queries,
// so any failed node fails the whole call, naming the nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/matcher.h"
#include "common/model/tenant.h"
#include "common/rpc/storage_api.h"

namespace strata::select {

// Calls StorageApi::DeleteSeries(tenant, selector) on every node for every
// selector (each a conjunction of matchers; the selectors are a union), all
// at once, and waits for every answer or `deadline` (plus a short grace for
// the callbacks to report it). Returns the sum of the nodes' counts (a
// series with R replicas counts R times).
//
// Errors: Unavailable without nodes. When any call failed: DeadlineExceeded
// if every failure was a deadline, Unavailable if every failure was
// Unavailable or a deadline (retrying later may succeed), Internal
// otherwise; the message names each failed node and its error and says that
// the delete may have happened on some nodes only. Deleting again is safe.
//
// Thread-safe; blocks the caller. The nodes must outlive the call; answers
// that arrive after it returned are dropped.
absl::StatusOr<uint64_t> DeleteSeriesOnAllNodes(const std::vector<StorageApi*>& nodes, const TenantId& tenant,
                                                const std::vector<std::vector<Matcher>>& selectors,
                                                std::chrono::steady_clock::time_point deadline);

}  // namespace strata::select
