// File: insert/ingest/ingest_common.h
//
// Small pieces every ingest handler shares: the tenant-in-path URL form of
// VictoriaMetrics cluster (/insert/<accountID>[:<projectID>]/<protocol path>)
// and the HTTP status of a Router outcome (router.h lists the outcomes).
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace strata::insert {

// Splits "/insert/<tenant>/<rest>" into "<tenant>" and "/<rest>" (empty
// when the path ends after the tenant). False for paths not under /insert/.
inline bool SplitInsertPath(std::string_view path, std::string_view* tenant, std::string_view* suffix) {
  constexpr std::string_view kInsert = "/insert/";
  if (path.substr(0, kInsert.size()) != kInsert) return false;
  std::string_view rest = path.substr(kInsert.size());
  size_t slash = rest.find('/');
  *tenant = rest.substr(0, slash);
  *suffix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return true;
}

// The HTTP status for a write outcome; `ok_status` is the protocol's success
// code (204 for remote_write, 200 for OTLP).
inline int IngestHttpStatus(const absl::Status& status, int ok_status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return ok_status;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded: return 503;
    default: return 500;
  }
}

}  // namespace strata::insert
