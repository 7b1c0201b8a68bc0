// File: common/formats/go_time_layout.h
//
// Parses a time written in a Go reference-time layout ("2006-01-02 15:04:05",
// time.Parse's convention), for the `custom:<layout>` time columns of
// VictoriaMetrics' CSV import. Supported layout elements: 2006 06 January Jan
// 01 1 02 _2 2 15 03 3 04 4 05 5 PM pm Monday Mon MST, fractions .000/.999
// (or ,000), and zones Z07:00 -07:00 Z0700 -0700 Z07 -07. Like Go, a
// fraction after the seconds is accepted even when the layout has none, and
// a zone abbreviation (MST) is read as UTC. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::formats {

// Unix milliseconds of `value` read with `layout`; InvalidArgument naming the
// mismatch otherwise.
absl::StatusOr<int64_t> ParseGoTime(std::string_view layout, std::string_view value);

}  // namespace strata::formats
