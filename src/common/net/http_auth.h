// File: common/net/http_auth.h
//
// Who may call which HTTP endpoint, in VictoriaMetrics's model
// (lib/httpserver): basic auth (-httpAuth.username/-httpAuth.password) or a
// bearer token (-httpAuth.bearerToken, Strata's own) guard every endpoint
// except the liveness probes, and admin endpoints may instead require an
// `authKey` (-deleteAuthKey, -forceFlushAuthKey, -forceMergeAuthKey,
// -snapshotAuthKey, -metricsAuthKey, -flagsAuthKey, or the catch-all -authKey
// for the four admin groups). An admin endpoint whose key is unset falls back
// to the basic auth / bearer check, as VM's CheckAuthFlag does.
//
// Beast-free: the HTTP server calls Check() before dispatching a request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/net/http.h"

namespace strata {

struct HttpAuthOptions {
  std::string username;      // -httpAuth.username; empty disables basic auth
  std::string password;      // -httpAuth.password
  std::string bearer_token;  // -httpAuth.bearerToken; empty disables bearer auth
  std::string auth_key;      // -authKey: the admin groups whose own key is unset
  std::string delete_auth_key;       // -deleteAuthKey
  std::string force_flush_auth_key;  // -forceFlushAuthKey
  std::string force_merge_auth_key;  // -forceMergeAuthKey
  std::string snapshot_auth_key;     // -snapshotAuthKey
  std::string metrics_auth_key;      // -metricsAuthKey
  std::string flags_auth_key;        // -flagsAuthKey
};

// The groups endpoints are guarded by.
enum class HttpEndpointGroup {
  kOpen,        // /health, /ready, /ping, /-/healthy, /-/ready: never guarded (load balancers)
  kGeneral,     // everything else: basic auth or bearer token
  kDelete,      // .../delete_series
  kForceFlush,  // .../force_flush
  kForceMerge,  // .../force_merge
  kSnapshot,    // /snapshot/..., .../admin/tsdb/snapshot
  kMetrics,     // /metrics
  kFlags,       // .../api/v1/status/flags, /flags
};

HttpEndpointGroup ClassifyEndpoint(std::string_view path);

// Compares in time that depends only on the lengths, so that a caller cannot
// find a secret byte by byte from response times.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Immutable after construction; thread-safe.
class HttpAuthenticator {
 public:
  explicit HttpAuthenticator(HttpAuthOptions options);

  // True when any credential is configured (otherwise Check always allows).
  bool enabled() const;

  // nullopt when `request` may proceed; otherwise the 401 answer to send.
  std::optional<HttpResponse> Check(const HttpRequest& request) const;

 private:
  std::optional<HttpResponse> CheckGeneral(const HttpRequest& request) const;
  std::optional<HttpResponse> CheckKey(const HttpRequest& request, const std::string& key,
                                       std::string_view flag_name) const;

  HttpAuthOptions options_;
};

}  // namespace strata
