#include "select/api/delete_api.h"

#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "select/api/params.h"

namespace strata::select {
namespace {

// 9999-12-31T23:59:59Z: the last second an RFC 3339 time with a 4-digit
// year can name. An `end` at or after it (or client_golang's MaxTime) means
// "no end".
constexpr int64_t kLatestEndMs = 253'402'300'799'000;

constexpr std::string_view kWholeSeriesOnly = "start/end are not supported: delete_series removes whole series";

absl::Status InvalidParam(const absl::Status& cause, std::string_view name) {
  return absl::InvalidArgumentError(fmt::format("invalid parameter \"{}\": {}", name, ToStd(cause.message())));
}

}  // namespace

absl::StatusOr<std::vector<std::vector<Matcher>>> ParseDeleteSeriesParams(const FormParams& params) {
  const std::vector<std::string_view> matches = params.GetAll("match[]");
  if (matches.empty()) return absl::InvalidArgumentError("no match[] parameter provided");
  // A time range must be refused rather than ignored: deleting whole series
  // when the caller asked for an hour would destroy data they meant to keep.
  if (std::string_view s = params.Get("start"); !s.empty()) {
    auto start = ParseTimeMs(s);
    if (!start.ok()) return InvalidParam(start.status(), "start");
    if (*start > 0) return absl::InvalidArgumentError(std::string(kWholeSeriesOnly));
  }
  if (std::string_view e = params.Get("end"); !e.empty()) {
    auto end = ParseTimeMs(e);
    if (!end.ok()) return InvalidParam(end.status(), "end");
    if (*end < kLatestEndMs) return absl::InvalidArgumentError(std::string(kWholeSeriesOnly));
  }
  std::vector<std::vector<Matcher>> selectors;
  selectors.reserve(matches.size());
  for (std::string_view m : matches) {
    auto selector = ParseSeriesSelector(m);
    if (!selector.ok()) return InvalidParam(selector.status(), "match[]");
    selectors.push_back(*std::move(selector));
  }
  return selectors;
}

ApiOutcome DeleteSeries(const HttpRequest& request, const TenantId& tenant, const SeriesDeleter& deleter) {
  auto form = FormParams::Parse(request);
  if (!form.ok()) return ErrorOutcome(absl::InvalidArgumentError(std::string(ToStd(form.status().message()))));
  auto selectors = ParseDeleteSeriesParams(*form);
  if (!selectors.ok()) return ErrorOutcome(selectors.status());
  auto deleted = deleter(tenant, *selectors);
  std::vector<std::string_view> matches = form->GetAll("match[]");
  if (!deleted.ok()) {
    STRATA_LOG(Warn, "delete_series of tenant {} for {} failed: {}", tenant.ToString(), fmt::join(matches, ", "),
               ToStd(deleted.status().message()));
    // Any failure of a delete is the server's, as in Prometheus (errorInternal)
    // and never bad_data: the request itself was checked above.
    absl::Status st = deleted.status();
    if (st.code() == absl::StatusCode::kInvalidArgument || st.code() == absl::StatusCode::kFailedPrecondition ||
        st.code() == absl::StatusCode::kUnimplemented || st.code() == absl::StatusCode::kResourceExhausted) {
      st = absl::InternalError(std::string(ToStd(st.message())));
    }
    return ErrorOutcome(st);
  }
  STRATA_LOG(Info, "delete_series of tenant {} for {}: {} series copies deleted", tenant.ToString(),
             fmt::join(matches, ", "), *deleted);
  HttpResponse no_content;
  no_content.status = 204;
  return ApiOutcome{std::move(no_content), "success"};
}

}  // namespace strata::select
