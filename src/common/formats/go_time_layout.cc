#include "common/formats/go_time_layout.h"

#include <array>

#include <fmt/format.h>

#include "common/base/civil_date.h"
#include "common/formats/parse_util.h"

namespace strata::formats {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                      "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDays = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                   "Saturday"};

struct Fields {
  int64_t year = 1;  // Go's zero time: January 1, year 1
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t millis = 0;
  int pm = -1;  // -1 none, 0 AM, 1 PM
  int64_t offset_seconds = 0;
};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Reads 1..max_digits digits (exactly `max_digits` when `fixed`).
bool Number(std::string_view* v, size_t max_digits, bool fixed, int64_t* out) {
  size_t n = 0;
  int64_t x = 0;
  while (n < max_digits && n < v->size() && (*v)[n] >= '0' && (*v)[n] <= '9') x = x * 10 + ((*v)[n++] - '0');
  if (n == 0 || (fixed && n != max_digits)) return false;
  v->remove_prefix(n);
  *out = x;
  return true;
}

// Reads a name from `names`, full or as its three-letter prefix.
template <size_t N>
bool Name(std::string_view* v, const std::array<std::string_view, N>& names, bool abbreviated, int* index) {
  for (size_t i = 0; i < N; ++i) {
    std::string_view want = abbreviated ? names[i].substr(0, 3) : names[i];
    if (StartsWith(*v, want)) {
      v->remove_prefix(want.size());
      *index = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

// A fraction of a second: digits after '.' or ','.
bool Fraction(std::string_view* v, Fields* f) {
  if (v->empty() || ((*v)[0] != '.' && (*v)[0] != ',')) return false;
  v->remove_prefix(1);
  size_t n = 0;
  int64_t scale = 100;
  f->millis = 0;
  while (n < v->size() && (*v)[n] >= '0' && (*v)[n] <= '9') {
    f->millis += ((*v)[n] - '0') * scale;
    scale /= 10;
    ++n;
  }
  if (n == 0) return false;
  v->remove_prefix(n);
  return true;
}

// A numeric zone: `colon` for -07:00, `minutes` false for -07; `z` allows "Z".
bool Zone(std::string_view* v, bool z, bool colon, bool minutes, Fields* f) {
  if (z && !v->empty() && (*v)[0] == 'Z') {
    v->remove_prefix(1);
    f->offset_seconds = 0;
    return true;
  }
  if (v->empty() || ((*v)[0] != '+' && (*v)[0] != '-')) return false;
  int sign = (*v)[0] == '-' ? -1 : 1;
  v->remove_prefix(1);
  int64_t h = 0, m = 0;
  if (!Number(v, 2, true, &h)) return false;
  if (minutes) {
    if (colon) {
      if (v->empty() || (*v)[0] != ':') return false;
      v->remove_prefix(1);
    }
    if (!Number(v, 2, true, &m)) return false;
  }
  f->offset_seconds = sign * (h * 3600 + m * 60);
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseGoTime(std::string_view layout, std::string_view value) {
  Fields f;
  std::string_view v = value;
  auto fail = [&](std::string_view element) {
    return absl::InvalidArgumentError(fmt::format("cannot parse \"{}\" as \"{}\": \"{}\" does not match layout element \"{}\"",
                                                  value, layout, v, element));
  };
  while (!layout.empty()) {
    int64_t n = 0;
    int index = 0;
    // Longest elements first, as Go's nextStdChunk.
    if (StartsWith(layout, "2006")) {
      if (!Number(&v, 4, true, &f.year)) return fail("2006");
      layout.remove_prefix(4);
    } else if (StartsWith(layout, "January")) {
      if (!Name(&v, kMonths, false, &index)) return fail("January");
      f.month = index + 1;
      layout.remove_prefix(7);
    } else if (StartsWith(layout, "Jan")) {
      if (!Name(&v, kMonths, true, &index)) return fail("Jan");
      f.month = index + 1;
      layout.remove_prefix(3);
    } else if (StartsWith(layout, "Monday")) {
      if (!Name(&v, kDays, false, &index)) return fail("Monday");
      layout.remove_prefix(6);
    } else if (StartsWith(layout, "Mon")) {
      if (!Name(&v, kDays, true, &index)) return fail("Mon");
      layout.remove_prefix(3);
    } else if (StartsWith(layout, "MST")) {
      size_t k = 0;
      while (k < v.size() && v[k] >= 'A' && v[k] <= 'Z') ++k;
      if (k < 3) return fail("MST");
      v.remove_prefix(k);
      layout.remove_prefix(3);
    } else if (StartsWith(layout, "01")) {
      if (!Number(&v, 2, true, &n)) return fail("01");
      f.month = static_cast<int>(n);
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "02")) {
      if (!Number(&v, 2, true, &n)) return fail("02");
      f.day = static_cast<int>(n);
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "_2")) {
      if (!v.empty() && v[0] == ' ') v.remove_prefix(1);
      if (!Number(&v, 2, false, &n)) return fail("_2");
      f.day = static_cast<int>(n);
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "06")) {
      if (!Number(&v, 2, true, &n)) return fail("06");
      f.year = n >= 69 ? 1900 + n : 2000 + n;  // Go's two-digit-year rule
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "15")) {
      if (!Number(&v, 2, false, &n)) return fail("15");
      f.hour = static_cast<int>(n);
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "03") || StartsWith(layout, "04") || StartsWith(layout, "05")) {
      char which = layout[1];
      if (!Number(&v, 2, true, &n)) return fail(layout.substr(0, 2));
      (which == '3' ? f.hour : which == '4' ? f.minute : f.second) = static_cast<int>(n);
      layout.remove_prefix(2);
      if (which == '5' && !v.empty() && (v[0] == '.' || v[0] == ',') &&
          !(layout.size() > 1 && (layout[0] == '.' || layout[0] == ',') && (layout[1] == '0' || layout[1] == '9'))) {
        Fraction(&v, &f);  // Go accepts a fraction the layout does not show
      }
    } else if (StartsWith(layout, "PM") || StartsWith(layout, "pm")) {
      bool upper = layout[0] == 'P';
      if (StartsWith(v, upper ? "PM" : "pm")) {
        f.pm = 1;
      } else if (StartsWith(v, upper ? "AM" : "am")) {
        f.pm = 0;
      } else {
        return fail(layout.substr(0, 2));
      }
      v.remove_prefix(2);
      layout.remove_prefix(2);
    } else if (StartsWith(layout, "Z07:00") || StartsWith(layout, "-07:00")) {
      if (!Zone(&v, layout[0] == 'Z', true, true, &f)) return fail(layout.substr(0, 6));
      layout.remove_prefix(6);
    } else if (StartsWith(layout, "Z0700") || StartsWith(layout, "-0700")) {
      if (!Zone(&v, layout[0] == 'Z', false, true, &f)) return fail(layout.substr(0, 5));
      layout.remove_prefix(5);
    } else if (StartsWith(layout, "Z07") || StartsWith(layout, "-07")) {
      if (!Zone(&v, layout[0] == 'Z', false, false, &f)) return fail(layout.substr(0, 3));
      layout.remove_prefix(3);
    } else if ((layout[0] == '.' || layout[0] == ',') && layout.size() > 1 && (layout[1] == '0' || layout[1] == '9')) {
      size_t k = 1;
      while (k < layout.size() && layout[k] == layout[1]) ++k;
      bool optional = layout[1] == '9';
      if (!Fraction(&v, &f) && !optional) return fail(layout.substr(0, k));
      layout.remove_prefix(k);
    } else if (layout[0] == '1' || layout[0] == '2' || layout[0] == '3' || layout[0] == '4' || layout[0] == '5') {
      char which = layout[0];
      if (!Number(&v, 2, false, &n)) return fail(layout.substr(0, 1));
      int x = static_cast<int>(n);
      (which == '1' ? f.month : which == '2' ? f.day : which == '3' ? f.hour : which == '4' ? f.minute : f.second) = x;
      layout.remove_prefix(1);
    } else {
      if (v.empty() || v[0] != layout[0]) return fail(layout.substr(0, 1));
      v.remove_prefix(1);
      layout.remove_prefix(1);
    }
  }
  if (!v.empty()) return absl::InvalidArgumentError(fmt::format("cannot parse \"{}\": extra text \"{}\"", value, v));
  if (f.pm >= 0) {
    if (f.hour < 1 || f.hour > 12) return absl::InvalidArgumentError(fmt::format("hour out of range in \"{}\"", value));
    f.hour = f.hour % 12 + (f.pm == 1 ? 12 : 0);
  }
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 60) {
    return absl::InvalidArgumentError(fmt::format("a field of \"{}\" is out of range", value));
  }
  int64_t days = DaysFromCivil(f.year, f.month, f.day);
  int64_t seconds = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - f.offset_seconds;
  return seconds * 1000 + f.millis;
}

}  // namespace strata::formats
