#include "common/model/series_batch.h"

#include <algorithm>
#include <bit>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/model/write_batch.h"

namespace strata {
namespace {

struct Input {
  std::vector<Label> labels;
  std::vector<Sample> samples;
  std::vector<std::vector<Label>> exemplar_labels;
  std::vector<Sample> exemplars;  // timestamp and value
};

std::vector<LabelView> Views(const std::vector<Label>& labels) {
  std::vector<LabelView> views;
  for (const Label& l : labels) views.push_back({l.name, l.value});
  return views;
}

void Add(const Input& in, SeriesBatch* batch) {
  std::vector<LabelView> exemplar_labels;
  std::vector<ExemplarView> exemplars;
  for (size_t e = 0; e < in.exemplars.size(); ++e) {
    ExemplarView v;
    v.label_begin = static_cast<uint32_t>(exemplar_labels.size());
    for (const Label& l : in.exemplar_labels[e]) exemplar_labels.push_back({l.name, l.value});
    v.label_end = static_cast<uint32_t>(exemplar_labels.size());
    v.timestamp_ms = in.exemplars[e].timestamp_ms;
    v.value = in.exemplars[e].value;
    exemplars.push_back(v);
  }
  batch->AddSeries(Views(in.labels), in.samples, exemplars, exemplar_labels);
}

Input RandomInput(std::mt19937_64& rng, bool with_exemplars) {
  Input in;
  const size_t n_labels = 1 + rng() % 6;
  for (size_t i = 0; i < n_labels; ++i) {
    // Sorted, unique names; values of any length, long ones included.
    in.labels.push_back({std::string(1, static_cast<char>('a' + i)) + std::to_string(i),
                         std::string(1 + rng() % 200, static_cast<char>('0' + rng() % 10))});
  }
  const size_t n_samples = (with_exemplars && rng() % 3 == 0) ? 0 : 1 + rng() % 50;
  int64_t t = static_cast<int64_t>(rng());  // any timestamp, wrap-around deltas included
  for (size_t i = 0; i < n_samples; ++i) {
    in.samples.push_back({t, std::bit_cast<double>(rng())});  // any bits: NaN payloads too
    t += static_cast<int64_t>(rng() % 100000) - 1000;
  }
  const size_t n_exemplars = with_exemplars ? (n_samples == 0 ? 1 : 0) + rng() % 3 : 0;
  for (size_t e = 0; e < n_exemplars; ++e) {
    std::vector<Label> labels;
    const size_t n_labels_e = rng() % 3;
    for (size_t i = 0; i < n_labels_e; ++i) labels.push_back({"trace_id" + std::to_string(i), std::to_string(rng())});
    in.exemplar_labels.push_back(std::move(labels));
    in.exemplars.push_back({static_cast<int64_t>(rng()), std::bit_cast<double>(rng())});
  }
  return in;
}

bool SameBits(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp_ms != b[i].timestamp_ms ||
        std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

// Decodes `encoded` and checks it holds inputs[i] for each i of `subset`, in
// that order.
void CheckEncoded(const std::string& encoded, TenantId tenant, bool with_exemplars, const std::vector<Input>& inputs,
                  const std::vector<uint32_t>& subset) {
  auto reader = WriteBatchReader::Open(encoded);
  REQUIRE(reader.ok());
  CHECK(reader->tenant() == tenant);
  CHECK(reader->with_exemplars() == with_exemplars);
  SeriesView view;
  size_t n = 0;
  while (reader->Next(&view)) {
    REQUIRE(n < subset.size());
    const Input& want = inputs[subset[n]];
    CHECK(Labels::FromSorted(std::vector<Label>(want.labels)) == UnpackLabels(view.packed_labels));
    CHECK(view.labels.size() == want.labels.size());
    CHECK(SameBits(view.samples, want.samples));
    REQUIRE(view.exemplars.size() == (with_exemplars ? want.exemplars.size() : 0));
    for (size_t e = 0; e < view.exemplars.size(); ++e) {
      const ExemplarView& got = view.exemplars[e];
      std::vector<Label> labels;
      for (const LabelView& l : got.labels_in(view.exemplar_labels)) {
        labels.push_back({std::string(l.name), std::string(l.value)});
      }
      CHECK(labels == want.exemplar_labels[e]);
      CHECK(SameBits({{got.timestamp_ms, got.value}}, {want.exemplars[e]}));
    }
    ++n;
  }
  REQUIRE(reader->status().ok());
  CHECK(n == subset.size());
}

TEST_CASE("series batch encodes any subset of its series to a write batch that decodes to them",
          "[common][series_batch][unit]") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    const bool with_exemplars = seed % 3 == 0;
    const TenantId tenant{static_cast<uint32_t>(seed), static_cast<uint32_t>(rng())};
    SeriesBatch batch(tenant);
    std::vector<Input> inputs(1 + rng() % 30);
    size_t samples = 0;
    for (Input& in : inputs) {
      in = RandomInput(rng, with_exemplars);
      samples += in.samples.size();
      Add(in, &batch);
    }
    const bool has_exemplars = batch.exemplar_count() > 0;
    REQUIRE(batch.series_count() == inputs.size());
    CHECK(batch.sample_count() == samples);

    // The series keep their packed labels, samples and exemplars.
    for (size_t i = 0; i < inputs.size(); ++i) {
      const SeriesBatch::Series& s = batch.series()[i];
      CHECK(batch.packed_labels(s) == PackLabels(inputs[i].labels));
      CHECK(s.label_count == inputs[i].labels.size());
      CHECK(SameBits(std::vector<Sample>(batch.samples(s).begin(), batch.samples(s).end()), inputs[i].samples));
      CHECK(batch.exemplars(s).size() == inputs[i].exemplars.size());
    }

    std::vector<uint32_t> all(inputs.size());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    CheckEncoded(batch.EncodeAll(), tenant, has_exemplars, inputs, all);
    // A random subset in a random order, as the Router sends to one node.
    std::vector<uint32_t> subset;
    for (uint32_t i = 0; i < inputs.size(); ++i) {
      if (rng() % 2) subset.push_back(i);
    }
    std::shuffle(subset.begin(), subset.end(), rng);
    CheckEncoded(batch.Encode(subset), tenant, has_exemplars, inputs, subset);
  }
}

TEST_CASE("series batch without exemplars encodes the same bytes as the write batch builder",
          "[common][series_batch][unit]") {
  // Nodes of different versions, and the WAL's legacy records, see the same
  // 0x57 form whichever builder made it.
  std::mt19937_64 rng(42);
  const TenantId tenant{3, 4};
  SeriesBatch batch(tenant);
  WriteBatchBuilder builder(tenant);
  for (int i = 0; i < 50; ++i) {
    Input in = RandomInput(rng, /*with_exemplars=*/false);
    Add(in, &batch);
    builder.AddSeries(Views(in.labels), in.samples);
  }
  CHECK(batch.EncodeAll() == builder.Finish());
}

}  // namespace
}  // namespace strata
