// `strata storage`: one storage node. It owns the engine (WAL + head) and
// serves it over two RPC ports, one for insert nodes and one for select
// nodes (as vmstorage does), plus its HTTP port for /metrics and health.
//
// Shutdown order: stop the HTTP and RPC servers (no new writes), close the
// engine (flush + fsync the WAL), then stop the network threads.
#include <prometheus/registry.h>

#include "cmd/strata/role_runtime.h"
#include "cmd/strata/roles.h"
#include "cmd/strata/storage_engine_flags.h"
#include "cmd/strata/storage_nodes.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/config/flags.h"
#include "common/rpc/rpc_server.h"
#include "common/rpc/storage_rpc_service.h"
#include "storage/engine/retention.h"
#include "storage/engine/snapshots.h"
#include "storage/server/in_process_storage.h"
#include "storage/server/snapshot_routes.h"

namespace strata {

void RegisterStorageEngineFlags(FlagSet& flags, StorageEngineFlags* options) {
  flags.String("storageDataPath", &options->data_path, "Directory of the storage node's data (WAL)");
  flags.String("wal.fsync", &options->wal_fsync,
               "When a write is acknowledged: 'interval' after write(2) to the OS (survives a crash of the "
               "process), 'always' after fdatasync with group commit (also survives power loss)");
  flags.Duration("wal.fsyncInterval", &options->wal_fsync_interval,
                 "How often the WAL is fsynced with -wal.fsync=interval");
  flags.Duration("storage.outOfOrderWindow", &options->out_of_order_window,
                 "Samples up to this much older than the newest sample of their series are accepted out of order; "
                 "older ones are rejected and counted (0 rejects every late sample)");
  flags.Duration("storage.flushInterval", &options->flush_interval,
                 "How often open chunks are sealed into RocksDB and the WAL truncated; also the usual chunk length "
                 "and the most WAL a restart replays");
  flags.Bytes("storage.cacheSizeBytes", &options->cache_size_bytes,
              "Size of the RocksDB block cache (data, index and filter blocks of the index and chunks)");
  flags.Bytes("storage.writeBufferBytes", &options->write_buffer_bytes,
              "Memory for RocksDB memtables, all column families together: writes are buffered here before "
              "they go to SST files");
  flags.String("retentionPeriod", &options->retention_period,
               "Data older than this is dropped, a whole UTC day at a time. A bare number counts months of 31 days; "
               "the suffixes h (hour), d (day), w (week) and y (year) are supported too (e.g. 30d, 2w, 1y). "
               "At least one day");
  flags.Bytes("storage.flushPendingBytes", &options->flush_pending_bytes,
              "A flush also starts when the sealed chunks waiting in memory for it exceed this size (0 = no "
              "limit): bounds the memory a steady ingest or a backfill holds between flushes");
  flags.Bytes("storage.flushWalBytes", &options->flush_wal_bytes,
              "A flush also starts when this much WAL was written since the last one (0 = only "
              "-storage.flushInterval): bounds the WAL on disk and the replay after a crash under heavy ingest");
  flags.Int("storage.maxExemplarsPerSeries", &options->max_exemplars_per_series,
            "Exemplars kept per series, the newest (0 = all); older ones are dropped as new ones arrive");
  // Disk-full read-only mode (storage/engine/disk_space.h)
  flags.Bytes("storage.minFreeDiskSpaceBytes", &options->min_free_disk_space_bytes,
              "Below this much free space on the -storageDataPath filesystem the node refuses writes (insert nodes "
              "send them to other nodes) and keeps serving reads, until space is freed (0 = never)");
}

absl::StatusOr<std::unique_ptr<storage::Db>> OpenStorageEngine(const StorageEngineFlags& flags,
                                                               prometheus::Registry* registry) {
  storage::DbOptions options;
  options.data_path = flags.data_path;
  if (flags.wal_fsync == "always") {
    options.fsync_mode = storage::DbOptions::kAlways;
  } else if (flags.wal_fsync == "interval") {
    options.fsync_mode = storage::DbOptions::kInterval;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("invalid value \"{}\" for flag -wal.fsync: want always or interval", flags.wal_fsync));
  }
  options.fsync_interval = flags.wal_fsync_interval;
  options.out_of_order_window_ms = flags.out_of_order_window.count();
  options.flush_interval = flags.flush_interval;
  options.block_cache_bytes = static_cast<uint64_t>(flags.cache_size_bytes);
  options.write_buffer_bytes = static_cast<uint64_t>(flags.write_buffer_bytes);
  absl::StatusOr<int64_t> retention_ms = storage::ParseRetentionPeriod(flags.retention_period);
  if (!retention_ms.ok()) return retention_ms.status();
  options.retention_ms = *retention_ms;
  options.flush_wal_bytes = static_cast<uint64_t>(flags.flush_wal_bytes);
  options.flush_pending_chunk_bytes = static_cast<uint64_t>(flags.flush_pending_bytes);
  if (flags.max_exemplars_per_series < 0) {
    return absl::InvalidArgumentError("flag -storage.maxExemplarsPerSeries must not be negative");
  }
  options.max_exemplars_per_series = static_cast<size_t>(flags.max_exemplars_per_series);
  // FlagSet::Bytes refuses negative sizes.
  options.disk_space.min_free_bytes = static_cast<uint64_t>(flags.min_free_disk_space_bytes);
  return storage::Db::Open(options, registry);
}

