// Fuzzes the WriteBatch decoder (common/model/write_batch.h), which every
// storage node runs on the batches insert nodes send and on its WAL at
// replay. Invariants: every malformed batch is DataLoss; a batch that
// decodes is rebuilt by WriteBatchBuilder series by series (by AddSeries and
// by AddPackedSeries) to a batch that decodes to the same tenant, labels,
// samples and exemplars.
#include <cstdint>
#include <string>
#include <vector>

#include "common/model/write_batch.h"
#include "fuzz/fuzz_check.h"

namespace strata::fuzz {
namespace {

struct Decoded {
  std::vector<Label> labels;
  std::vector<Sample> samples;
  std::vector<std::vector<Label>> exemplar_labels;
  std::vector<Sample> exemplars;  // timestamp and value
};

// Decodes `batch`; false when it is malformed.
bool DecodeAll(std::string_view batch, TenantId* tenant, bool* with_exemplars, std::vector<Decoded>* out) {
  absl::StatusOr<WriteBatchReader> reader = WriteBatchReader::Open(batch);
  if (!reader.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(reader.status()), reader.status().ToString());
    return false;
  }
  *tenant = reader->tenant();
  *with_exemplars = reader->with_exemplars();
  SeriesView s;
  while (reader->Next(&s)) {
    Decoded d{Own(s.labels), s.samples, {}, {}};
    for (const ExemplarView& e : s.exemplars) {
      FUZZ_CHECK(e.label_begin <= e.label_end && e.label_end <= s.exemplar_labels.size(),
                 "an exemplar's labels are outside the series' exemplar labels");
      d.exemplar_labels.push_back(Own(e.labels_in(s.exemplar_labels)));
      d.exemplars.push_back({e.timestamp_ms, e.value});
    }
    out->push_back(std::move(d));
  }
  if (!reader->status().ok()) {
    FUZZ_CHECK(absl::IsDataLoss(reader->status()), reader->status().ToString());
    return false;
  }
  return true;
}

void CheckSame(const std::vector<Decoded>& a, const std::vector<Decoded>& b) {
  FUZZ_CHECK(a.size() == b.size(), "the series count changed in a rebuild");
  for (size_t i = 0; i < a.size(); ++i) {
    FUZZ_CHECK(a[i].labels == b[i].labels, "labels changed in a rebuild");
    FUZZ_CHECK(SameSamples(a[i].samples, b[i].samples), "samples changed in a rebuild");
    FUZZ_CHECK(a[i].exemplar_labels == b[i].exemplar_labels, "exemplar labels changed in a rebuild");
    FUZZ_CHECK(SameSamples(a[i].exemplars, b[i].exemplars), "exemplars changed in a rebuild");
  }
}

}  // namespace
}  // namespace strata::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  using namespace strata::fuzz;
  TenantId tenant;
  bool with_exemplars = false;
  std::vector<Decoded> series;
  if (!DecodeAll(AsView(data, size), &tenant, &with_exemplars, &series)) return 0;

  WriteBatchBuilder rebuilt(tenant, with_exemplars);
  WriteBatchBuilder packed(tenant, with_exemplars);
  for (size_t i = 0; i < series.size(); ++i) {
    const Decoded& d = series[i];
    std::vector<LabelView> labels;
    for (const Label& l : d.labels) labels.push_back({l.name, l.value});
    std::vector<LabelView> exemplar_labels;
    std::vector<ExemplarView> exemplars;
    std::vector<std::string> exemplar_packed(d.exemplars.size());
    std::vector<WriteBatchBuilder::PackedExemplar> packed_exemplars;
    for (size_t e = 0; e < d.exemplars.size(); ++e) {
      exemplar_packed[e] = PackLabels(d.exemplar_labels[e]);
      packed_exemplars.push_back(
          {exemplar_packed[e], d.exemplar_labels[e].size(), d.exemplars[e].timestamp_ms, d.exemplars[e].value});
      ExemplarView v;
      v.label_begin = static_cast<uint32_t>(exemplar_labels.size());
      for (const Label& l : d.exemplar_labels[e]) exemplar_labels.push_back({l.name, l.value});
      v.label_end = static_cast<uint32_t>(exemplar_labels.size());
      v.timestamp_ms = d.exemplars[e].timestamp_ms;
      v.value = d.exemplars[e].value;
      exemplars.push_back(v);
    }
    rebuilt.AddSeries(labels, d.samples, exemplars, exemplar_labels);
    packed.AddPackedSeries(PackLabels(d.labels), d.labels.size(), d.samples, packed_exemplars);
  }
  for (WriteBatchBuilder* b : {&rebuilt, &packed}) {
    std::string again = b->Finish();
    TenantId t2;
    bool e2 = false;
    std::vector<Decoded> series2;
    FUZZ_CHECK(DecodeAll(again, &t2, &e2, &series2), "a rebuilt batch does not decode");
    FUZZ_CHECK(t2 == tenant && e2 == with_exemplars, "tenant or kind changed in a rebuild");
    CheckSame(series, series2);
  }
  return 0;
}
