// RocksStore reads of the postings column family (docs/format/index.md,
// "postings"): lists, seekable iterators, label names and values, and the
// batched labels lookup the index reader filters candidates with.
#include <fmt/format.h>

#include <algorithm>

#include "common/base/status.h"
#include "storage/index/postings_iterator.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {
namespace {

// The smallest string greater than every string starting with `prefix`, or
// "" when there is none (all bytes 0xff).
std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (!s.empty()) s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

// The ids of one (scope, tenant, name, value): keys `prefix · id`. Reads
// lazily; the upper bound stops RocksDB at the end of the prefix instead of
// letting it step into the next value's keys.
class RocksPostings final : public PostingsIterator {
 public:
  static constexpr int kNextBeforeSeek = 3;

  // `db_path` (for error messages) must outlive the iterator.
  RocksPostings(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& db_path, std::string prefix)
      : db_path_(db_path), prefix_(std::move(prefix)), upper_(PrefixSuccessor(prefix_)), upper_slice_(ToSlice(upper_)) {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, cf));
  }

  bool Next() override {
    if (done_) return false;
    if (!started_) {
      started_ = true;
      it_->Seek(ToSlice(prefix_));
    } else {
      it_->Next();
    }
    return Settle();
  }

  bool Seek(uint64_t target) override {
    if (done_) return false;
    if (started_ && cur_ >= target) return true;
    if (started_) {
      // Intersections often seek just ahead (dense lists, runs of ids): a
      // few Next calls are cheaper than a Seek from the top of the tree.
      for (int i = 0; i < kNextBeforeSeek; ++i) {
        it_->Next();
        if (!Settle()) return false;
        if (cur_ >= target) return true;
      }
    }
    started_ = true;
    key_.assign(prefix_);
    PutBE64(&key_, target);
    it_->Seek(ToSlice(key_));
    return Settle();
  }

  uint64_t At() const override { return cur_; }

  absl::Status status() const override {
    return FromRocks(it_->status(), fmt::format("cannot read postings in \"{}\"", db_path_));
  }

 private:
  // Skips keys of longer values that share the prefix (a value holding
  // `00` followed by more bytes), then loads the id.
  bool Settle() {
    while (it_->Valid()) {
      const rocksdb::Slice key = it_->key();
      if (key.size() == prefix_.size() + 8 && StartsWith(key, prefix_)) {
        cur_ = LoadBE64(key.data() + prefix_.size());
        return true;
      }
      if (!StartsWith(key, prefix_)) break;
      it_->Next();
    }
    done_ = true;
    return false;
  }

  const std::string& db_path_;
  const std::string prefix_;
  const std::string upper_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::string key_;
  uint64_t cur_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<PostingsIterator> RocksStore::NewPostingsIterator(uint32_t scope, TenantId tenant,
                                                                  std::string_view name,
                                                                  std::string_view value) const {
  return std::make_unique<RocksPostings>(impl_->db.get(), impl_->cf[kPostings], impl_->options.path,
                                         PostingPrefix(scope, tenant, name, value));
}

absl::Status RocksStore::ForEachPosting(uint32_t scope, TenantId tenant, std::string_view name,
                                        std::string_view value, absl::FunctionRef<bool(uint64_t)> fn) const {
  RocksPostings it(impl_->db.get(), impl_->cf[kPostings], impl_->options.path,
                   PostingPrefix(scope, tenant, name, value));
  while (it.Next()) {
    if (!fn(it.At())) return absl::OkStatus();
  }
  return it.status();
}

absl::StatusOr<std::vector<uint64_t>> RocksStore::Postings(uint32_t scope, TenantId tenant, std::string_view name,
                                                            std::string_view value) const {
  std::vector<uint64_t> ids;
  RocksPostings it(impl_->db.get(), impl_->cf[kPostings], impl_->options.path,
                   PostingPrefix(scope, tenant, name, value));
  STRATA_RETURN_IF_ERROR(CollectPostings(it, 0, &ids));
  return ids;
}