bool CloseStorageEngine(storage::Db& db) {
  if (absl::Status st = db.Close(); !st.ok()) {
    STRATA_LOG(Error, "cannot close storage cleanly: {}", ToStd(st.message()));
    return false;
  }
  return true;
}

void RegisterStorageRoutes(RoleRuntime& runtime, storage::Db& db) {
  HttpMux& mux = runtime.mux();
  runtime.BeforeMetricsScrape([&db] { db.UpdateMemoryGauges(); });
  // Handlers run on the WorkPool, so the blocking flush does not hold up
  // network threads.
  auto respond_with = [](HttpResponder& respond, const absl::Status& st) {
    respond(st.ok() ? HttpResponse::Text(200, "") : HttpResponse::Text(500, std::string(st.message()) + "\n"));
  };
  mux.HandleExact("/internal/force_flush", [&db, respond_with](HttpRequest&&, HttpResponder respond) {
    respond_with(respond, db.Flush());
  });
  mux.HandleExact("/internal/force_merge", [&db, respond_with](HttpRequest&&, HttpResponder respond) {
    respond_with(respond, db.ForceMerge());
  });
  if (db.store() != nullptr) {
    const std::string& data_path = db.options().data_path;
    storage::RegisterSnapshotRoutes(mux, std::make_shared<storage::SnapshotManager>(
                                             data_path, db.store(), data_path + "/wal", [&db] { return db.Flush(); }));
  }
}

namespace {

struct StorageRoleFlags {
  ProcessOptions process;
  StorageEngineFlags engine;
  std::string http_listen = ":8482";
  std::string insert_listen = ":8400";
  std::string select_listen = ":8401";
  RpcServerTlsFlags rpc_tls;
};

}  // namespace

int RunStorage(std::span<char* const> args) {
  StorageRoleFlags f;
  FlagSet flags("usage: strata storage [-flag=value ...]\n\nA storage node: WAL + Gorilla head; serves insert and "
                "select nodes over RPC.");
  RegisterStorageEngineFlags(flags, &f.engine);
  flags.String("httpListenAddr", &f.http_listen, "Address of the HTTP port (/metrics, /health, /ready)");
  flags.String("insertListenAddr", &f.insert_listen, "Address of the RPC port for insert nodes");
  flags.String("selectListenAddr", &f.select_listen, "Address of the RPC port for select nodes");
  RegisterRpcServerTlsFlags(flags, &f.rpc_tls);
  if (int rc = ParseRoleFlags(flags, &f.process, args); rc >= 0) return rc;
  if (f.rpc_tls.enabled && (f.rpc_tls.cert_file.empty() || f.rpc_tls.key_file.empty())) {
    STRATA_LOG(Error, "-rpc.tls needs -rpc.tlsCertFile and -rpc.tlsKeyFile");
    return 2;
  }

  RoleRuntime runtime(f.process);
  auto db = OpenStorageEngine(f.engine, runtime.registry().get());
  if (!db.ok()) {
    STRATA_LOG(Error, "cannot open storage at \"{}\": {}", f.engine.data_path, ToStd(db.status().message()));
    return 1;
  }
  storage::InProcessStorage local(**db);
  StorageRpcService service(local);
  RpcServerOptions rpc_options;
  rpc_options.node_name = "storage";
  rpc_options.metrics = runtime.registry().get();
  if (f.rpc_tls.enabled) {
    rpc_options.tls_cert_file = f.rpc_tls.cert_file;
    rpc_options.tls_key_file = f.rpc_tls.key_file;
  }
  rpc_options.listen_address = f.insert_listen;
  RpcServer insert_rpc(runtime.io(), runtime.work(), rpc_options);
  rpc_options.listen_address = f.select_listen;
  RpcServer select_rpc(runtime.io(), runtime.work(), rpc_options);
  service.RegisterOn(insert_rpc);
  service.RegisterOn(select_rpc);
  for (RpcServer* s : {&insert_rpc, &select_rpc}) {
    if (absl::Status st = s->Start(); !st.ok()) {
      STRATA_LOG(Error, "cannot start RPC server: {}", ToStd(st.message()));
      return 1;
    }
  }
  RegisterStorageRoutes(runtime, **db);
  if (!runtime.StartHttp(f.http_listen)) return 1;
  STRATA_LOG(Info, "storage node ready: data {}, http :{}, insert rpc :{}, select rpc :{}", f.engine.data_path,
             runtime.http_port(), insert_rpc.port(), select_rpc.port());

  WaitForTerminationSignal();
  runtime.StopHttp();
  insert_rpc.Stop();
  select_rpc.Stop();
  if (!CloseStorageEngine(**db)) return 1;
  STRATA_LOG(Info, "storage node stopped");
  return 0;
}

}  // namespace strata
