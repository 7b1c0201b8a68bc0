// RocksStore reads of the series dictionary.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/base/status.h"
#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {

absl::StatusOr<uint64_t> RocksStore::LookupSeriesId(TenantId tenant, const Labels& labels) const {
  std::string value;
  rocksdb::Status st = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf[kSeries], SeriesKey(tenant, labels), &value);
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot look up series {} of tenant {}", labels.ToString(), tenant.ToString())));
  if (value.size() != 8) {
    return absl::DataLossError(fmt::format("cannot look up series {}: id of {} bytes", labels.ToString(), value.size()));
  }
  const uint64_t id = LoadBE64(value.data());
  // DeleteSeries removes the key; this covers a write that raced with it.
  if (IsDeleted(id)) return absl::NotFoundError(fmt::format("series {} was deleted", labels.ToString()));
  return id;
}

absl::StatusOr<SeriesRecord> RocksStore::GetSeries(uint64_t id) const {
  std::string value;
  rocksdb::Status st = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf[kSeriesLabels], EncodeBE64(id), &value);
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot read labels of series {}", id)));
  return DecodeSeriesLabels(id, value);
}

// Postings reads (ForEachPosting, LabelValues, ...) are in rocks_postings_read.cc.

absl::Status RocksStore::ForEachSeries(TenantId tenant, absl::FunctionRef<bool(const SeriesRecord&)> fn) const {
  std::string prefix;
  PutTenant(&prefix, tenant);
  auto it = impl_->NewIterator(kSeries);
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (!StartsWith(key, prefix)) break;
    const rocksdb::Slice value = it->value();
    if (value.size() != 8) {
      return absl::DataLossError(fmt::format("cannot list series of tenant {} in \"{}\": id of {} bytes",
                                             tenant.ToString(), impl_->options.path, value.size()));
    }
    // The series key holds the canonical labels: `name\0value\0...`.
    SeriesRecord r;
    r.id = LoadBE64(value.data());
    r.tenant = tenant;
    std::vector<Label> labels;
    std::string_view rest = ToView(key).substr(8);
    while (!rest.empty()) {
      const size_t a = rest.find('\0');
      const size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
      if (b == std::string_view::npos) {
        return absl::DataLossError(fmt::format("cannot list series of tenant {} in \"{}\": malformed series key",
                                               tenant.ToString(), impl_->options.path));
      }
      labels.push_back(Label{std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1))});
      rest.remove_prefix(b + 1);
    }
    r.labels = Labels::FromSorted(std::move(labels));
    if (!fn(r)) return absl::OkStatus();
  }
  return impl_->IterStatus(*it, "list series");
}

absl::Status RocksStore::ForEachSeriesById(absl::FunctionRef<bool(const SeriesRecord&)> fn) const {
  auto it = impl_->NewIterator(kSeriesLabels);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      return absl::DataLossError(fmt::format("cannot list series in \"{}\": key of {} bytes", impl_->options.path,
                                             it->key().size()));
    }
    STRATA_ASSIGN_OR_RETURN(SeriesRecord r, DecodeSeriesLabels(LoadBE64(it->key().data()), ToView(it->value())));
    if (!fn(r)) return absl::OkStatus();
  }
  return impl_->IterStatus(*it, "list series");
}

}  // namespace strata::storage