absl::Status RocksStore::ForEachLabelValue(uint32_t scope, TenantId tenant, std::string_view name,
                                           std::string_view prefix,
                                           absl::FunctionRef<bool(std::string_view)> fn) const {
  const std::string name_prefix = NameValuesPrefix(scope, tenant, name);
  const std::string lower = name_prefix + std::string(prefix);
  std::string upper = PrefixSuccessor(lower);
  if (upper.empty()) upper = PrefixSuccessor(name_prefix);
  const rocksdb::Slice upper_slice = ToSlice(upper);
  auto it = impl_->NewIterator(kPostings, &upper_slice);
  it->Seek(ToSlice(lower));
  std::string next;
  while (it->Valid()) {
    const rocksdb::Slice key = it->key();
    if (!StartsWith(key, lower) || key.size() < name_prefix.size() + 9) break;
    // key = name_prefix | value | 0x00 | id(8)
    const std::string_view value = ToView(key).substr(name_prefix.size(), key.size() - name_prefix.size() - 9);
    // Every key of this value sorts before `name_prefix | value | 0x01`.
    next.assign(name_prefix).append(value).push_back('\x01');
    if (!fn(value)) return absl::OkStatus();
    it->Seek(ToSlice(next));
  }
  return impl_->IterStatus(*it, "read label values");
}

absl::StatusOr<std::vector<std::string>> RocksStore::LabelValues(uint32_t scope, TenantId tenant,
                                                                 std::string_view name) const {
  std::vector<std::string> values;
  STRATA_RETURN_IF_ERROR(ForEachLabelValue(scope, tenant, name, "", [&](std::string_view v) {
    values.emplace_back(v);
    return true;
  }));
  return values;
}

absl::Status RocksStore::ForEachLabelName(uint32_t scope, TenantId tenant,
                                          absl::FunctionRef<bool(std::string_view)> fn) const {
  const std::string prefix = PostingScopePrefix(scope, tenant);
  const std::string upper = PrefixSuccessor(prefix);
  const rocksdb::Slice upper_slice = ToSlice(upper);
  auto it = impl_->NewIterator(kPostings, &upper_slice);
  it->Seek(ToSlice(prefix));
  std::string next;
  while (it->Valid()) {
    const std::string_view key = ToView(it->key());
    if (key.size() < prefix.size() || key.compare(0, prefix.size(), prefix) != 0) break;
    const size_t end = key.find('\0', prefix.size());
    if (end == std::string_view::npos) {
      return absl::DataLossError(fmt::format("cannot list label names in \"{}\": malformed postings key",
                                             impl_->options.path));
    }
    const std::string_view name = key.substr(prefix.size(), end - prefix.size());
    // Every key of this name sorts before `prefix | name | 0x01`. The name
    // "" is the "all series" entry, not a label.
    next.assign(prefix).append(name).push_back('\x01');
    if (!name.empty() && !fn(name)) return absl::OkStatus();
    it->Seek(ToSlice(next));
  }
  return impl_->IterStatus(*it, "list label names");
}

absl::StatusOr<std::vector<SeriesRecord>> RocksStore::GetSeriesBatch(std::span<const uint64_t> ids) const {
  constexpr size_t kPerCall = 512;
  std::vector<SeriesRecord> out;
  out.reserve(ids.size());
  std::vector<std::string> keys(std::min(ids.size(), kPerCall));
  std::vector<rocksdb::Slice> slices(keys.size());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  for (size_t start = 0; start < ids.size(); start += kPerCall) {
    const size_t n = std::min(kPerCall, ids.size() - start);
    for (size_t i = 0; i < n; ++i) {
      keys[i] = EncodeBE64(ids[start + i]);
      slices[i] = ToSlice(keys[i]);
      values[i].Reset();
    }
    const bool sorted = std::is_sorted(ids.begin() + static_cast<ptrdiff_t>(start),
                                       ids.begin() + static_cast<ptrdiff_t>(start + n));
    impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->cf[kSeriesLabels], n, slices.data(), values.data(),
                        statuses.data(), sorted);
    for (size_t i = 0; i < n; ++i) {
      if (statuses[i].IsNotFound()) continue;
      STRATA_RETURN_IF_ERROR(FromRocks(statuses[i], fmt::format("cannot read labels of series {}", ids[start + i])));
      STRATA_ASSIGN_OR_RETURN(SeriesRecord r, DecodeSeriesLabels(ids[start + i], ToView(values[i])));
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace strata::storage
