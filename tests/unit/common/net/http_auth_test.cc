#include "common/net/http_auth.h"

#include <catch2/catch.hpp>

#include "common/net/http_server.h"
#include "testing/http_client.h"

namespace strata {
namespace {

HttpRequest Request(std::string path, std::string authorization = {}, std::string query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  if (!authorization.empty()) r.headers.emplace_back("authorization", std::move(authorization));
  return r;
}

// "Basic " + base64(user:pass), computed independently of Base64Decode.
std::string BasicHeader(std::string_view user_pass) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < user_pass.size(); i += 3) {
    uint32_t v = (uint8_t(user_pass[i]) << 16) | (uint8_t(user_pass[i + 1]) << 8) | uint8_t(user_pass[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (user_pass.size() - i == 1) {
    uint32_t v = uint8_t(user_pass[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (user_pass.size() - i == 2) {
    uint32_t v = (uint8_t(user_pass[i]) << 16) | (uint8_t(user_pass[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return "Basic " + out;
}

std::string WwwAuthenticate(const HttpResponse& r) {
  std::string out;
  for (const auto& [name, value] : r.headers) {
    if (name == "WWW-Authenticate") out += value + ";";
  }
  return out;
}

TEST_CASE("constant-time comparison matches only equal strings", "[common][net][auth][unit]") {
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret1"));
  CHECK_FALSE(ConstantTimeEquals("", "x"));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("endpoints fall into VictoriaMetrics's auth groups", "[common][net][auth][unit]") {
  CHECK(ClassifyEndpoint("/health") == HttpEndpointGroup::kOpen);
  CHECK(ClassifyEndpoint("/ready") == HttpEndpointGroup::kOpen);
  CHECK(ClassifyEndpoint("/api/v1/query") == HttpEndpointGroup::kGeneral);
  CHECK(ClassifyEndpoint("/insert/1:2/prometheus/api/v1/write") == HttpEndpointGroup::kGeneral);
  CHECK(ClassifyEndpoint("/delete/1/prometheus/api/v1/admin/tsdb/delete_series") == HttpEndpointGroup::kDelete);
  CHECK(ClassifyEndpoint("/api/v1/admin/tsdb/delete_series") == HttpEndpointGroup::kDelete);
  CHECK(ClassifyEndpoint("/internal/force_flush") == HttpEndpointGroup::kForceFlush);
  CHECK(ClassifyEndpoint("/internal/force_merge") == HttpEndpointGroup::kForceMerge);
  CHECK(ClassifyEndpoint("/snapshot/create") == HttpEndpointGroup::kSnapshot);
  CHECK(ClassifyEndpoint("/api/v1/admin/tsdb/snapshot") == HttpEndpointGroup::kSnapshot);
  CHECK(ClassifyEndpoint("/metrics") == HttpEndpointGroup::kMetrics);
  CHECK(ClassifyEndpoint("/select/0/prometheus/api/v1/status/flags") == HttpEndpointGroup::kFlags);
}

TEST_CASE("without credentials configured every request passes", "[common][net][auth][unit]") {
  HttpAuthenticator auth({});
  CHECK_FALSE(auth.enabled());
  CHECK_FALSE(auth.Check(Request("/api/v1/query")).has_value());
  CHECK_FALSE(auth.Check(Request("/internal/force_flush")).has_value());
}

TEST_CASE("basic auth: missing and wrong credentials get 401 with a Basic challenge, right ones pass",
          "[common][net][auth][unit]") {
  HttpAuthOptions options;
  options.username = "alice";
  options.password = "pa:ss";
  HttpAuthenticator auth(options);
  REQUIRE(auth.enabled());

  auto missing = auth.Check(Request("/api/v1/query"));
  REQUIRE(missing.has_value());
  CHECK(missing->status == 401);
  CHECK(WwwAuthenticate(*missing) == "Basic realm=\"Strata\";");

  auto wrong = auth.Check(Request("/api/v1/query", BasicHeader("alice:wrong")));
  REQUIRE(wrong.has_value());
  CHECK(wrong->status == 401);
  CHECK(auth.Check(Request("/api/v1/query", BasicHeader("bob:pa:ss"))).has_value());
  CHECK(auth.Check(Request("/api/v1/query", "Basic !!!notbase64")).has_value());
  CHECK(auth.Check(Request("/api/v1/query", "Bearer pa:ss")).has_value());

  // The password may contain ':'; only the first one separates the user.
  CHECK_FALSE(auth.Check(Request("/api/v1/query", BasicHeader("alice:pa:ss"))).has_value());
  CHECK_FALSE(auth.Check(Request("/api/v1/query", "basic " + BasicHeader("alice:pa:ss").substr(6))).has_value());
  // Probes stay open; admin endpoints without their own key need basic auth too.
  CHECK_FALSE(auth.Check(Request("/health")).has_value());
  CHECK(auth.Check(Request("/internal/force_flush")).has_value());
  CHECK_FALSE(auth.Check(Request("/internal/force_flush", BasicHeader("alice:pa:ss"))).has_value());
  CHECK(auth.Check(Request("/metrics")).has_value());
}

TEST_CASE("bearer tokens pass alone or next to basic auth", "[common][net][auth][unit]") {
  HttpAuthOptions options;
  options.bearer_token = "tok-1";
  HttpAuthenticator bearer_only(options);
  auto missing = bearer_only.Check(Request("/api/v1/series"));
  REQUIRE(missing.has_value());
  CHECK(missing->status == 401);
  CHECK(WwwAuthenticate(*missing) == "Bearer realm=\"Strata\";");
  CHECK(bearer_only.Check(Request("/api/v1/series", "Bearer tok-2")).has_value());
  CHECK_FALSE(bearer_only.Check(Request("/api/v1/series", "Bearer tok-1")).has_value());

  options.username = "u";
  options.password = "p";
  HttpAuthenticator both(options);
  CHECK_FALSE(both.Check(Request("/api/v1/series", "Bearer tok-1")).has_value());
  CHECK_FALSE(both.Check(Request("/api/v1/series", BasicHeader("u:p"))).has_value());
  auto neither = both.Check(Request("/api/v1/series", BasicHeader("u:x")));
  REQUIRE(neither.has_value());
  CHECK(WwwAuthenticate(*neither) == "Basic realm=\"Strata\", Bearer realm=\"Strata\";");
}

TEST_CASE("authKey guards admin endpoints with VictoriaMetrics's messages; its own key wins over -authKey",
          "[common][net][auth][unit]") {
  HttpAuthOptions options;
  options.username = "u";
  options.password = "p";
  options.auth_key = "admin-all";
  options.delete_auth_key = "del";
  HttpAuthenticator auth(options);

  auto missing = auth.Check(Request("/api/v1/admin/tsdb/delete_series"));
  REQUIRE(missing.has_value());
  CHECK(missing->status == 401);
  CHECK(missing->body == "Expected to receive non-empty authKey when -deleteAuthKey is set\n");
  auto wrong = auth.Check(Request("/api/v1/admin/tsdb/delete_series", {}, "authKey=admin-all"));
  REQUIRE(wrong.has_value());
  CHECK(wrong->body == "The provided authKey doesn't match -deleteAuthKey\n");
  CHECK_FALSE(auth.Check(Request("/api/v1/admin/tsdb/delete_series", {}, "match[]=up&authKey=del")).has_value());
  // Basic auth does not open an endpoint that has a key (VM's isProtectedByAuthFlag).
  CHECK(auth.Check(Request("/api/v1/admin/tsdb/delete_series", BasicHeader("u:p"))).has_value());

  // The catch-all key covers the other admin groups, also as a bearer token
  // or a form field of a POST body.
  auto flush = auth.Check(Request("/internal/force_flush", {}, "authKey=del"));
  REQUIRE(flush.has_value());
  CHECK(flush->body == "The provided authKey doesn't match -authKey\n");
  CHECK_FALSE(auth.Check(Request("/internal/force_flush", {}, "authKey=admin-all")).has_value());
  CHECK_FALSE(auth.Check(Request("/snapshot/create", "Bearer admin-all")).has_value());
  HttpRequest post = Request("/internal/force_merge");
  post.method = "POST";
  post.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  post.body = "authKey=admin-all";
  CHECK_FALSE(auth.Check(post).has_value());

  // -authKey does not reach /metrics: scrapers keep using basic auth.
  CHECK(auth.Check(Request("/metrics", {}, "authKey=admin-all")).has_value());
  CHECK_FALSE(auth.Check(Request("/metrics", BasicHeader("u:p"))).has_value());
}

TEST_CASE("the HTTP server refuses unauthenticated requests with 401 before any handler runs",
          "[common][net][auth][unit]") {
  IoPool io{1};
  WorkPool work{1};
  HttpMux mux;
  bool called = false;
  mux.HandleExact("/api/v1/query", [&called](HttpRequest&&, HttpResponder respond) {
    called = true;
    respond(HttpResponse::Text(200, "ok"));
  });
  mux.HandleExact("/health", [](HttpRequest&&, HttpResponder respond) { respond(HttpResponse::Text(200, "OK")); });
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  HttpAuthOptions auth;
  auth.username = "alice";
  auth.password = "secret";
  options.auth = std::make_shared<HttpAuthenticator>(auth);
  HttpServer server(io, work, options, mux);
  REQUIRE(server.Start().ok());

  auto refused = testing::HttpClient::Get("127.0.0.1", server.port(), "/api/v1/query?query=up");
  REQUIRE(refused.ok());
  CHECK(refused->status == 401);
  CHECK(refused->Header("www-authenticate") == "Basic realm=\"Strata\"");
  CHECK_FALSE(called);
  auto unknown = testing::HttpClient::Get("127.0.0.1", server.port(), "/no/such/path");
  REQUIRE(unknown.ok());
  CHECK(unknown->status == 401);

  auto health = testing::HttpClient::Get("127.0.0.1", server.port(), "/health");
  REQUIRE(health.ok());
  CHECK(health->status == 200);

  auto ok = testing::HttpClient::Get("127.0.0.1", server.port(), "/api/v1/query?query=up",
                                     {{"Authorization", BasicHeader("alice:secret")}});
  REQUIRE(ok.ok());
  CHECK(ok->status == 200);
  CHECK(ok->body == "ok");
  CHECK(called);
  server.Stop();
}

TEST_CASE("an HTTPS server whose certificate or key cannot be loaded does not start", "[common][net][tls][unit]") {
  IoPool io{1};
  WorkPool work{1};
  HttpMux mux;
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/strata-cert.pem";
  options.tls_key_file = "/nonexistent/strata-key.pem";
  HttpServer server(io, work, options, mux);
  absl::Status st = server.Start();
  CHECK(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()).find("/nonexistent/strata-cert.pem") != std::string::npos);
  CHECK(server.port() == 0);

  options.tls_key_file.clear();
  HttpServer half(io, work, options, mux);
  CHECK(absl::IsInvalidArgument(half.Start()));
}

}  // namespace
}  // namespace strata
