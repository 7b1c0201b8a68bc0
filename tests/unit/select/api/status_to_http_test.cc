#include "select/api/status_to_http.h"

#include <catch2/catch.hpp>

namespace strata::select {
namespace {

TEST_CASE("status codes map to Prometheus error types and HTTP codes", "[select][api][status]") {
  struct Case {
    absl::Status status;
    int http;
    std::string_view type;
  };
  const Case cases[] = {
      {absl::InvalidArgumentError("x"), 400, "bad_data"},
      {absl::ResourceExhaustedError("x"), 422, "execution"},
      {absl::FailedPreconditionError("x"), 422, "execution"},
      {absl::UnimplementedError("x"), 422, "execution"},
      {absl::DeadlineExceededError("x"), 503, "timeout"},
      {absl::CancelledError("x"), 499, "canceled"},
      {absl::UnavailableError("x"), 503, "unavailable"},
      {absl::NotFoundError("x"), 404, "not_found"},
      {absl::InternalError("x"), 500, "internal"},
      {absl::DataLossError("x"), 500, "internal"},
  };
  for (const Case& c : cases) {
    INFO(c.status.ToString());
    const HttpError e = StatusToHttp(c.status);
    CHECK(e.http_status == c.http);
    CHECK(e.error_type == c.type);
  }
}

}  // namespace
}  // namespace strata::select
