#include "e2e/prom_json.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

namespace strata::testing {

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string QuerySeries::LabelsText() const {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ", ";
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

namespace {

absl::Status ParsePoint(simdjson::dom::array point, std::vector<std::pair<int64_t, std::string>>* out) {
  auto it = point.begin();
  if (it == point.end()) return absl::InvalidArgumentError("empty point");
  double ts;
  simdjson::dom::element first = *it;
  if (first.is_double()) {
    ts = double(first);
  } else if (first.is_int64()) {
    ts = static_cast<double>(int64_t(first));
  } else if (first.is_uint64()) {
    ts = static_cast<double>(uint64_t(first));
  } else {
    return absl::InvalidArgumentError("timestamp is not a number");
  }
  ++it;
  if (it == point.end() || !(*it).is_string()) return absl::InvalidArgumentError("value is not a string");
  out->emplace_back(std::llround(ts * 1000), std::string(std::string_view(*it)));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueryResponse> ParseQueryResponse(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("response is not JSON: " + std::string(body.substr(0, 200)));
  }
  QueryResponse r;
  std::string_view s;
  if (doc["status"].get(s) == simdjson::SUCCESS) r.status = std::string(s);
  if (doc["errorType"].get(s) == simdjson::SUCCESS) r.error_type = std::string(s);
  if (doc["error"].get(s) == simdjson::SUCCESS) r.error = std::string(s);
  bool partial = false;
  if (doc["isPartial"].get(partial) == simdjson::SUCCESS) r.is_partial = partial;
  simdjson::dom::array warnings;
  if (doc["warnings"].get(warnings) == simdjson::SUCCESS) {
    for (auto w : warnings) r.warnings.emplace_back(std::string_view(w));
  }
  simdjson::dom::element data;
  if (doc["data"].get(data) != simdjson::SUCCESS) return r;
  if (data["resultType"].get(s) == simdjson::SUCCESS) r.result_type = std::string(s);
  simdjson::dom::array result;
  if (data["result"].get(result) != simdjson::SUCCESS) return r;
  if (r.result_type == "scalar" || r.result_type == "string") {
    // `"result": [<time>, "<value>"]`: one unlabelled point.
    QuerySeries qs;
    auto st = ParsePoint(result, &qs.points);
    if (!st.ok()) return st;
    r.series.push_back(std::move(qs));
    return r;
  }
  for (simdjson::dom::element item : result) {
    QuerySeries qs;
    simdjson::dom::object metric;
    if (item["metric"].get(metric) == simdjson::SUCCESS) {
      for (auto field : metric) qs.labels[std::string(field.key)] = std::string(std::string_view(field.value));
    }
    simdjson::dom::array value, values;
    if (item["value"].get(value) == simdjson::SUCCESS) {
      auto st = ParsePoint(value, &qs.points);
      if (!st.ok()) return st;
    }
    if (item["values"].get(values) == simdjson::SUCCESS) {
      for (simdjson::dom::element p : values) {
        auto st = ParsePoint(p.get_array(), &qs.points);
        if (!st.ok()) return st;
      }
    }
    r.series.push_back(std::move(qs));
  }
  std::sort(r.series.begin(), r.series.end(),
            [](const QuerySeries& a, const QuerySeries& b) { return a.LabelsText() < b.LabelsText(); });
  return r;
}

}  // namespace strata::testing
