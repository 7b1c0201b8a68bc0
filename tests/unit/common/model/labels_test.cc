#include "common/model/labels.h"

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

namespace strata {
namespace {

std::vector<LabelView> Views(std::initializer_list<std::pair<const char*, const char*>> items) {
  std::vector<LabelView> out;
  for (auto& [n, v] : items) out.push_back(LabelView{n, v});
  return out;
}

TEST_CASE("label validation sorts labels and keeps them", "[common][labels]") {
  auto ls = Views({{"job", "a"}, {"__name__", "up"}, {"instance", "x"}});
  REQUIRE(ValidateAndSortLabels(&ls).ok());
  REQUIRE(ls.size() == 3);
  CHECK(ls[0].name == "__name__");
  CHECK(ls[1].name == "instance");
  CHECK(ls[2].name == "job");
}

TEST_CASE("label validation rejects what remote_write forbids", "[common][labels]") {
  SECTION("missing metric name") {
    auto ls = Views({{"job", "a"}});
    auto st = ValidateAndSortLabels(&ls);
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(st.message()).find("__name__") != std::string::npos);
  }
  SECTION("empty label name") {
    auto ls = Views({{"__name__", "up"}, {"", "a"}});
    CHECK(std::string(ValidateAndSortLabels(&ls).message()).find("empty name") != std::string::npos);
  }
  SECTION("duplicate label name") {
    auto ls = Views({{"__name__", "up"}, {"job", "a"}, {"job", "b"}});
    CHECK(std::string(ValidateAndSortLabels(&ls).message()).find("duplicate label name \"job\"") !=
          std::string::npos);
  }
  SECTION("NUL byte in a label name") {
    std::vector<LabelView> ls = {{"__name__", "up"}, {std::string_view("jo\0b", 4), "a"}};
    CHECK(std::string(ValidateAndSortLabels(&ls).message()).find("NUL") != std::string::npos);
  }
  SECTION("invalid UTF-8 in a value") {
    auto ls = Views({{"__name__", "up"}, {"job", "\xff\xfe"}});
    CHECK(std::string(ValidateAndSortLabels(&ls).message()).find("UTF-8") != std::string::npos);
  }
}

TEST_CASE("empty label values are treated as absent labels", "[common][labels]") {
  auto ls = Views({{"__name__", "up"}, {"job", ""}});
  REQUIRE(ValidateAndSortLabels(&ls).ok());
  CHECK(ls.size() == 1);
}

TEST_CASE("utf-8 validation accepts multibyte text and rejects overlong forms", "[common][labels]") {
  CHECK(IsValidUtf8("grüße 日本 🙂"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xe6\x97"));          // truncated
}

TEST_CASE("label validation finds a bad byte at every position of names and values", "[common][labels]") {
  // Validation proves plain ASCII eight bytes at a time before it looks at
  // single bytes: a bad byte must be found wherever it falls in a word or
  // in the tail, in names and values of any length.
  for (size_t len = 1; len <= 20; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      INFO("length " << len << ", bad byte at " << pos);
      std::string text(len, 'a');
      text[pos] = '\0';
      std::vector<LabelView> nul_name = {{"__name__", "up"}, {text, "v"}};
      CHECK(std::string(ValidateAndSortLabels(&nul_name).message()).find("NUL") != std::string::npos);
      std::vector<LabelView> nul_value = {{"__name__", "up"}, {"job", text}};
      CHECK(ValidateAndSortLabels(&nul_value).ok());  // values may hold NUL bytes

      text[pos] = '\xff';
      std::vector<LabelView> bad_name = {{"__name__", "up"}, {text, "v"}};
      CHECK(std::string(ValidateAndSortLabels(&bad_name).message()).find("UTF-8") != std::string::npos);
      std::vector<LabelView> bad_value = {{"__name__", "up"}, {"job", text}};
      CHECK(std::string(ValidateAndSortLabels(&bad_value).message()).find("UTF-8") != std::string::npos);

      if (pos + 1 < len) {
        text[pos] = '\xc3';  // a valid two-byte character: accepted
        text[pos + 1] = '\xa9';
        std::vector<LabelView> utf8 = {{"__name__", "up"}, {text, text}};
        CHECK(ValidateAndSortLabels(&utf8).ok());
      }
    }
  }
}

// What ValidateAndSortLabels must do, written the plain way: the reference
// for its one-pass shortcut. Returns false for an invalid set.
bool ReferenceValidate(std::vector<LabelView> ls, std::vector<LabelView>* out) {
  for (const LabelView& l : ls) {
    if (!IsValidUtf8(l.name) || !IsValidUtf8(l.value) || l.name.empty()) return false;
    if (l.name.find('\0') != std::string_view::npos) return false;
  }
  std::erase_if(ls, [](const LabelView& l) { return l.value.empty(); });
  std::sort(ls.begin(), ls.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
  bool has_metric_name = false;
  for (size_t i = 0; i < ls.size(); ++i) {
    if (i > 0 && ls[i].name == ls[i - 1].name) return false;
    has_metric_name |= ls[i].name == kMetricNameLabel;
  }
  *out = ls;
  return has_metric_name;
}

TEST_CASE("label validation agrees with a plain reference on random label sets", "[common][labels]") {
  // Names and values chosen to collide, sort on either side of __name__,
  // and carry every kind of problem; half the sets arrive sorted, as from
  // Prometheus, which is the shortcut's case.
  const std::vector<std::string_view> names = {"__name__", "__a", "_", "a", "ab", "b", "job", "",
                                               "\xc3\xa9", "\xff", std::string_view("a\0", 2), "zzzzzzzzzz"};
  const std::vector<std::string_view> values = {"x", "x", "up", "", "\xff", "y\xc3\xa9", std::string_view("v\0", 2),
                                                "a-long-value-of-many-bytes"};
  std::mt19937_64 rng(20261122);
  size_t valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<LabelView> ls;
    const size_t n = 1 + rng() % 5;
    for (size_t i = 0; i < n; ++i) ls.push_back({names[rng() % names.size()], values[rng() % values.size()]});
    if (rng() % 2 == 0) {
      std::sort(ls.begin(), ls.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
    }
    INFO("round " << round << ": " << FormatLabelViews(ls));
    std::vector<LabelView> want;
    const bool want_ok = ReferenceValidate(ls, &want);
    std::vector<LabelView> got = ls;
    REQUIRE(ValidateAndSortLabels(&got).ok() == want_ok);
    if (!want_ok) continue;
    ++valid;
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].name == want[i].name);
      CHECK(got[i].value == want[i].value);
    }
  }
  CHECK(valid > 1000);  // the valid case is exercised, not only the errors
}

TEST_CASE("labels render canonical bytes and Prometheus text", "[common][labels]") {
  Labels l = Labels::FromUnsorted({{"job", "a\"b"}, {"__name__", "up"}});
  CHECK(l.Canonical() == std::string("__name__\0up\0job\0a\"b\0", 20));
  CHECK(l.ToString() == "up{job=\"a\\\"b\"}");
  CHECK(l.Get("job") == "a\"b");
  CHECK(l.Get("missing").empty());
}

}  // namespace
}  // namespace strata
