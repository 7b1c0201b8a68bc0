// File: common/base/ascii.h
//
// ASCII case-insensitive comparisons for protocol tokens (header names,
// media types, schemes, "NaN"/"Inf"), on std::string_view. Debian's abseil
// has its own string_view type, so absl::EqualsIgnoreCase would need a
// conversion at every call; these wrap it once.
#pragma once

#include <string_view>

#include "absl/strings/match.h"
#include "common/base/status.h"

namespace strata {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}

inline bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return absl::StartsWithIgnoreCase(ToAbsl(s), ToAbsl(prefix));
}

}  // namespace strata
