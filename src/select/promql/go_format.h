// File: select/promql/go_format.h
//
// Go's text formatting of numbers and strings, which Prometheus's error
// messages, annotations, label values (count_values) and printed queries
// use; PromQL clients and the conformance scripts compare these texts
// exactly, so every part of the engine formats through here.
//
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace strata::promql {

// strconv.Quote: double quotes, Go escapes, invalid UTF-8 bytes as \x..,
// non-printable runes as \u...., so the result reads back as the same bytes.
std::string GoQuote(std::string_view s);
void AppendGoQuoted(std::string_view s, std::string* out);

// fmt's %g and %v of a float64: shortest round-trip digits, exponent form
// when the decimal exponent is < -4 or >= 6 ("1e+06"), "NaN", "+Inf".
std::string GoFormatG(double v);

// strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an
// exponent ("1000000", "0.0001").
std::string GoFormatF(double v);

}  // namespace strata::promql
