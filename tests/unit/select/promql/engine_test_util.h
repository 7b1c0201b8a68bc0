// File: tests/unit/select/promql/engine_test_util.h
//
// Runs a query through the public Engine API in tests and REQUIREs that it
// prepares and executes, printing the error when not.
#pragma once

#include <cstdint>
#include <string_view>

#include <catch2/catch.hpp>

#include "select/promql/engine.h"

namespace strata::promql {

inline QueryResult MustInstant(const Engine& engine, Querier& q, std::string_view query, int64_t t) {
  auto prepared = engine.NewInstantQuery(query, t);
  INFO(prepared.status().ToString());
  REQUIRE(prepared.ok());
  auto result = engine.Exec(*prepared, q);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

inline QueryResult MustRange(const Engine& engine, Querier& q, std::string_view query, int64_t start, int64_t end,
                             int64_t step) {
  auto prepared = engine.NewRangeQuery(query, start, end, step);
  INFO(prepared.status().ToString());
  REQUIRE(prepared.ok());
  auto result = engine.Exec(*prepared, q);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return *std::move(result);
}

}  // namespace strata::promql
