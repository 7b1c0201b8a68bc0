#include "common/config/flags.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata {
namespace {

absl::Status BadValue(std::string_view name, std::string_view value, std::string_view want) {
  return absl::InvalidArgumentError(fmt::format("invalid value \"{}\" for flag -{}: {}", value, name, want));
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  int64_t s = ms / 1000;
  if (s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

}  // namespace

absl::Status ParseDurationFlag(std::string_view text, std::chrono::milliseconds* out) {
  if (text.empty()) return absl::InvalidArgumentError("empty duration");
  int64_t plain;
  if (ParseInt64(text, &plain)) {
    *out = std::chrono::milliseconds(plain * 1000);
    return absl::OkStatus();
  }
  int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    int64_t n;
    if (digits == 0 || !ParseInt64(rest.substr(0, digits), &n)) {
      return absl::InvalidArgumentError(fmt::format("cannot parse duration \"{}\"", text));
    }
    rest.remove_prefix(digits);
    size_t unit_len = 0;
    while (unit_len < rest.size() && !(rest[unit_len] >= '0' && rest[unit_len] <= '9')) ++unit_len;
    std::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    int64_t mult;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit == "d") mult = 86'400'000;
    else if (unit == "w") mult = 7 * 86'400'000LL;
    else if (unit == "y") mult = 365 * 86'400'000LL;
    else return absl::InvalidArgumentError(fmt::format("cannot parse duration \"{}\": unknown unit \"{}\"", text, unit));
    total += n * mult;
  }
  *out = std::chrono::milliseconds(total);
  return absl::OkStatus();
}

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void FlagSet::String(std::string name, std::string* target, std::string help) {
  Add(Flag{name, std::move(help), *target, false, false, [target](std::string_view v) {
             *target = std::string(v);
             return absl::OkStatus();
           }});
}

void FlagSet::Int(std::string name, int64_t* target, std::string help) {
  Add(Flag{name, std::move(help), fmt::format("{}", *target), false, false, [target, name](std::string_view v) {
             if (!ParseInt64(v, target)) return BadValue(name, v, "want an integer");
             return absl::OkStatus();
           }});
}

void FlagSet::Bool(std::string name, bool* target, std::string help) {
  Add(Flag{name, std::move(help), *target ? "true" : "false", true, false, [target, name](std::string_view v) {
             if (v == "true" || v == "1") *target = true;
             else if (v == "false" || v == "0") *target = false;
             else return BadValue(name, v, "want true or false");
             return absl::OkStatus();
           }});
}

void FlagSet::Duration(std::string name, std::chrono::milliseconds* target, std::string help) {
  Add(Flag{name, std::move(help), FormatDuration(*target), false, false, [target, name](std::string_view v) {
             absl::Status st = ParseDurationFlag(v, target);
             if (!st.ok()) return BadValue(name, v, ToStd(st.message()));
             return absl::OkStatus();
           }});
}

namespace {

// Parses "1048576", "64MiB", "1GB" into bytes.
bool ParseBytes(std::string_view v, int64_t* out) {
  static constexpr std::pair<std::string_view, int64_t> kSuffixes[] = {
      {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30}, {"TiB", 1LL << 40},
      {"KB", 1000},       {"MB", 1000000},    {"GB", 1000000000}, {"TB", 1000000000000}};
  int64_t mult = 1;
  std::string_view digits = v;
  for (auto [suffix, m] : kSuffixes) {
    if (v.size() > suffix.size() && v.substr(v.size() - suffix.size()) == suffix) {
      mult = m;
      digits = v.substr(0, v.size() - suffix.size());
      break;
    }
  }
  int64_t n;
  if (!ParseInt64(digits, &n) || n < 0) return false;
  *out = n * mult;
  return true;
}

}  // namespace

void FlagSet::Bytes(std::string name, int64_t* target, std::string help) {
  Add(Flag{name, std::move(help), fmt::format("{}", *target), false, false, [target, name](std::string_view v) {
             if (!ParseBytes(v, target)) return BadValue(name, v, "want a size like 1048576, 64MiB or 1GB");
             return absl::OkStatus();
           }});
}

