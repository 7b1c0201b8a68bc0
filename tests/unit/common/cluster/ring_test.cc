#include "common/cluster/ring.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace strata {
namespace {

std::vector<std::string> NodeNames(size_t n) {
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.push_back(fmt::format("storage-{}.strata.svc:8400", i));
  return names;
}

bool AllUsable(size_t) { return true; }

uint32_t Primary(const HashRing& ring, uint64_t h) {
  NodeList out;
  ring.Route(h, 1, AllUsable, &out);
  return out.at(0);
}

constexpr size_t kSeries = 1'000'000;

std::vector<uint64_t> RandomHashes(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<uint64_t> hashes(n);
  for (auto& h : hashes) h = rng();
  return hashes;
}

TEST_CASE("ring spreads a million series over 10 nodes within 1.1x of the mean", "[cluster][ring]") {
  HashRing ring(NodeNames(10));
  std::vector<size_t> load(10, 0);
  for (uint64_t h : RandomHashes(kSeries)) ++load[Primary(ring, h)];
  double mean = static_cast<double>(kSeries) / 10;
  size_t max = *std::max_element(load.begin(), load.end());
  size_t min = *std::min_element(load.begin(), load.end());
  INFO("max " << max << " min " << min << " mean " << mean);
  CHECK(static_cast<double>(max) <= 1.1 * mean);
  CHECK(static_cast<double>(min) >= 0.9 * mean);
}

TEST_CASE("adding an 11th node moves at most 1.2/11 of the series, all of them to the new node",
          "[cluster][ring]") {
  auto names = NodeNames(11);
  HashRing before(std::vector<std::string>(names.begin(), names.begin() + 10));
  HashRing after(names);
  size_t moved = 0;
  for (uint64_t h : RandomHashes(kSeries)) {
    uint32_t a = Primary(before, h), b = Primary(after, h);
    if (a != b) {
      ++moved;
      REQUIRE(b == 10);  // series only ever move to the node that joined
    }
  }
  INFO("moved " << moved);
  CHECK(static_cast<double>(moved) <= 1.2 / 11 * kSeries);
  CHECK(moved > 0);
}

TEST_CASE("removing a node moves only the series that lived on it", "[cluster][ring]") {
  auto names = NodeNames(10);
  HashRing before(names);
  std::vector<std::string> rest = names;
  rest.erase(rest.begin() + 3);
  HashRing after(rest);
  size_t moved = 0;
  for (uint64_t h : RandomHashes(kSeries)) {
    const std::string& a = before.node_name(Primary(before, h));
    const std::string& b = after.node_name(Primary(after, h));
    if (a != names[3]) {
      REQUIRE(a == b);
    } else {
      ++moved;
    }
  }
  CHECK(moved > 0);
}

TEST_CASE("ring routes replicas to distinct nodes in a stable preference order", "[cluster][ring]") {
  HashRing ring(NodeNames(5));
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    uint64_t h = rng();
    NodeList three;
    ring.Route(h, 3, AllUsable, &three);
    REQUIRE(three.size() == 3);
    REQUIRE(std::set<uint32_t>(three.begin(), three.end()).size() == 3);
    std::vector<uint32_t> order;
    ring.PreferenceOrder(h, &order);
    REQUIRE(order.size() == 5);
    REQUIRE(std::set<uint32_t>(order.begin(), order.end()).size() == 5);
    // The replicas are a prefix of the failover order.
    REQUIRE(std::equal(three.begin(), three.end(), order.begin()));
  }
}

TEST_CASE("ring skips unusable nodes and takes the next ones in preference order", "[cluster][ring]") {
  HashRing ring(NodeNames(5));
  std::mt19937_64 rng(2);
  for (int i = 0; i < 1000; ++i) {
    uint64_t h = rng();
    std::vector<uint32_t> order;
    ring.PreferenceOrder(h, &order);
    uint32_t down = order[0];
    NodeList out;
    ring.Route(h, 2, [&](size_t n) { return n != down; }, &out);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == order[1]);
    CHECK(out[1] == order[2]);
  }
}

TEST_CASE("ring returns fewer nodes than asked when not enough are usable", "[cluster][ring]") {
  HashRing ring(NodeNames(4));
  NodeList out;
  ring.Route(12345, 3, [](size_t n) { return n == 2; }, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == 2);
  ring.Route(12345, 3, [](size_t) { return false; }, &out);
  CHECK(out.empty());
  ring.Route(12345, 7, AllUsable, &out);
  CHECK(out.size() == 4);
}

TEST_CASE("ring placement depends on node names, not on their order", "[cluster][ring]") {
  auto names = NodeNames(6);
  auto reversed = names;
  std::reverse(reversed.begin(), reversed.end());
  HashRing a(names), b(reversed);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    uint64_t h = rng();
    REQUIRE(a.node_name(Primary(a, h)) == b.node_name(Primary(b, h)));
  }
}

}  // namespace
}  // namespace strata
