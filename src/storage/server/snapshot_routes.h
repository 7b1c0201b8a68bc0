// File: storage/server/snapshot_routes.h
//
// The snapshot endpoints of a storage node and `strata all`, answering like
// VictoriaMetrics single-node (same paths, status codes and JSON bodies):
//
//   /snapshot/create              200 {"status":"ok","snapshot":"<name>"}
//   /snapshot/list                200 {"status":"ok","snapshots":[\n"<a>",\n"<b>"\n]}
//   /snapshot/delete?snapshot=X   200 {"status":"ok"}
//   /snapshot/delete_all          200 {"status":"ok"}
//   /api/v1/admin/tsdb/snapshot   200 {"status":"success","data":{"name":"<name>"}} (Prometheus API)
//
// Any failure (a bad or unknown name included) is 500
// {"status":"error","msg":"..."}, as in VictoriaMetrics. Any method is
// accepted. Handlers block (flush, checkpoint): the HTTP server runs them on
// its WorkPool.
#pragma once

#include <memory>

namespace strata {
class HttpMux;
}

namespace strata::storage {

class SnapshotManager;

// The handlers share ownership of `snapshots`.
void RegisterSnapshotRoutes(HttpMux& mux, std::shared_ptr<SnapshotManager> snapshots);

}  // namespace strata::storage
