// File: tests/conformance/promql_conformance_main.cc
//
// The promql_conformance binary: runs Prometheus's PromQL test scripts
// against Strata's engine and prints per-file and total counts (README.md).
//
//   promql_conformance [--data-dir DIR] [--file NAME]... [--verbose]
//                      [--no-extra-checks] [--known-failures FILE]
//                      [--write-known-failures] [--no-fork] [--case-timeout S]
//
// Each file runs in a forked child so that a crashing or hanging case fails
// only itself: the parent records the case that was running, and restarts
// the file after it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "conformance/promql_conformance.h"
#include "conformance/promql_test_script.h"

namespace {

using strata::promql::conformance::CaseResult;
using strata::promql::conformance::Outcome;
using strata::promql::conformance::RunOptions;

struct Flags {
  std::string data_dir = STRATA_PROMQL_TESTDATA_DIR;
  std::string known_failures;
  bool write_known_failures = false;
  bool verbose = false;
  bool extra_checks = true;
  bool fork = true;
  int case_timeout_s = 30;
  std::vector<std::string> files;
};

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out.push_back(c);
  }
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// Runs `text` in a child process from `resume_line` on; appends the results
// the child reported and returns the line of the case that was running when
// it died (0 when it finished), with a description of how it died.
int RunChild(const std::string& text, const Flags& flags, int resume_line, std::vector<CaseResult>& out,
             std::string* death) {
  int fds[2];
  if (::pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(2);
  }
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (pid == 0) {
    ::close(fds[0]);
    int fd = fds[1];
    RunOptions options;
    options.extra_checks = flags.extra_checks;
    options.resume_line = resume_line;
    options.on_case_start = [fd, &flags](int line) {
      ::alarm(static_cast<unsigned>(flags.case_timeout_s));
      WriteAll(fd, fmt::format("B\t{}\n", line));
    };
    options.on_result = [fd](const CaseResult& r) {
      ::alarm(0);
      WriteAll(fd, fmt::format("R\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.line, static_cast<int>(r.outcome),
                               r.extra_only ? 1 : 0, r.range_mode_runs, r.at_rewrite_runs, Escape(r.expr),
                               Escape(r.reason)));
    };
    strata::promql::conformance::RunScript(text, options);
    ::close(fd);
    std::_Exit(0);
  }
  ::close(fds[1]);
  std::string buf;
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(fds[0], chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int running = 0;
  std::istringstream in(buf);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = Split(line, '\t');
    if (f[0] == "B" && f.size() == 2) {
      running = std::stoi(f[1]);
    } else if (f[0] == "R" && f.size() == 8) {
      CaseResult r;
      r.line = std::stoi(f[1]);
      r.outcome = static_cast<Outcome>(std::stoi(f[2]));
      r.extra_only = f[3] == "1";
      r.range_mode_runs = std::stoi(f[4]);
      r.at_rewrite_runs = std::stoi(f[5]);
      r.expr = Unescape(f[6]);
      r.reason = Unescape(f[7]);
      if (r.line == running) running = 0;
      out.push_back(std::move(r));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    *death = fmt::format("timed out after {} s", flags.case_timeout_s);
  } else if (WIFSIGNALED(status)) {
    *death = fmt::format("crashed with signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else {
    *death = fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  return running > 0 ? running : -1;
}

std::vector<CaseResult> RunFile(const std::string& text, const Flags& flags) {
  if (!flags.fork) {
    RunOptions options;
    options.extra_checks = flags.extra_checks;
    return strata::promql::conformance::RunScript(text, options);
  }
  std::vector<CaseResult> results;
  int resume = 0;
  while (true) {
    std::string death;
    int died_at = RunChild(text, flags, resume, results, &death);
    if (died_at == 0) break;
    if (died_at < 0) {
      // Died outside a case: every case not reported fails.
      std::set<int> seen;
      for (const CaseResult& r : results) seen.insert(r.line);
      for (const auto& [line, l] : strata::promql::conformance::ScanEvalLines(text)) {
        if (line >= resume && !seen.count(line)) {
          results.push_back({line, l, Outcome::kFailed, "not run: the runner " + death + " outside a case", false});
        }
      }
      break;
    }
    std::string expr;
    for (const auto& [line, l] : strata::promql::conformance::ScanEvalLines(text)) {
      if (line == died_at) expr = l;
    }
    for (std::string_view head : {"at ", "step "}) {
      // Show the query, not the whole command line.
      if (size_t p = expr.find(head); p != std::string::npos && expr.find(' ', p + head.size()) != std::string::npos) {
        expr = expr.substr(expr.find(' ', p + head.size()) + 1);
        break;
      }
    }
    results.push_back({died_at, expr, Outcome::kFailed, "engine " + death, false});
    resume = died_at + 1;
  }
  std::sort(results.begin(), results.end(), [](const CaseResult& a, const CaseResult& b) { return a.line < b.line; });
  return results;
}

std::string OneLine(std::string s, size_t max) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

int Usage() {
  std::fprintf(stderr,
               "usage: promql_conformance [--data-dir DIR] [--file NAME]... [--verbose] [--no-extra-checks]\n"
               "       [--known-failures FILE] [--write-known-failures] [--no-fork] [--case-timeout SECONDS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--data-dir" && value(&flags.data_dir)) continue;
    if (a == "--known-failures" && value(&flags.known_failures)) continue;
    if (a == "--file" && value(&v)) {
      flags.files.push_back(v);
      continue;
    }
    if (a == "--case-timeout" && value(&v)) {
      flags.case_timeout_s = std::max(1, std::atoi(v.c_str()));
      continue;
    }
    if (a == "--write-known-failures") flags.write_known_failures = true;
    else if (a == "--verbose" || a == "-v") flags.verbose = true;
    else if (a == "--no-extra-checks") flags.extra_checks = false;
    else if (a == "--no-fork") flags.fork = false;
    else return Usage();
  }
  if (flags.write_known_failures && flags.known_failures.empty()) flags.known_failures = STRATA_CONFORMANCE_KNOWN_FAILURES;

  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(flags.data_dir, ec)) {
    if (entry.path().extension() != ".test") continue;
    std::string name = entry.path().filename().string();
    if (!flags.files.empty() && std::find(flags.files.begin(), flags.files.end(), name) == flags.files.end()) continue;
    paths.push_back(entry.path());
  }
  if (ec || paths.empty()) {
    std::fprintf(stderr, "promql_conformance: no .test files in %s\n", flags.data_dir.c_str());
    return 2;
  }
  std::sort(paths.begin(), paths.end());

  int passed = 0, failed = 0, skipped = 0, extra_only = 0, extra_range = 0, extra_at = 0;
  int64_t range_mode_runs = 0, at_rewrite_runs = 0;
  std::map<std::string, int> skip_reasons, categories;
  std::vector<std::string> file_lines;
  std::map<std::string, std::string> failing;  // "file:line" -> short reason
  std::set<std::string> ran_files;
  for (const auto& path : paths) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const std::string file = path.filename().string();
    ran_files.insert(file);
    std::vector<CaseResult> results;
    std::string skip = strata::promql::conformance::FileSkipReason(file);
    if (!skip.empty()) {
      for (const auto& [line, l] : strata::promql::conformance::ScanEvalLines(text)) {
        results.push_back({line, l, Outcome::kSkipped, skip, false});
      }
    } else {
      results = RunFile(text, flags);
    }
    int fp = 0, ff = 0, fs = 0;
    for (const CaseResult& r : results) {
      range_mode_runs += r.range_mode_runs;
      at_rewrite_runs += r.at_rewrite_runs;
      switch (r.outcome) {
        case Outcome::kPassed:
          ++fp;
          if (flags.verbose) std::printf("PASS %s:%d: %s\n", file.c_str(), r.line, r.expr.c_str());
          break;
        case Outcome::kSkipped:
          ++fs;
          ++skip_reasons[r.reason];
          if (flags.verbose) std::printf("SKIP %s:%d: %s (%s)\n", file.c_str(), r.line, r.expr.c_str(), r.reason.c_str());
          break;
        case Outcome::kFailed:
          ++ff;
          ++categories[strata::promql::conformance::FailureCategory(r.reason)];
          if (r.extra_only) {
            ++extra_only;
            if (r.reason.starts_with("[@ rewrite")) ++extra_at;
            else ++extra_range;
          }
          failing[fmt::format("{}:{}", file, r.line)] = OneLine(r.reason, 100);
          std::printf("FAIL %s:%d: %s\n     %s\n", file.c_str(), r.line, r.expr.c_str(),
                      OneLine(r.reason, flags.verbose ? 4000 : 400).c_str());
          break;
      }
    }
    passed += fp;
    failed += ff;
    skipped += fs;
    file_lines.push_back(fmt::format("  {}: {} passed, {} failed, {} skipped (of {} cases){}", file, fp, ff, fs,
                                     results.size(), skip.empty() ? "" : " [file skipped: " + skip + "]"));
  }

  std::printf("\nper file:\n");
  for (const std::string& l : file_lines) std::printf("%s\n", l.c_str());
  if (!skip_reasons.empty()) {
    std::printf("skipped by reason:\n");
    for (const auto& [reason, n] : skip_reasons) std::printf("  %5d  %s\n", n, reason.c_str());
  }
  if (!categories.empty()) {
    std::vector<std::pair<int, std::string>> top;
    for (const auto& [c, n] : categories) top.emplace_back(-n, c);
    std::sort(top.begin(), top.end());
    std::printf("top failure categories:\n");
    for (size_t i = 0; i < top.size() && (flags.verbose || i < 25); ++i) {
      std::printf("  %5d  %s\n", -top[i].first, top[i].second.c_str());
    }
  }
  std::printf("extra checks: %lld range-mode and %lld @-rewrite evaluations%s\n",
              static_cast<long long>(range_mode_runs), static_cast<long long>(at_rewrite_runs),
              flags.extra_checks ? "" : " [extra checks off]");
  std::printf("failed only in an extra check: %d (range mode: %d, @ rewrite: %d)\n", extra_only, extra_range, extra_at);
  std::printf("promql conformance: %d passed, %d failed, %d skipped (of %d cases)\n", passed, failed, skipped,
              passed + failed + skipped);

  if (flags.write_known_failures) {
    std::ofstream out(flags.known_failures, std::ios::trunc);
    out << "# PromQL conformance cases that fail today, as file:line (tests/conformance/README.md).\n"
           "# The ctest promql_conformance fails on any failure not listed here and on any listed case\n"
           "# that passes, so this list only shrinks. Regenerate with:\n"
           "#   promql_conformance --write-known-failures\n";
    // Sorted by file, then numerically by line.
    std::vector<std::pair<std::pair<std::string, int>, std::string>> rows;
    for (const auto& [key, reason] : failing) {
      size_t colon = key.rfind(':');
      rows.push_back({{key.substr(0, colon), std::stoi(key.substr(colon + 1))}, reason});
    }
    std::sort(rows.begin(), rows.end());
    for (const auto& [k, reason] : rows) out << k.first << ":" << k.second << "  # " << reason << "\n";
    std::printf("wrote %zu known failures to %s\n", rows.size(), flags.known_failures.c_str());
    return 0;
  }
  if (flags.known_failures.empty()) return failed == 0 ? 0 : 1;

  std::ifstream kf(flags.known_failures);
  if (!kf) {
    std::fprintf(stderr, "cannot read %s\n", flags.known_failures.c_str());
    return 2;
  }
  std::set<std::string> known;
  std::string line;
  while (std::getline(kf, line)) {
    line = line.substr(0, line.find('#'));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (!ran_files.count(line.substr(0, line.rfind(':')))) continue;  // file not selected by --file
    known.insert(line);
  }
  int problems = 0;
  for (const auto& [key, reason] : failing) {
    if (!known.count(key)) {
      std::printf("NEW FAILURE %s: not in %s (%s)\n", key.c_str(), flags.known_failures.c_str(), reason.c_str());
      ++problems;
    }
  }
  for (const std::string& key : known) {
    if (!failing.count(key)) {
      std::printf("%s now passes: remove it from promql_known_failures.txt\n", key.c_str());
      ++problems;
    }
  }
  if (problems > 0) {
    std::printf("known-failures ratchet: %d problem(s)\n", problems);
    return 1;
  }
  std::printf("known-failures ratchet: ok (%zu listed failures still fail, no new failures)\n", known.size());
  return 0;
}
