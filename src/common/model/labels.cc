#include "common/model/labels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

#include <fmt/format.h>

namespace strata {

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  std::sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  return FromSorted(std::move(labels));
}

Labels Labels::FromSorted(std::vector<Label> labels) {
  Labels l;
  l.labels_ = std::move(labels);
  return l;
}

Labels Labels::FromViews(std::span<const LabelView> sorted_views) {
  Labels l;
  l.labels_.reserve(sorted_views.size());
  for (const LabelView& v : sorted_views) l.labels_.push_back(Label{std::string(v.name), std::string(v.value)});
  return l;
}

std::string_view Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) return it->value;
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

void Labels::AppendCanonical(std::string* out) const {
  for (const Label& l : labels_) {
    out->append(l.name);
    out->push_back('\0');
    out->append(l.value);
    out->push_back('\0');
  }
}

std::string Labels::Canonical() const {
  std::string out;
  AppendCanonical(&out);
  return out;
}

namespace {

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

std::string Labels::ToString() const {
  std::string out(MetricName());
  out.push_back('{');
  bool first = true;
  for (const Label& l : labels_) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.push_back('=');
    AppendQuoted(&out, l.value);
  }
  out.push_back('}');
  return out;
}

void AppendCanonical(std::span<const LabelView> sorted, std::string* out) {
  for (const LabelView& l : sorted) {
    out->append(l.name);
    out->push_back('\0');
    out->append(l.value);
    out->push_back('\0');
  }
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Label names and values are nearly always ASCII: skip 8 bytes at a time
    // while no byte has its high bit set.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < n + 1) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

std::string FormatLabelViews(std::span<const LabelView> labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(labels[i].name);
    out.push_back('=');
    AppendQuoted(&out, labels[i].value);
  }
  out.push_back('}');
  return out;
}

namespace {

constexpr uint64_t kLowBits = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Nonzero when a byte of `word` has its high bit set, or (with
// `find_nul`) when a byte is zero (the classic has-zero-byte test).
inline uint64_t Suspicious(uint64_t word, bool find_nul) {
  return (word | (find_nul ? (word - kLowBits) & ~word : 0)) & kHighBits;
}

// The bytes of s (0 < s.size() < 8) in one word: two overlapping 4-byte
// loads, or under 4 bytes the first, middle and last byte padded with 0x01
// bytes (ASCII, not NUL). Fixed-size loads only: a variable-length memcpy here
// was a byte loop, and most label names and values are this short.
inline uint64_t ShortWord(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 4) {  // two overlapping 4-byte loads cover every byte
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (uint64_t{hi} << 32);
  }
  // 1 to 3 bytes: the first, middle and last cover them.
  return (kLowBits & ~uint64_t{0xffffff}) | static_cast<uint8_t>(p[0]) |
         (uint64_t{static_cast<uint8_t>(p[n / 2])} << 8) | (uint64_t{static_cast<uint8_t>(p[n - 1])} << 16);
}

// True when `s` is all ASCII and, with `find_nul`, has no NUL byte:
// 8 bytes per step, the tail as one more (overlapping) word.
inline bool PlainAscii(std::string_view s, bool find_nul) {
  const size_t n = s.size();
  if (n < 8) return n == 0 || Suspicious(ShortWord(s), find_nul) == 0;
  const char* p = s.data();
  uint64_t bad = 0;
  uint64_t w;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&w, p + i, 8);
    bad |= Suspicious(w, find_nul);
  }
  std::memcpy(&w, p + n - 8, 8);  // the last 8 bytes, overlapping the loop's
  return (bad | Suspicious(w, find_nul)) == 0;
}

// a < b for label names, without a call to memcmp when the first bytes
// already differ, as they do for most neighbours in a sorted label set.
inline bool NameLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

// True when `ls` needs no change and has no problem: every name and value
// plain ASCII and non-empty, no NUL in a name, names strictly increasing
// (sorted and unique), __name__ present. One pass; remote_write senders
// send their labels so (Prometheus sorts them), and nearly every series
// ends here.
bool AlreadyValidAndSorted(std::span<const LabelView> ls) {
  bool has_metric_name = false;
  for (size_t i = 0; i < ls.size(); ++i) {
    const LabelView& l = ls[i];
    if (l.name.empty() || l.value.empty()) return false;
    if (!PlainAscii(l.name, /*find_nul=*/true) || !PlainAscii(l.value, /*find_nul=*/false)) return false;
    if (i > 0 && !NameLess(ls[i - 1].name, l.name)) return false;
    has_metric_name |= l.name == kMetricNameLabel;
  }
  return has_metric_name;
}

}  // namespace

absl::Status ValidateAndSortLabels(std::vector<LabelView>* labels) {
  auto& ls = *labels;
  if (AlreadyValidAndSorted(ls)) return absl::OkStatus();
  // Something to fix or to report: the checks one by one, in the order
  // that decides which problem the message names.
  // Nearly every label is plain ASCII: one cheap pass proves the UTF-8 and
  // NUL checks below would pass, and skips them.
  bool plain = true;
  for (const LabelView& l : ls) plain = plain && PlainAscii(l.name, /*find_nul=*/true) && PlainAscii(l.value, false);
  for (const LabelView& l : plain ? std::span<const LabelView>() : std::span<const LabelView>(ls)) {
    if (!IsValidUtf8(l.name)) {
      return absl::InvalidArgumentError("invalid series: a label name is not valid UTF-8");
    }
    if (!IsValidUtf8(l.value)) {
      return absl::InvalidArgumentError(
          fmt::format("invalid series: the value of label \"{}\" is not valid UTF-8", l.name.substr(0, 128)));
    }
  }
  for (const LabelView& l : ls) {
    if (l.name.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("invalid series {}: label with an empty name", FormatLabelViews(ls)));
    }
    // Remote_write 1.0 names are [a-zA-Z_][a-zA-Z0-9_]*; UTF-8 names are
    // accepted, but a NUL would make the storage index keys (name \0 value)
    // ambiguous.
    if (!plain && l.name.find('\0') != std::string_view::npos) {
      return absl::InvalidArgumentError("invalid series: a label name contains a NUL byte");
    }
  }
  std::erase_if(ls, [](const LabelView& l) { return l.value.empty(); });
  if (!std::is_sorted(ls.begin(), ls.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; })) {
    std::sort(ls.begin(), ls.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
  }
  for (size_t i = 1; i < ls.size(); ++i) {
    if (ls[i].name == ls[i - 1].name) {
      return absl::InvalidArgumentError(fmt::format("invalid series {}: duplicate label name \"{}\"",
                                                    FormatLabelViews(ls), ls[i].name));
    }
  }
  if (ls.empty() || ls.front().name > kMetricNameLabel ||
      std::none_of(ls.begin(), ls.end(), [](const LabelView& l) { return l.name == kMetricNameLabel; })) {
    return absl::InvalidArgumentError(
        fmt::format("invalid series {}: missing metric name (label __name__)", FormatLabelViews(ls)));
  }
  return absl::OkStatus();
}

}  // namespace strata
