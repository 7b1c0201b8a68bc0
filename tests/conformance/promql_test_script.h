// File: tests/conformance/promql_test_script.h
//
// Parser for Prometheus's PromQL test-script language (the `.test` files in
// shared/promql-testdata, described in FORMAT.md there): `load`, `clear`,
// `eval instant`, `eval range`, the deprecated `eval_fail|warn|info|ordered`
// words, `expect` lines, value sequences and series descriptions. It only
// turns text into commands; promql_conformance.h runs them against the engine.
//
// Native-histogram literals (`{{...}}`) are recognised but not decoded: a
// sequence item is marked kHistogram so the runner can skip those cases.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"

namespace strata::promql::conformance {

// One position of an expanded value sequence.
struct SequenceValue {
  enum class Kind : uint8_t { kFloat, kOmitted, kHistogram };
  Kind kind = Kind::kFloat;
  double value = 0;  // kFloat only; `stale` is StaleNaN()
};

// `name{l="v"} <values>`: a series of a `load` block or an expected result line.
// In a `load` block, `name{l="v"}@st <offsets>` (FORMAT.md §2) gives the
// start timestamps of the series on the next line instead: then
// `is_start_timestamps` is set and `start_offsets` holds, per position, the
// start timestamp relative to the sample's time (nullopt: `_`, unknown).
struct SeriesDescription {
  Labels labels;
  std::vector<SequenceValue> values;
  bool has_histogram = false;  // some item is a `{{...}}` literal
  bool is_start_timestamps = false;
  std::vector<std::optional<int64_t>> start_offsets;
};

// Go's strconv-based number parsing of the upstream runner: ParseInt with
// base 0 (0x.., 0o.., 0b.., leading-0 octal, underscores), else ParseFloat
// (decimal, exponent, hex float, Inf/Infinity/NaN in any case, sign).
absl::StatusOr<double> ParseGoNumber(std::string_view s);

// Prometheus model.ParseDuration: `1h30m`, `10s53ms`, `0`; units y w d h m s
// ms, largest first; no sign. Milliseconds.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view s);

// Expands a value sequence (`1 2 _ stale 0+10x3 _x2 {{...}}`).
absl::StatusOr<std::vector<SequenceValue>> ParseValueSequence(std::string_view text);

// Expands a start-timestamp offset sequence (`_ _x2 -30s 0 +1m -1msx3
// -30s-1mx2 1ms+1sx2`): signed durations, `<dur>xN` repeats, `<dur>±<dur>xN`
// steps; nullopt for `_`. Milliseconds.
absl::StatusOr<std::vector<std::optional<int64_t>>> ParseStartOffsetSequence(std::string_view text);

// Parses `name{l="v",...} <values>`, `{__name__="x"} ...`, `{"utf8.name"} ...`,
// `{} <values>`. Labels with an empty value are dropped (an absent label).
absl::StatusOr<SeriesDescription> ParseSeriesDescription(std::string_view line);

struct LoadCommand {
  int line = 0;  // 1-based line of the `load` word
  int64_t interval_ms = 0;
  bool with_nhcb = false;
  // One entry per distinct label set; a later line of the same block wins.
  std::vector<SeriesDescription> series;
};

struct ClearCommand {
  int line = 0;
};

enum class ExpectKind : uint8_t { kOrdered, kFail, kWarn, kNoWarn, kInfo, kNoInfo };

// `expect <kind> [msg: <text> | regex: <re>]`. Without msg/regex any text
// matches.
struct ExpectLine {
  ExpectKind kind = ExpectKind::kFail;
  enum class Match : uint8_t { kAny, kMessage, kRegex } match = Match::kAny;
  std::string text;

  // Exact equality for kMessage, unanchored RE2 search for kRegex.
  bool Matches(std::string_view actual) const;
  std::string Describe() const;
};

struct ExpectedSeries {
  Labels labels;
  std::vector<SequenceValue> values;
  int pos = 0;   // 1-based position among the result lines (for ordered)
  int line = 0;  // 1-based line in the file
};

struct EvalCommand {
  int line = 0;  // 1-based line of the eval word
  std::string expr;
  bool is_range = false;
  // Instant: start = end = evaluation time, step 0 (unless `expect range
  // vector` set start/end/step; the query then runs at end).
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  int64_t eval_ms = 0;  // instant evaluation time

  // Deprecated command-word modifiers.
  bool legacy_fail = false;
  bool legacy_warn = false;
  bool legacy_info = false;
  bool legacy_ordered = false;
  std::optional<std::string> expected_fail_message;  // `expected_fail_message`
  std::optional<std::string> expected_fail_regexp;   // `expected_fail_regexp`

  std::vector<ExpectLine> expects;
  bool expect_range_vector = false;
  std::optional<std::string> expected_string;  // `expect string "..."`
  bool exclude_from_range_query = false;

  bool expect_scalar = false;
  SequenceValue expected_scalar;
  std::vector<ExpectedSeries> expected;  // unique label sets, later line wins
  bool has_histogram_literal = false;    // `{{` somewhere in the block

  bool IsOrdered() const;
  bool IsFail() const;
  std::vector<const ExpectLine*> Expects(ExpectKind kind) const;
};

using Command = std::variant<LoadCommand, ClearCommand, EvalCommand>;

struct Script {
  std::vector<Command> commands;
};

// Parses a whole file. Errors name the 1-based line: `line 12: ...`.
absl::StatusOr<Script> ParseScript(std::string_view text);

// 1-based lines of every `eval*` command word, found by a plain scan (used
// to count the cases of skipped or unparsable files).
std::vector<std::pair<int, std::string>> ScanEvalLines(std::string_view text);

}  // namespace strata::promql::conformance
