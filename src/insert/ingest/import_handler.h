// File: insert/ingest/import_handler.h
//
// The HTTP endpoints of the text import formats (paths: ingest_paths.h),
// VictoriaMetrics-compatible:
//   JSON lines        /api/v1/import             (common/formats/json_lines.h)
//   Prometheus text   /api/v1/import/prometheus  `timestamp=<ms>` for lines without one
//   CSV               /api/v1/import/csv         `format=<col>:<type>:<context>,...` (required)
//   Influx lines      /write, /influx/write, /influx/api/v2/write
//                     `db` (label db=<db>; `bucket` when no `db`), `precision`
//   Influx stubs      /query, /influx/query (an empty result, for clients that
//                     create their database first), /ping, /influx/ping (204)
// Every import takes `extra_label=name=value` (repeatable; replaces a label
// of the same name). gzip bodies (Content-Encoding: gzip) are inflated by
// the HTTP server before they get here.
//
// Replies: 204 when every line was stored. A body with bad lines is parsed
// to the end and its good lines ARE stored; the reply is then 400 naming the
// first bad line and the counts (VictoriaMetrics answers 204 and only logs;
// InfluxDB answers 400 "partial write"); every rejected line is counted in
// strata_insert_series_rejected_total{reason}. A bad query argument is 400
// with nothing stored; 405 for a method other than POST/PUT; 429/503 as for
// remote_write. Influx endpoints answer errors as {"error":"..."} JSON.
#pragma once

#include <cstdint>
#include <functional>

#include "common/model/tenant.h"
#include "common/net/http.h"
#include "insert/ingest/ingest_metrics.h"
#include "insert/ingest/ingest_paths.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace strata::insert {

class Router;
class IngestLimiter;

struct ImportHandlerOptions {
  // Seconds sent in Retry-After with a 429.
  int retry_after_seconds = 1;
  // The time given to samples written without a timestamp (Unix ms); the
  // wall clock when empty.
  std::function<int64_t()> now_ms;
  // The ingest limits (ingest_limits.h); null: none. Must outlive the handler.
  IngestLimiter* limiter = nullptr;
};

// Thread-safe: Handle runs concurrently on the WorkPool threads; each thread
// parses with its own reused parsers.
class ImportHandler {
 public:
  // `router` and `registry` (may be null) must outlive the handler.
  ImportHandler(Router* router, ImportHandlerOptions options, prometheus::Registry* registry = nullptr);

  // Serves one request of `endpoint` (not kRemoteWrite) for `tenant`. Calls
  // `respond` exactly once.
  void Handle(TenantId tenant, IngestEndpoint endpoint, HttpRequest&& request, HttpResponder respond);

 private:
  int64_t NowMs() const;

  Router* router_;
  ImportHandlerOptions options_;
  IngestMetrics json_metrics_;
  IngestMetrics prometheus_metrics_;
  IngestMetrics csv_metrics_;
  IngestMetrics influx_metrics_;
};

}  // namespace strata::insert