void FlagSet::Bytes(std::string name, size_t* target, std::string help) {
  Add(Flag{name, std::move(help), fmt::format("{}", *target), false, false, [target, name](std::string_view v) {
             int64_t n;
             if (!ParseBytes(v, &n)) return BadValue(name, v, "want a size like 1048576, 64MiB or 1GB");
             *target = static_cast<size_t>(n);
             return absl::OkStatus();
           }});
}

void FlagSet::Secret(std::string name, std::string* target, std::string help) {
  Flag flag{name, std::move(help), "", false, false, [target, name](std::string_view v) {
              constexpr std::string_view kFile = "file://";
              if (!v.starts_with(kFile)) {
                *target = std::string(v);
                return absl::OkStatus();
              }
              std::string path(v.substr(kFile.size()));
              std::ifstream in(path, std::ios::binary);
              std::ostringstream content;
              if (!in || !(content << in.rdbuf())) {
                return absl::InvalidArgumentError(
                    fmt::format("cannot read the value of flag -{} from file \"{}\"", name, path));
              }
              *target = content.str();
              while (!target->empty() && (target->back() == '\n' || target->back() == '\r')) target->pop_back();
              return absl::OkStatus();
            }};
  flag.is_secret = true;
  Add(std::move(flag));
}

bool FlagSet::IsSecret(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name && f.is_secret) return true;
  }
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"password", "token", "secret", "authkey"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

void FlagSet::List(std::string name, std::vector<std::string>* target, std::string help) {
  std::string def;
  for (const auto& s : *target) def += (def.empty() ? "" : ",") + s;
  auto seen = std::make_shared<bool>(false);
  Add(Flag{name, std::move(help), def, false, true, [target, seen](std::string_view v) {
             // The first explicit value replaces the default; repeats append.
             if (!*seen) target->clear();
             *seen = true;
             while (!v.empty()) {
               size_t comma = v.find(',');
               std::string_view item = v.substr(0, comma);
               if (!item.empty()) target->emplace_back(item);
               if (comma == std::string_view::npos) break;
               v.remove_prefix(comma + 1);
             }
             return absl::OkStatus();
           }});
}

absl::Status FlagSet::Parse(std::span<char* const> args) {
  std::vector<std::string> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-help" || arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(fmt::format("unexpected argument \"{}\"; flags look like -name=value", arg));
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(fmt::format("unknown flag -{}; see -help", name));
    }
    std::string value;
    if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (flag->is_bool) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(fmt::format("flag -{} needs a value", name));
    }
    STRATA_RETURN_IF_ERROR(flag->set(value));
    Remember(*flag, value);
    given.emplace_back(name);
  }
  for (Flag& f : flags_) {
    if (std::find(given.begin(), given.end(), f.name) != given.end()) continue;
    std::string env = "STRATA_" + f.name;
    std::replace(env.begin(), env.end(), '.', '_');
    if (const char* v = std::getenv(env.c_str())) {
      STRATA_RETURN_IF_ERROR(Annotate(f.set(v), fmt::format("from environment variable {}", env)));
      Remember(f, v);
    }
  }
  return absl::OkStatus();
}

void FlagSet::Remember(const Flag& flag, std::string_view value) {
  auto [it, inserted] = given_.try_emplace(flag.name, value);
  if (inserted) return;
  if (flag.is_list && !it->second.empty()) {
    it->second += ",";
    it->second += value;
  } else {
    it->second = std::string(value);
  }
}

std::map<std::string, std::string> FlagSet::Values() const {
  std::map<std::string, std::string> out;
  for (const Flag& f : flags_) {
    auto it = given_.find(f.name);
    out[f.name] = IsSecret(f.name) ? "secret" : it != given_.end() ? it->second : f.default_text;
  }
  return out;
}

std::string FlagSet::Help() const {
  std::string out = usage_ + "\n\nFlags (also settable as environment variables STRATA_<name>, dots as _):\n";
  std::vector<const Flag*> sorted;
  for (const Flag& f : flags_) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const Flag* a, const Flag* b) { return a->name < b->name; });
  for (const Flag* f : sorted) {
    out += fmt::format("  -{}\n      {} (default \"{}\")\n", f->name, f->help,
                       IsSecret(f->name) && !f->default_text.empty() ? "secret" : f->default_text);
  }
  return out;
}

}  // namespace strata
