#include "common/net/http_auth.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "common/base/ascii.h"

namespace strata {
namespace {

// The credentials of an `Authorization: <scheme> <credentials>` header when
// its scheme is `scheme` (case-insensitive, RFC 9110 §11.1), else nullopt.
std::optional<std::string_view> AuthorizationParam(const HttpRequest& request, std::string_view scheme) {
  std::string_view value = request.Header("authorization");
  if (!StartsWithIgnoreCase(value, scheme) || value.size() <= scheme.size() || value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  value.remove_prefix(scheme.size() + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

HttpResponse Unauthorized(std::string body) { return HttpResponse::Text(401, std::move(body)); }

}  // namespace

HttpEndpointGroup ClassifyEndpoint(std::string_view path) {
  if (path == "/health" || path == "/ready" || path == "/ping" || path == "/-/healthy" || path == "/-/ready") {
    return HttpEndpointGroup::kOpen;
  }
  if (path == "/metrics") return HttpEndpointGroup::kMetrics;
  if (path == "/flags" || path.ends_with("/api/v1/status/flags")) return HttpEndpointGroup::kFlags;
  if (path.ends_with("/delete_series")) return HttpEndpointGroup::kDelete;
  if (path.ends_with("/force_flush")) return HttpEndpointGroup::kForceFlush;
  if (path.ends_with("/force_merge")) return HttpEndpointGroup::kForceMerge;
  if (path.starts_with("/snapshot/") || path.ends_with("/admin/tsdb/snapshot")) return HttpEndpointGroup::kSnapshot;
  return HttpEndpointGroup::kGeneral;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer input is visited whatever the contents; the
  // length difference is folded into the result instead of returning early.
  size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

HttpAuthenticator::HttpAuthenticator(HttpAuthOptions options) : options_(std::move(options)) {}

bool HttpAuthenticator::enabled() const {
  const HttpAuthOptions& o = options_;
  return !o.username.empty() || !o.bearer_token.empty() || !o.auth_key.empty() || !o.delete_auth_key.empty() ||
         !o.force_flush_auth_key.empty() || !o.force_merge_auth_key.empty() || !o.snapshot_auth_key.empty() ||
         !o.metrics_auth_key.empty() || !o.flags_auth_key.empty();
}

std::optional<HttpResponse> HttpAuthenticator::Check(const HttpRequest& request) const {
  const HttpAuthOptions& o = options_;
  auto admin_key = [&](const std::string& own, std::string_view own_flag) {
    if (!own.empty()) return CheckKey(request, own, own_flag);
    if (!o.auth_key.empty()) return CheckKey(request, o.auth_key, "authKey");
    return CheckGeneral(request);
  };
  switch (ClassifyEndpoint(request.path)) {
    case HttpEndpointGroup::kOpen:
      return std::nullopt;
    case HttpEndpointGroup::kGeneral:
      return CheckGeneral(request);
    case HttpEndpointGroup::kDelete:
      return admin_key(o.delete_auth_key, "deleteAuthKey");
    case HttpEndpointGroup::kForceFlush:
      return admin_key(o.force_flush_auth_key, "forceFlushAuthKey");
    case HttpEndpointGroup::kForceMerge:
      return admin_key(o.force_merge_auth_key, "forceMergeAuthKey");
    case HttpEndpointGroup::kSnapshot:
      return admin_key(o.snapshot_auth_key, "snapshotAuthKey");
    case HttpEndpointGroup::kMetrics:
      // Not covered by -authKey: scrapers of /metrics are not admins.
      return o.metrics_auth_key.empty() ? CheckGeneral(request)
                                        : CheckKey(request, o.metrics_auth_key, "metricsAuthKey");
    case HttpEndpointGroup::kFlags:
      return o.flags_auth_key.empty() ? CheckGeneral(request) : CheckKey(request, o.flags_auth_key, "flagsAuthKey");
  }
  return CheckGeneral(request);
}

std::optional<HttpResponse> HttpAuthenticator::CheckGeneral(const HttpRequest& request) const {
  const bool basic = !options_.username.empty();
  const bool bearer = !options_.bearer_token.empty();
  if (!basic && !bearer) return std::nullopt;
  if (basic) {
    if (std::optional<std::string_view> encoded = AuthorizationParam(request, "Basic")) {
      std::string decoded;
      size_t colon = absl::Base64Unescape(ToAbsl(*encoded), &decoded) ? decoded.find(':') : std::string::npos;
      if (colon != std::string::npos) {
        std::string_view user = std::string_view(decoded).substr(0, colon);
        std::string_view pass = std::string_view(decoded).substr(colon + 1);
        // Both comparisons always run, so timing does not tell which one failed.
        bool user_ok = ConstantTimeEquals(user, options_.username);
        bool pass_ok = ConstantTimeEquals(pass, options_.password);
        if (user_ok && pass_ok) return std::nullopt;
      }
    }
  }
  if (bearer) {
    if (std::optional<std::string_view> token = AuthorizationParam(request, "Bearer")) {
      if (ConstantTimeEquals(*token, options_.bearer_token)) return std::nullopt;
    }
  }
  HttpResponse response = Unauthorized(
      basic && bearer ? "Unauthorized: send HTTP basic auth (-httpAuth.username) or a bearer token (-httpAuth.bearerToken)\n"
      : basic         ? "Unauthorized: send HTTP basic auth (-httpAuth.username, -httpAuth.password)\n"
                      : "Unauthorized: send a bearer token (-httpAuth.bearerToken)\n");
  // One header listing both challenges (RFC 9110 §11.6.1): repeated
  // WWW-Authenticate fields would be merged by the server anyway.
  response.headers.emplace_back("WWW-Authenticate", basic && bearer ? "Basic realm=\"Strata\", Bearer realm=\"Strata\""
                                                    : basic         ? "Basic realm=\"Strata\""
                                                                    : "Bearer realm=\"Strata\"");
  return response;
}

std::optional<HttpResponse> HttpAuthenticator::CheckKey(const HttpRequest& request, const std::string& key,
                                                        std::string_view flag_name) const {
  // VictoriaMetrics reads `authKey` from the query string or a form body; a
  // bearer token equal to the key is accepted too, so the key need not sit in
  // URLs (and in proxies' access logs).
  std::string given;
  if (absl::StatusOr<FormParams> params = FormParams::Parse(request); params.ok()) {
    given = std::string(params->Get("authKey"));
  }
  if (given.empty()) {
    if (std::optional<std::string_view> token = AuthorizationParam(request, "Bearer")) given = std::string(*token);
  }
  if (given.empty()) {
    return Unauthorized(fmt::format("Expected to receive non-empty authKey when -{} is set\n", flag_name));
  }
  if (!ConstantTimeEquals(given, key)) {
    return Unauthorized(fmt::format("The provided authKey doesn't match -{}\n", flag_name));
  }
  return std::nullopt;
}

}  // namespace strata
