// The flags that secure a role's HTTP port: basic auth and bearer tokens on
// every endpoint, authKeys for admin endpoints (VictoriaMetrics's names), and
// TLS. docs/security.md explains how they combine.
#include "cmd/strata/roles.h"
#include "cmd/strata/storage_nodes.h"
#include "common/config/flags.h"

namespace strata {

void RegisterHttpSecurityFlags(FlagSet& flags, ProcessOptions* options) {
  HttpAuthOptions& a = options->http_auth;
  flags.String("httpAuth.username", &a.username,
               "Username for HTTP basic auth on every endpoint but /health and /ready; empty disables basic auth");
  flags.Secret("httpAuth.password", &a.password,
               "Password for HTTP basic auth (see -httpAuth.username); file:///path reads it from a file");
  flags.Secret("httpAuth.bearerToken", &a.bearer_token,
               "Token accepted as `Authorization: Bearer <token>` on every endpoint but /health and /ready, "
               "alone or next to basic auth; file:///path reads it from a file");
  flags.Secret("authKey", &a.auth_key,
               "authKey (query arg, form field or bearer token) for every admin endpoint whose own key is unset: "
               "delete_series, /internal/force_flush, /internal/force_merge, /snapshot/*");
  flags.Secret("deleteAuthKey", &a.delete_auth_key, "authKey for delete_series");
  flags.Secret("forceFlushAuthKey", &a.force_flush_auth_key, "authKey for /internal/force_flush");
  flags.Secret("forceMergeAuthKey", &a.force_merge_auth_key, "authKey for /internal/force_merge");
  flags.Secret("snapshotAuthKey", &a.snapshot_auth_key, "authKey for /snapshot/* and /api/v1/admin/tsdb/snapshot");
  flags.Secret("metricsAuthKey", &a.metrics_auth_key, "authKey for /metrics (not covered by -authKey)");
  flags.Secret("flagsAuthKey", &a.flags_auth_key, "authKey for /api/v1/status/flags (not covered by -authKey)");
  HttpTlsFlags& t = options->http_tls;
  flags.Bool("tls", &t.enabled, "Serve HTTPS instead of HTTP; needs -tlsCertFile and -tlsKeyFile");
  flags.String("tlsCertFile", &t.cert_file, "PEM certificate chain of the HTTPS port (used with -tls)");
  flags.String("tlsKeyFile", &t.key_file, "PEM private key of the HTTPS port (used with -tls)");
  flags.String("tlsMinVersion", &t.min_version, "Oldest TLS version the HTTPS port accepts: TLS12 or TLS13");
}

void RegisterRpcClientTlsFlags(FlagSet& flags, RpcClientTlsFlags* tls) {
  flags.Bool("rpc.tls", &tls->enabled, "Speak TLS to the storage nodes' RPC ports (they need -rpc.tls too)");
  flags.String("rpc.tlsCAFile", &tls->ca_file,
               "PEM CA certificates that verify the storage nodes' RPC certificates; empty: the system's CAs");
  flags.Bool("rpc.tlsInsecureSkipVerify", &tls->insecure_skip_verify,
             "Accept any certificate from the storage nodes (encryption without authentication; tests only)");
}

void RegisterRpcServerTlsFlags(FlagSet& flags, RpcServerTlsFlags* tls) {
  flags.Bool("rpc.tls", &tls->enabled, "Serve the insert and select RPC ports over TLS; needs -rpc.tlsCertFile and "
             "-rpc.tlsKeyFile");
  flags.String("rpc.tlsCertFile", &tls->cert_file, "PEM certificate chain of the RPC ports (used with -rpc.tls)");
  flags.String("rpc.tlsKeyFile", &tls->key_file, "PEM private key of the RPC ports (used with -rpc.tls)");
}

}  // namespace strata
