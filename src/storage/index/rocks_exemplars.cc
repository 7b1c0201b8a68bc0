// Exemplars and metric metadata in the RocksStore (rocks_store.h
// PutExemplars / PutMetadata; docs/format/index.md).
#include <bit>

#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {
namespace {

std::string ExemplarSeriesPrefix(TenantId tenant, uint64_t series_hash) {
  std::string k;
  PutTenant(&k, tenant);
  PutBE64(&k, series_hash);
  return k;
}

std::string EncodeExemplarValue(const RocksStore::ExemplarToStore& e) {
  std::string v;
  PutFixed64(&v, std::bit_cast<uint64_t>(e.value));
  PutVarint(&v, e.labels.size());
  for (const LabelView& l : e.labels) {
    PutLengthPrefixed(&v, l.name);
    PutLengthPrefixed(&v, l.value);
  }
  return v;
}

bool DecodeExemplarValue(std::string_view value, Exemplar* out) {
  ByteReader r(value);
  uint64_t bits = 0, n = 0;
  if (!r.GetFixed64(&bits) || !r.GetVarint(&n) || n > r.remaining() / 2) return false;
  out->value = std::bit_cast<double>(bits);
  std::vector<Label> labels(n);
  for (Label& l : labels) {
    std::string_view name, val;
    if (!r.GetLengthPrefixed(&name) || !r.GetLengthPrefixed(&val)) return false;
    l.name.assign(name);
    l.value.assign(val);
  }
  out->labels = Labels::FromUnsorted(std::move(labels));
  return true;
}

}  // namespace

absl::Status RocksStore::PutExemplars(TenantId tenant, std::span<const ExemplarToStore> exemplars,
                                      size_t max_per_series, bool sync) {
  Impl& s = *impl_;
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  const std::string where = fmt::format("cannot write exemplars to index database \"{}\"", s.options.path);
  // Serialized: the per-series counts and the trimming must not interleave.
  // Exemplars are a small fraction of ingest (a few per series per scrape).
  absl::MutexLock l(&s.exemplar_mu);
  std::string value;
  for (const ExemplarToStore& e : exemplars) {
    std::string prefix = ExemplarSeriesPrefix(tenant, e.series_hash);
    auto [count_it, inserted] = s.exemplar_counts.try_emplace(prefix, 0);
    if (inserted) {
      // First write of this series since Open: count what is stored.
      std::string upper = prefix;
      PutBE64(&upper, ~uint64_t{0});
      upper.push_back('\xff');
      rocksdb::Slice upper_slice = ToSlice(upper);
      std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(kExemplars, &upper_slice);
      for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) ++count_it->second;
      STRATA_RETURN_IF_ERROR(s.IterStatus(*it, "count exemplars"));
    }
    std::string key = prefix;
    PutBE64(&key, FlipTime(e.timestamp_ms));
    rocksdb::Status st = s.db->Get(rocksdb::ReadOptions(), s.cf[kExemplars], ToSlice(key), &value);
    const bool exists = st.ok();
    if (!exists && !st.IsNotFound()) return FromRocks(st, where);
    STRATA_RETURN_IF_ERROR(FromRocks(s.db->Put(wo, s.cf[kExemplars], ToSlice(key), EncodeExemplarValue(e)), where));
    if (exists) continue;
    uint32_t& count = count_it->second;
    ++count;
    if (max_per_series == 0 || count <= max_per_series) continue;
    // Over the cap: drop the oldest, which sort first under the prefix.
    std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(kExemplars);
    rocksdb::WriteBatch drop;
    for (it->Seek(ToSlice(prefix)); it->Valid() && StartsWith(it->key(), prefix) && count > max_per_series;
         it->Next()) {
      rocksdb::Status ds = drop.Delete(s.cf[kExemplars], it->key());
      ds.PermitUncheckedError();
      --count;
    }
    STRATA_RETURN_IF_ERROR(s.IterStatus(*it, "trim exemplars"));
    STRATA_RETURN_IF_ERROR(FromRocks(s.db->Write(wo, &drop), where));
  }
  return absl::OkStatus();
}

absl::Status RocksStore::ReadExemplars(TenantId tenant, uint64_t series_hash, int64_t mint, int64_t maxt,
                                       std::vector<Exemplar>* out) const {
  const Impl& s = *impl_;
  std::string start = ExemplarSeriesPrefix(tenant, series_hash);
  std::string upper = start;
  PutBE64(&start, FlipTime(mint));
  if (maxt == std::numeric_limits<int64_t>::max()) {
    PutBE64(&upper, ~uint64_t{0});
    upper.push_back('\xff');
  } else {
    PutBE64(&upper, FlipTime(maxt + 1));
  }
  rocksdb::Slice upper_slice = ToSlice(upper);
  std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(kExemplars, &upper_slice);
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    if (it->key().size() != 24) continue;
    Exemplar e;
    e.timestamp_ms = UnflipTime(LoadBE64(it->key().data() + 16));
    if (!DecodeExemplarValue(ToView(it->value()), &e)) {
      return absl::DataLossError(
          fmt::format("cannot read exemplars in \"{}\": corrupt value of {} bytes", s.options.path, it->value().size()));
    }
    out->push_back(std::move(e));
  }
  return s.IterStatus(*it, "read exemplars");
}

absl::Status RocksStore::PutMetadata(TenantId tenant, std::span<const MetricMetadata> metadata, bool sync) {
  const Impl& s = *impl_;
  rocksdb::WriteBatch wb;
  for (const MetricMetadata& m : metadata) {
    std::string key;
    PutTenant(&key, tenant);
    key.append(m.metric_family_name);
    std::string value;
    PutVarint(&value, m.type);
    PutLengthPrefixed(&value, m.help);
    PutLengthPrefixed(&value, m.unit);
    rocksdb::Status st = wb.Put(s.cf[kMetricMetadata], key, value);
    st.PermitUncheckedError();  // WriteBatch::Put fails only above 4 GiB
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(s.db->Write(wo, &wb),
                   fmt::format("cannot write metric metadata to index database \"{}\"", s.options.path));
}

absl::Status RocksStore::ReadMetadata(TenantId tenant, std::string_view metric, uint64_t limit,
                                      std::vector<MetricMetadata>* out) const {
  const Impl& s = *impl_;
  std::string prefix;
  PutTenant(&prefix, tenant);
  std::unique_ptr<rocksdb::Iterator> it = s.NewIterator(kMetricMetadata);
  std::string start = prefix;
  start.append(metric);
  for (it->Seek(ToSlice(start)); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    std::string_view name = ToView(it->key()).substr(prefix.size());
    if (!metric.empty() && name != metric) break;
    if (limit > 0 && out->size() >= limit) break;
    ByteReader r(ToView(it->value()));
    uint64_t type = 0;
    std::string_view help, unit;
    if (!r.GetVarint(&type) || !r.GetLengthPrefixed(&help) || !r.GetLengthPrefixed(&unit)) {
      return absl::DataLossError(fmt::format("cannot read metric metadata in \"{}\": corrupt value for \"{}\"",
                                             s.options.path, name));
    }
    out->push_back(MetricMetadata{std::string(name), static_cast<uint32_t>(type), std::string(help), std::string(unit)});
  }
  return s.IterStatus(*it, "read metric metadata");
}

}  // namespace strata::storage
