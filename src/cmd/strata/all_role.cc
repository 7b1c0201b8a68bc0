// `strata all`: the three roles in one process, for a single machine. The
// insert and select services reach the local engine through
// InProcessStorage, the same StorageApi that remote nodes implement over RPC,
// and share one HTTP port for remote_write, the query API and /metrics.
//
// Shutdown order: stop the HTTP server, destroy the services (pending writes
// answered), close the engine (flush + fsync the WAL), stop the threads.
#include <prometheus/registry.h>

#include "cmd/strata/roles.h"
#include "cmd/strata/select_flags.h"
#include "cmd/strata/storage_engine_flags.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "common/metrics/metrics_routes.h"
#include "common/net/http_server.h"
#include "common/net/io_pool.h"
#include "insert/server/insert_service.h"
#include "select/server/select_service.h"
#include "storage/server/in_process_storage.h"

namespace strata {
namespace {

struct AllRoleFlags {
  ProcessOptions process;
  StorageEngineFlags engine;
  std::string http_listen = ":8428";
  int64_t max_inflight_bytes = int64_t{256} << 20;
  int64_t max_request_bytes = int64_t{32} << 20;
  select::SelectServiceOptions select;
};

}  // namespace

int RunAll(std::span<char* const> args) {
  AllRoleFlags f;
  FlagSet flags("usage: strata all [-flag=value ...]\n\nInsert, storage and select in one process, on one HTTP "
                "port.");
  RegisterProcessFlags(flags, &f.process);
  RegisterStorageEngineFlags(flags, &f.engine);
  RegisterSelectFlags(flags, &f.select);
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (remote_write, query API, /metrics)");
  flags.Bytes("insert.maxInflightBytes", &f.max_inflight_bytes,
              "Cap on request bytes being written; beyond it requests get 429");
  flags.Bytes("maxInsertRequestSize", &f.max_request_bytes, "Largest accepted remote_write body, uncompressed");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (absl::Status st = ApplyProcessOptions(f.process); !st.ok()) {
    STRATA_LOG(Error, "{}", ToStd(st.message()));
    return 2;
  }
  BlockTerminationSignals();

  auto registry = std::make_shared<prometheus::Registry>();
  auto db = OpenStorageEngine(f.engine, registry.get());
  if (!db.ok()) {
    STRATA_LOG(Error, "cannot open storage at \"{}\": {}", f.engine.data_path, ToStd(db.status().message()));
    return 1;
  }
  storage::InProcessStorage local(**db);
  std::vector<StorageApi*> nodes = {&local};

  insert::InsertServiceOptions insert_options;
  insert_options.replication_factor = 1;
  insert_options.max_inflight_bytes = f.max_inflight_bytes;
  insert_options.max_request_bytes = static_cast<size_t>(f.max_request_bytes);
  auto insert_service = std::make_unique<insert::InsertService>(insert_options, nodes, registry.get());
  f.select.replication_factor = 1;
  auto select_service = std::make_unique<select::SelectService>(f.select, nodes, registry.get());

  IoPool io(static_cast<int>(f.process.io_threads));
  WorkPool work(static_cast<int>(f.process.work_threads));
  HttpMux mux;
  insert_service->RegisterRoutes(mux);
  select_service->RegisterRoutes(mux);
  RegisterStandardRoutes(mux, registry, [] { return true; });
  HttpServerOptions http_options;
  http_options.listen_address = f.http_listen;
  http_options.metrics = registry.get();
  http_options.max_body_bytes = static_cast<size_t>(f.max_request_bytes);
  HttpServer http(io, work, http_options, mux);
  if (absl::Status st = http.Start(); !st.ok()) {
    STRATA_LOG(Error, "cannot start HTTP server on {}: {}", f.http_listen, ToStd(st.message()));
    return 1;
  }
  STRATA_LOG(Info, "strata all ready: http :{}, data {}", http.port(), f.engine.data_path);

  WaitForTerminationSignal();
  http.Stop();
  insert_service.reset();
  select_service.reset();
  if (absl::Status st = (*db)->Close(); !st.ok()) {
    STRATA_LOG(Error, "cannot close storage cleanly: {}", ToStd(st.message()));
    return 1;
  }
  io.Stop();
  STRATA_LOG(Info, "strata all stopped");
  return 0;
}

}  // namespace strata
