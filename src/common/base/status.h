// File: common/base/status.h
//
// Strata reports every recoverable failure as an absl::Status or
// absl::StatusOr<T> (see ../shared/STYLE.md §4). This header adds what the
// Debian 12 abseil (20220623) lacks: the propagation macros, and converters
// between std::string_view (used in all of Strata's APIs) and
// absl::string_view, which Debian builds as a distinct type.
//
// Messages follow the VictoriaMetrics form "cannot <verb> <object>: <cause>",
// built with fmt::format, never absl::StrCat.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// Returns a copy of `status` whose message is "<context>: <original message>".
absl::Status Annotate(const absl::Status& status, std::string_view context);

}  // namespace strata

#define STRATA_STATUS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_CONCAT_(a, b) STRATA_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define STRATA_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    ::absl::Status strata_status_ = (expr);            \
    if (!strata_status_.ok()) return strata_status_;   \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else
// move-assigns the value to `lhs` (which may be a declaration: `auto x`).
#define STRATA_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_STATUS_CONCAT_(strata_statusor_, __LINE__), lhs, rexpr)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) return statusor.status();             \
  lhs = std::move(statusor).value()
