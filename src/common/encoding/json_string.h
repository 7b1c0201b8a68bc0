// File: common/encoding/json_string.h
//
// JSON string literals as Go's encoding/json writes them (what Prometheus
// and VictoriaMetrics answer): quotes, backslashes and control characters
// escaped, HTML-safe (<, >, & as \u003c ...), invalid UTF-8 as \ufffd,
// U+2028/U+2029 escaped. Shared by the select node's API writer and the
// operator endpoints of every role.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string* out);

// The same, returned.
inline std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

}  // namespace strata
