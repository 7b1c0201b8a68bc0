#include "storage/server/snapshot_routes.h"

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/encoding/json_string.h"
#include "common/net/http.h"
#include "storage/engine/snapshots.h"

namespace strata::storage {
namespace {

HttpResponse Error(const absl::Status& st) {
  STRATA_LOG(Error, "{}", ToStd(st.message()));
  return HttpResponse::Json(500, fmt::format(R"({{"status":"error","msg":{}}})", JsonString(ToStd(st.message()))));
}

HttpResponse Ok() { return HttpResponse::Json(200, R"({"status":"ok"})"); }

}  // namespace

void RegisterSnapshotRoutes(HttpMux& mux, std::shared_ptr<SnapshotManager> snapshots) {
  mux.HandleExact("/snapshot/create", [snapshots](HttpRequest&&, HttpResponder respond) {
    auto name = snapshots->Create();
    if (!name.ok()) return respond(Error(name.status()));
    respond(HttpResponse::Json(200, fmt::format(R"({{"status":"ok","snapshot":{}}})", JsonString(*name))));
  });
  mux.HandleExact("/api/v1/admin/tsdb/snapshot", [snapshots](HttpRequest&&, HttpResponder respond) {
    auto name = snapshots->Create();
    if (!name.ok()) return respond(Error(name.status()));
    respond(HttpResponse::Json(200, fmt::format(R"({{"status":"success","data":{{"name":{}}}}})", JsonString(*name))));
  });
  mux.HandleExact("/snapshot/list", [snapshots](HttpRequest&&, HttpResponder respond) {
    auto names = snapshots->List();
    if (!names.ok()) return respond(Error(names.status()));
    std::string body = R"({"status":"ok","snapshots":[)";
    for (size_t i = 0; i < names->size(); ++i) {
      body += '\n';
      body += JsonString((*names)[i]);
      body += i + 1 < names->size() ? "," : "\n";
    }
    body += "]}";
    respond(HttpResponse::Json(200, std::move(body)));
  });
  mux.HandleExact("/snapshot/delete", [snapshots](HttpRequest&& request, HttpResponder respond) {
    auto params = FormParams::Parse(request);
    if (!params.ok()) return respond(Error(params.status()));
    const std::string name(params->Get("snapshot"));
    absl::Status st = snapshots->Delete(name);
    if (!st.ok()) return respond(Error(st));
    respond(Ok());
  });
  mux.HandleExact("/snapshot/delete_all", [snapshots](HttpRequest&&, HttpResponder respond) {
    absl::Status st = snapshots->DeleteAll();
    if (!st.ok()) return respond(Error(st));
    respond(Ok());
  });
}

}  // namespace strata::storage
