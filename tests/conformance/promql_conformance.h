// File: tests/conformance/promql_conformance.h
//
// Runs one Prometheus PromQL test script (parsed by promql_test_script.h)
// against Strata's engine over a MemoryQuerier, with the engine settings of
// Prometheus's test engine (FORMAT.md §8), and compares results as the
// upstream runner does (FORMAT.md §5-§7), including its extra checks for
// instant queries: range-mode consistency and the `@` step-invariance
// rewrite. Cases on native histograms and files on features Strata does not
// have are skipped with a reason; a skip never counts as a pass.
//
// Thread-compatible: RunScript keeps all state on its stack.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::promql::conformance {

struct CaseResult;

struct RunOptions {
  bool extra_checks = true;  // range mode + `@` rewrite for instant cases
  // Cases with line < resume_line are not evaluated (loads still run); the
  // crash-isolating driver restarts a file after a case that crashed.
  int resume_line = 0;
  // Called before each evaluated case (the driver records progress).
  std::function<void(int line)> on_case_start;
  // Called with each case's result as soon as it is known.
  std::function<void(const CaseResult&)> on_result;
};

enum class Outcome : uint8_t { kPassed, kFailed, kSkipped };

struct CaseResult {
  int line = 0;
  std::string expr;
  Outcome outcome = Outcome::kPassed;
  // Skip reason, or the failure: what was expected and what came back.
  std::string reason;
  // Failed although the plain evaluation passed: only an extra check
  // (range mode or `@` rewrite) failed.
  bool extra_only = false;
  // Evaluations done by the extra checks (to show they really ran).
  int range_mode_runs = 0;
  int at_rewrite_runs = 0;
};

// The reason the whole file is skipped, or "" when it runs (FORMAT.md §9).
std::string FileSkipReason(std::string_view file_name);

// Runs every command of the script `text`. A script that does not parse
// yields one failed case per `eval` line, carrying the parse error.
std::vector<CaseResult> RunScript(std::string_view text, const RunOptions& options);

// FORMAT.md §7.1: `expr` with `@ <ts>` added to every selector and subquery
// that has none (nothing inside subqueries), printed canonically; nullopt
// when the expression does not parse or uses a time-dependent function.
std::optional<std::string> AtModifierRewrite(std::string_view expr, int64_t ts);

// Groups a failure message into a short category for the summary
// ("evaluation error: unknown function ...", "result: unexpected series").
std::string FailureCategory(std::string_view reason);

}  // namespace strata::promql::conformance
