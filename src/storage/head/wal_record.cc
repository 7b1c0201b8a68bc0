#include "storage/head/wal_record.h"

#include <bit>

#include "common/encoding/varint.h"
#include "storage/head/series.h"

namespace strata::storage {

namespace {

// Integer-valued doubles that round-trip bit-exact through int64 (not -0.0,
// NaN or +-Inf) are stored as varint deltas: counters and 0/1 gauges then
// take 1-5 bytes instead of 8.
bool IsIntValue(double v) {
  constexpr double kMax = 9007199254740992.0;  // 2^53: every integer below is exact
  if (!(v >= -kMax && v <= kMax)) return false;
  const int64_t i = static_cast<int64_t>(v);
  return std::bit_cast<uint64_t>(static_cast<double>(i)) == std::bit_cast<uint64_t>(v);
}

// Differences are taken modulo 2^64, so any int64 timestamps round-trip
// without signed overflow.
uint64_t Diff(int64_t a, int64_t b) { return static_cast<uint64_t>(a) - static_cast<uint64_t>(b); }

}  // namespace

void EncodeWalRecord(const HeadBatch& batch, std::string* out) {
  out->clear();
  const size_t total_samples = batch.sample_count();
  // Typical: ~8 bytes a sample plus a few per series; one reservation.
  out->reserve(16 + batch.series.size() * 6 + total_samples * 9);
  out->push_back(kWalSamplesRecordType);
  PutFixed32(out, batch.tenant.account_id);
  PutFixed32(out, batch.tenant.project_id);
  uint64_t defs = 0;
  for (const HeadBatch::Series& s : batch.series) defs += s.define ? 1 : 0;
  PutVarint(out, defs);
  for (const HeadBatch::Series& s : batch.series) {
    if (!s.define) continue;
    PutVarint(out, s.series->id);
    // The packed form is the record's (count, then name and value
    // length-prefixed).
    PutVarint(out, s.label_count);
    out->append(s.packed_labels);
  }
  // The samples part, most of the record: written through one appender
  // sized for the worst case (10-byte varints for every field).
  StringAppender w(out, batch.series.size() * 30 + total_samples * 20);
  auto put_signed_delta = [&w](uint64_t wrapped) { w.Varint(ZigZagEncode(static_cast<int64_t>(wrapped))); };
  uint64_t prev_id = 0;
  int64_t prev_first_t = 0;
  for (const HeadBatch::Series& s : batch.series) {
    // Series of one scrape were created together: consecutive ids, 1 byte.
    put_signed_delta(s.series->id - prev_id);
    prev_id = s.series->id;
    std::span<const Sample> samples = batch.samples_of(s);
    bool ints = true;
    for (const Sample& x : samples) ints = ints && IsIntValue(x.value);
    w.Varint((static_cast<uint64_t>(samples.size()) << 1) | (ints ? 1 : 0));
    // One scrape shares a timestamp: the first one is a delta from the
    // previous series' first (usually 0), the rest delta-of-delta.
    put_signed_delta(Diff(samples[0].timestamp_ms, prev_first_t));
    prev_first_t = samples[0].timestamp_ms;
    uint64_t prev_delta = 0;
    for (size_t i = 1; i < samples.size(); ++i) {
      const uint64_t delta = Diff(samples[i].timestamp_ms, samples[i - 1].timestamp_ms);
      put_signed_delta(i == 1 ? delta : delta - prev_delta);
      prev_delta = delta;
    }
    if (ints) {
      int64_t prev = 0;
      for (const Sample& x : samples) {
        const int64_t v = static_cast<int64_t>(x.value);
        put_signed_delta(Diff(v, prev));
        prev = v;
      }
    } else {
      for (const Sample& x : samples) w.Fixed64(std::bit_cast<uint64_t>(x.value));
    }
  }
  w.Finish();
}

absl::Status DecodeWalRecord(std::string_view record, WalRecord* out) {
  out->definitions.clear();
  out->entries.clear();
  out->labels.clear();
  out->samples.clear();
  auto fail = [](const char* what) {
    return absl::DataLossError(std::string("cannot decode WAL record: truncated or corrupt ") + what);
  };
  ByteReader r(record);
  std::string_view type;
  uint32_t account = 0, project = 0;
  if (!r.GetBytes(1, &type) || type[0] != kWalSamplesRecordType || !r.GetFixed32(&account) ||
      !r.GetFixed32(&project)) {
    return fail("header");
  }
  out->tenant = TenantId{account, project};
  uint64_t defs = 0;
  // Each definition takes at least 6 bytes: bounds the count before use.
  if (!r.GetVarint(&defs) || defs > r.remaining() / 6) return fail("definition count");
  out->definitions.reserve(defs);
  for (uint64_t d = 0; d < defs; ++d) {
    WalRecord::Definition def;
    uint64_t label_count = 0;
    if (!r.GetVarint(&def.id) || !r.GetVarint(&label_count) || label_count == 0 ||
        label_count > r.remaining() / 4) {
      return fail("definition");
    }
    def.label_begin = static_cast<uint32_t>(out->labels.size());
    for (uint64_t i = 0; i < label_count; ++i) {
      LabelView l;
      if (!r.GetLengthPrefixed(&l.name) || !r.GetLengthPrefixed(&l.value) || l.name.empty() || l.value.empty()) {
        return fail("definition label");
      }
      if (i > 0 && !(out->labels.back().name < l.name)) return fail("definition labels (unsorted)");
      out->labels.push_back(l);
    }
    def.label_end = static_cast<uint32_t>(out->labels.size());
    out->definitions.push_back(def);
  }
  uint64_t prev_id = 0;
  int64_t prev_first_t = 0;
  while (!r.empty()) {
    WalRecord::Entry e;
    int64_t id_delta = 0;
    uint64_t header = 0;
    if (!r.GetSignedVarint(&id_delta) || !r.GetVarint(&header)) return fail("series header");
    e.id = prev_id + static_cast<uint64_t>(id_delta);
    prev_id = e.id;
    const uint64_t n = header >> 1;
    const bool ints = (header & 1) != 0;
    // Every sample takes at least 2 bytes (timestamp and value).
    if (n == 0 || n > r.remaining() / 2) return fail("sample count");
    e.sample_begin = static_cast<uint32_t>(out->samples.size());
    int64_t first_delta = 0;
    if (!r.GetSignedVarint(&first_delta)) return fail("timestamp");
    int64_t t = static_cast<int64_t>(static_cast<uint64_t>(prev_first_t) + static_cast<uint64_t>(first_delta));
    prev_first_t = t;
    out->samples.push_back({t, 0});
    uint64_t delta = 0;
    for (uint64_t i = 1; i < n; ++i) {
      int64_t v = 0;
      if (!r.GetSignedVarint(&v)) return fail("timestamp");
      delta = (i == 1 ? 0 : delta) + static_cast<uint64_t>(v);
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
      out->samples.push_back({t, 0});
    }
    Sample* values = out->samples.data() + e.sample_begin;
    if (ints) {
      int64_t prev = 0;
      for (uint64_t i = 0; i < n; ++i) {
        int64_t d = 0;
        if (!r.GetSignedVarint(&d)) return fail("value");
        prev = static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(d));
        values[i].value = static_cast<double>(prev);
      }
    } else {
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t bits = 0;
        if (!r.GetFixed64(&bits)) return fail("value");
        values[i].value = std::bit_cast<double>(bits);
      }
    }
    e.sample_end = static_cast<uint32_t>(out->samples.size());
    out->entries.push_back(e);
  }
  return absl::OkStatus();
}

}  // namespace strata::storage
