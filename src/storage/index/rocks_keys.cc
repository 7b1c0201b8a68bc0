#include <fmt/format.h>

#include "common/encoding/varint.h"
#include "storage/index/rocks_internal.h"
#include "storage/index/time_partition.h"

namespace strata::storage {

void PutBE32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (24 - 8 * i));
  out->append(b, 4);
}
void PutBE64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out->append(b, 8);
}
uint64_t LoadBE64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t LoadBE32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
// Flipping the sign bit makes the unsigned big-endian order of the bytes the
// numeric order of signed timestamps (negative ones first).
uint64_t FlipTime(int64_t t) { return static_cast<uint64_t>(t) ^ (1ull << 63); }
int64_t UnflipTime(uint64_t v) { return static_cast<int64_t>(v ^ (1ull << 63)); }

void PutTenant(std::string* out, TenantId t) {
  PutBE32(out, t.account_id);
  PutBE32(out, t.project_id);
}
TenantId LoadTenant(const char* p) { return TenantId{LoadBE32(p), LoadBE32(p + 4)}; }

std::string SeriesKey(TenantId tenant, const Labels& labels) {
  std::string k;
  PutTenant(&k, tenant);
  labels.AppendCanonical(&k);
  return k;
}

std::string PostingScopePrefix(uint32_t scope, TenantId tenant) {
  std::string k;
  PutBE32(&k, scope);
  PutTenant(&k, tenant);
  return k;
}

std::string PostingPrefix(uint32_t scope, TenantId tenant, std::string_view name, std::string_view value) {
  std::string k;
  k.reserve(12 + name.size() + value.size() + 2 + 8);
  PutBE32(&k, scope);
  PutTenant(&k, tenant);
  k.append(name);
  k.push_back('\0');
  k.append(value);
  k.push_back('\0');
  return k;
}

std::string NameValuesPrefix(uint32_t scope, TenantId tenant, std::string_view name) {
  std::string k;
  PutBE32(&k, scope);
  PutTenant(&k, tenant);
  k.append(name);
  k.push_back('\0');
  return k;
}

std::string ChunkKey(uint64_t series_id, int64_t min_time, uint32_t seq) {
  std::string k;
  k.reserve(kChunkKeySize);
  PutBE32(&k, PartitionOf(min_time));
  PutBE64(&k, series_id);
  PutBE64(&k, FlipTime(min_time));
  PutBE32(&k, seq);
  return k;
}

std::array<char, kTimestampsKeySize> TimestampsKey(int64_t min_time, uint64_t hash) {
  std::array<char, kTimestampsKeySize> k;
  const uint32_t partition = PartitionOf(min_time);
  const uint64_t time = FlipTime(min_time);
  for (int i = 0; i < 4; ++i) k[i] = static_cast<char>(partition >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) k[4 + i] = static_cast<char>(time >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) k[12 + i] = static_cast<char>(hash >> (56 - 8 * i));
  return k;
}

std::string EncodeBE64(uint64_t v) {
  std::string s;
  PutBE64(&s, v);
  return s;
}

// series_labels value: tenant (8 bytes) then length-prefixed name, value
// pairs (length-prefixed rather than NUL-separated so any byte round-trips).
std::string EncodeSeriesLabelsValue(TenantId tenant, const Labels& labels) {
  std::string v;
  PutTenant(&v, tenant);
  for (const Label& l : labels) {
    PutLengthPrefixed(&v, l.name);
    PutLengthPrefixed(&v, l.value);
  }
  return v;
}

absl::StatusOr<SeriesRecord> DecodeSeriesLabels(uint64_t id, std::string_view value) {
  if (value.size() < 8) {
    return absl::DataLossError(fmt::format("cannot decode labels of series {}: value of {} bytes", id, value.size()));
  }
  SeriesRecord r;
  r.id = id;
  r.tenant = LoadTenant(value.data());
  ByteReader reader(value.substr(8));
  std::vector<Label> labels;
  while (!reader.empty()) {
    std::string_view name, val;
    if (!reader.GetLengthPrefixed(&name) || !reader.GetLengthPrefixed(&val)) {
      return absl::DataLossError(fmt::format("cannot decode labels of series {}: truncated label", id));
    }
    labels.push_back(Label{std::string(name), std::string(val)});
  }
  r.labels = Labels::FromSorted(std::move(labels));
  return r;
}

}  // namespace strata::storage
