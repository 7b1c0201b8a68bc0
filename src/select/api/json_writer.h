// File: select/api/json_writer.h
//
// Writes Prometheus API JSON byte-for-byte as Prometheus does
// (util/jsonutil/marshal.go, web/api/v1/api.go with jsoniter's
// ConfigCompatibleWithStandardLibrary):
//   - timestamps: seconds with a '.' and exactly 3 millisecond digits only
//     when the millisecond part is non-zero (1435781451.781, 1.050), never an
//     exponent;
//   - values: quoted, Go strconv.AppendFloat(f, 'f' or 'e', -1, 64): the
//     shortest round-trip digits, 'e' when |f| < 1e-6 or |f| >= 1e21
//     ("1e-07", "1e+21"), and "NaN", "+Inf", "-Inf", "-0";
//   - strings: encoding/json escaping, HTML-safe (<, >, & as \u003c ...),
//     invalid UTF-8 as \ufffd, U+2028/U+2029 escaped.
// Appends into a caller-owned buffer (reuse it across responses) with
// fmt's Dragonbox digits; no intermediate strings per value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/encoding/json_string.h"  // AppendJsonString
#include "select/promql/engine.h"

namespace strata::select {

// The value of a sample, unquoted, in Prometheus's spelling.
void AppendPromFloat(double v, std::string* out);
// A label set as a JSON object {"name":"value",...}, in label order.
void AppendLabelsJson(const Labels& labels, std::string* out);
// A millisecond timestamp as Prometheus's JSON seconds.
void AppendPromTimestamp(int64_t ms, std::string* out);

// The success envelope of /api/v1/query and /api/v1/query_range:
// {"status":"success",["isPartial":true,]"data":{"resultType":..,"result":..}[,"warnings":[..]]}
void WriteQueryResponse(const promql::QueryResult& result, std::string* out);
// The same with `"stats":<stats_json>` after "result" (Prometheus's
// queryData), unless `stats_json` is empty.
void WriteQueryResponse(const promql::QueryResult& result, std::string_view stats_json, std::string* out);

// {"status":"error","errorType":"<type>","error":"<message>"}
void WriteErrorResponse(std::string_view error_type, std::string_view message, std::string* out);

}  // namespace strata::select
