#include "storage/head/mem_postings.h"

#include "unit/storage/storage_test_util.h"

namespace strata::storage {
namespace {

using testing::M;

TEST_CASE("mem postings keep sorted ids per label pair and list values", "[storage][head][unit]") {
  MemPostings p;
  p.Add(1, Labels::FromUnsorted({{"__name__", "up"}, {"job", "a"}}));
  p.Add(2, Labels::FromUnsorted({{"__name__", "up"}, {"job", "b"}}));
  p.Add(5, Labels::FromUnsorted({{"__name__", "x"}, {"job", "a"}}));
  REQUIRE(p.Get("job", "a") != nullptr);
  CHECK(*p.Get("job", "a") == std::vector<uint64_t>{1, 5});
  CHECK(p.Get("job", "c") == nullptr);
  CHECK(p.All() == std::vector<uint64_t>{1, 2, 5});
  CHECK(p.LabelValues("job") == std::vector<std::string>{"a", "b"});
  CHECK(p.LabelValues("nope").empty());
  std::vector<Matcher> ms = {M(MatchType::kRegexMatch, "job", "a|b"), M(MatchType::kEqual, "__name__", "up")};
  CHECK(p.PostingsForMatchers(ms) == std::vector<uint64_t>{1, 2});
  CHECK(p.PostingsForMatchers({}) == std::vector<uint64_t>{1, 2, 5});
}

TEST_CASE("postings set operations work on sorted lists", "[storage][head][unit]") {
  CHECK(IntersectPostings({1, 3, 5, 7}, {3, 4, 5}) == std::vector<uint64_t>{3, 5});
  CHECK(SubtractPostings({1, 3, 5, 7}, {3, 4, 5}) == std::vector<uint64_t>{1, 7});
  CHECK(IntersectPostings({}, {1}).empty());
}

}  // namespace
}  // namespace strata::storage
