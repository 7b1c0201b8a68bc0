// File: tests/fuzz/fuzz_check.h
//
// What every libFuzzer target of this folder shares: FUZZ_CHECK, which
// aborts (a crash the fuzzer records, with the input saved) when an
// invariant of the code under test does not hold, and helpers that compare
// decoded series with the bits of their samples.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/labels.h"
#include "common/model/sample.h"

// Aborts with `what` and the failed condition. Unlike assert it stays on in
// every build type.
#define FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                               \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace strata::fuzz {

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Owned copies of label views, so that a round trip can compare them after
// the buffers the views pointed into are gone (and so that every byte of
// every view is read: ASan then checks the views stay inside their buffer).
inline std::vector<Label> Own(std::span<const LabelView> labels) {
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const LabelView& l : labels) out.push_back({std::string(l.name), std::string(l.value)});
  return out;
}

inline bool SameSamples(std::span<const Sample> a, std::span<const Sample> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameBits(a[i], b[i])) return false;
  }
  return true;
}

// True when `labels` are sorted by name with unique names, as
// ValidateAndSortLabels leaves them.
inline bool SortedUnique(std::span<const LabelView> labels) {
  for (size_t i = 1; i < labels.size(); ++i) {
    if (!(labels[i - 1].name < labels[i].name)) return false;
  }
  return true;
}

}  // namespace strata::fuzz
