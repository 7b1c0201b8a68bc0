// File: common/config/flags.h
//
// Command-line flags in the VictoriaMetrics style: `-name=value` (also
// `--name=value` and `-name value`; a bare `-name` sets a bool to true).
// Every flag can also be set from the environment as STRATA_<name> with dots
// replaced by underscores (`-wal.fsync` <- STRATA_wal_fsync); a flag given on
// the command line wins over the environment.
//
// Each flag binds to a field of an options struct that already holds the
// default, so the struct stays the single source of defaults. A FlagSet must
// outlive nothing: it only writes into the bound fields during Parse.
// Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace strata {

class FlagSet {
 public:
  explicit FlagSet(std::string usage) : usage_(std::move(usage)) {}

  void String(std::string name, std::string* target, std::string help);
  void Int(std::string name, int64_t* target, std::string help);
  void Bool(std::string name, bool* target, std::string help);
  // Accepts Prometheus durations ("500ms", "15s", "5m", "1h30m", "2d") and
  // bare numbers meaning seconds.
  void Duration(std::string name, std::chrono::milliseconds* target, std::string help);
  // Accepts plain bytes or KB/MB/GB (1000) and KiB/MiB/GiB (1024) suffixes.
  void Bytes(std::string name, int64_t* target, std::string help);
  void Bytes(std::string name, size_t* target, std::string help);
  // Comma-separated list (repeating the flag appends).
  void List(std::string name, std::vector<std::string>* target, std::string help);
  // A password, token or key. "file:///path" reads the value from that file
  // (trailing newlines dropped), so the secret stays out of `ps` and the
  // environment. Values() and Help() never show it.
  void Secret(std::string name, std::string* target, std::string help);

  // Parses `args` (the program arguments after the role). Returns
  // InvalidArgument naming the flag and the bad value, or an unknown flag.
  absl::Status Parse(std::span<char* const> args);

  // True when -help / --help / -h was given; the caller prints Help().
  bool help_requested() const { return help_requested_; }

  // Every flag's value as given (command line, then environment), or its
  // default: what /api/v1/status/flags shows. Secret flags (see IsSecret)
  // show "secret", as VictoriaMetrics's /flags does.
  std::map<std::string, std::string> Values() const;
  // True for flags declared with Secret(), and for any flag whose name says
  // it holds a secret (password, token, secret, authKey): a secret flag added
  // later with String() is redacted all the same.
  bool IsSecret(std::string_view name) const;
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    bool is_list = false;
    std::function<absl::Status(std::string_view)> set;
    bool is_secret = false;
  };
  void Add(Flag flag);
  void Remember(const Flag& flag, std::string_view value);
  Flag* Find(std::string_view name);

  std::string usage_;
  std::vector<Flag> flags_;
  // Values as given, by flag name; list flags accumulate comma-separated.
  std::map<std::string, std::string, std::less<>> given_;
  bool help_requested_ = false;
};

// Parses a Prometheus duration ("1h30m", "15s", "500ms", "2d", "1w", "1y")
// into milliseconds. InvalidArgument when malformed.
absl::Status ParseDurationFlag(std::string_view text, std::chrono::milliseconds* out);

}  // namespace strata
