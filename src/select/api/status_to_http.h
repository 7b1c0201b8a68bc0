// File: select/api/status_to_http.h
//
// THE mapping from absl::Status to an HTTP status and a Prometheus API
// errorType (Prometheus web/api/v1/api.go, respondError). Every select
// handler answers errors through it, so the mapping lives in one place.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace strata::select {

struct HttpError {
  int http_status = 500;
  std::string_view error_type = "internal";  // static storage
};

// InvalidArgument -> 400 bad_data; ResourceExhausted, FailedPrecondition and
// Unimplemented -> 422 execution (the query is valid but cannot run);
// DeadlineExceeded -> 503 timeout; Cancelled -> 499 canceled;
// Unavailable -> 503 unavailable; NotFound -> 404 not_found;
// anything else -> 500 internal. REQUIRES: !status.ok().
HttpError StatusToHttp(const absl::Status& status);

}  // namespace strata::select
