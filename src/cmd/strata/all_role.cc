// `strata all`: the three roles in one process, for a single machine. The
// insert and select services reach the local engine through
// InProcessStorage, the same StorageApi that remote nodes implement over RPC,
// and share one HTTP port for remote_write, the query API and /metrics.
//
// Shutdown order: stop the HTTP server, destroy the services (pending writes
// answered), close the engine (flush + fsync the WAL), stop the threads.
#include "cmd/strata/insert_flags.h"
#include "cmd/strata/role_runtime.h"
#include "cmd/strata/roles.h"
#include "cmd/strata/select_flags.h"
#include "cmd/strata/storage_engine_flags.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "insert/server/insert_service.h"
#include "select/server/select_service.h"
#include "storage/server/in_process_storage.h"

namespace strata {
namespace {

struct AllRoleFlags {
  ProcessOptions process;
  StorageEngineFlags engine;
  std::string http_listen = ":8428";
  insert::InsertServiceOptions insert;
  select::SelectServiceOptions select;
};

}  // namespace

int RunAll(std::span<char* const> args) {
  AllRoleFlags f;
  FlagSet flags("usage: strata all [-flag=value ...]\n\nInsert, storage and select in one process, on one HTTP "
                "port.");
  RegisterStorageEngineFlags(flags, &f.engine);
  RegisterInsertFlags(flags, &f.insert);
  RegisterSelectFlags(flags, &f.select);
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (remote_write, query API, /metrics)");
  if (int rc = ParseRoleFlags(flags, &f.process, args); rc >= 0) return rc;
  f.select.flags = flags.Values();

  RoleRuntime runtime(f.process);
  auto db = OpenStorageEngine(f.engine, runtime.registry().get());
  if (!db.ok()) {
    STRATA_LOG(Error, "cannot open storage at \"{}\": {}", f.engine.data_path, ToStd(db.status().message()));
    return 1;
  }
  storage::InProcessStorage local(**db);
  std::vector<StorageApi*> nodes = {&local};
  f.insert.replication_factor = 1;
  auto insert_service = std::make_unique<insert::InsertService>(f.insert, nodes, runtime.registry().get());
  f.select.replication_factor = 1;
  auto select_service = std::make_unique<select::SelectService>(f.select, nodes, runtime.registry().get());
  insert_service->RegisterRoutes(runtime.mux());
  select_service->RegisterRoutes(runtime.mux());
  RegisterStorageRoutes(runtime, **db);
  if (!runtime.StartHttp(f.http_listen, f.insert.max_request_bytes)) return 1;
  STRATA_LOG(Info, "strata all ready: http :{}, data {}", runtime.http_port(), f.engine.data_path);

  WaitForTerminationSignal();
  runtime.StopHttp();
  insert_service.reset();
  select_service.reset();
  if (!CloseStorageEngine(**db)) return 1;
  STRATA_LOG(Info, "strata all stopped");
  return 0;
}

}  // namespace strata
