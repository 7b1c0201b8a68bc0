#include "select/api/status_to_http.h"

namespace strata::select {

HttpError StatusToHttp(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return {400, "bad_data"};
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented: return {422, "execution"};
    case absl::StatusCode::kDeadlineExceeded: return {503, "timeout"};
    // 499 is nginx's "client closed request", which Prometheus uses too.
    case absl::StatusCode::kCancelled: return {499, "canceled"};
    case absl::StatusCode::kUnavailable: return {503, "unavailable"};
    case absl::StatusCode::kNotFound: return {404, "not_found"};
    default: return {500, "internal"};
  }
}

}  // namespace strata::select
