// The recovery policy of storage/index/rocks_recovery.h.
#include "storage/index/rocks_recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/base/logging.h"
#include "storage/index/rocks_internal.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRepairMarker = "STRATA_REPAIR_REQUESTED";

std::string UtcStamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
  return buf;
}

// `<base>-<stamp>`, or with a -N suffix when that exists already (two
// recoveries in one second).
std::string FreshSibling(const std::string& base) {
  const std::string stem = base + "-" + UtcStamp();
  std::string candidate = stem;
  for (int i = 1; fs::exists(candidate); ++i) candidate = fmt::format("{}-{}", stem, i);
  return candidate;
}

void FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Rebuilds `to` from the files of `from`: SSTs are hard-linked (RocksDB
// never rewrites a file in place, and the repair only renames), the rest
// (logs, MANIFEST, CURRENT, OPTIONS: small) copied, so the original stays
// untouched for inspection.
absl::Status CloneDir(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return absl::UnavailableError(fmt::format("cannot create \"{}\": {}", to, ec.message()));
  for (const fs::directory_entry& e : fs::directory_iterator(from, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name == kRepairMarker || name == "LOCK") continue;
    const fs::path dst = fs::path(to) / name;
    if (e.path().extension() == ".sst") {
      fs::create_hard_link(e.path(), dst, ec);
      if (!ec) continue;
    }
    fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing, ec);
    if (ec) return absl::UnavailableError(fmt::format("cannot copy \"{}\" to \"{}\": {}", e.path().string(), dst.string(), ec.message()));
  }
  if (ec) return absl::UnavailableError(fmt::format("cannot list \"{}\": {}", from, ec.message()));
  return absl::OkStatus();
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(const std::string& listed_from) {
  const char* names[] = {kCfSeries, kCfSeriesLabels, kCfPostings, kCfChunks15s, kCfMeta, kCfSeriesMaxTime, kCfDeletedSeries};
  std::vector<rocksdb::ColumnFamilyDescriptor> d;
  d.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (const char* n : names) d.emplace_back(n, rocksdb::ColumnFamilyOptions());
  // Merge operands (series_max_time) in a log the repair converts to a table
  // need the operator; the rest of the options only shape new files.
  d[1 + kSeriesMaxTime].options.merge_operator = NewMaxTimeMergeOperator();
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), listed_from, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known = false;
      for (const auto& x : d) known = known || x.name == name;
      if (!known) d.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
  }
  return d;
}

// After a repair the meta values may come from an older SST than the series
// dictionary (or be gone): the next series id must stay above every id in
// use, or a new series would take an existing series' id and its chunks.
absl::Status RaiseNextSeriesId(const std::string& path) {
  rocksdb::DBOptions dbo;
  dbo.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> d = Descriptors(path);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  STRATA_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(dbo, path, d, &handles, &raw),
                                   fmt::format("cannot open repaired index database \"{}\"", path)));
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* labels_cf = handles[1 + kSeriesLabels];
  rocksdb::ColumnFamilyHandle* meta_cf = handles[1 + kMeta];
  absl::Status result;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), labels_cf));
    it->SeekToLast();
    // A corrupt block at the end: fall back to a forward scan is not worth
    // it; report the error and keep the stored value.
    result = FromRocks(it->status(), fmt::format("cannot read series ids of \"{}\"", path));
    if (result.ok() && it->Valid() && it->key().size() == 8) {
      const uint64_t max_id = LoadBE64(it->key().data());
      std::string value;
      uint64_t stored = 0;
      rocksdb::Status st = db->Get(rocksdb::ReadOptions(), meta_cf, ToSlice(kMetaNextSeriesId), &value);
      if (st.ok() && value.size() == 8) stored = LoadBE64(value.data());
      if (stored <= max_id) {
        STRATA_LOG(Warn, "repaired index database \"{}\": next series id raised from {} to {} (above the largest id in use)",
                   path, stored, max_id + 1);
        rocksdb::WriteOptions wo;
        wo.sync = true;
        result = FromRocks(db->Put(wo, meta_cf, ToSlice(kMetaNextSeriesId), EncodeBE64(max_id + 1)),
                           fmt::format("cannot write meta of \"{}\"", path));
      }
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  return result;
}

absl::Status Repair(const std::string& path, RocksRecoveryReport* report) {
  report->moved_aside = FreshSibling(path + ".corrupt");
  std::error_code ec;
  fs::rename(path, report->moved_aside, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot move damaged index database \"{}\" aside: {}", path, ec.message()));
  }
  FsyncDir(fs::path(path).parent_path().string());
  STRATA_LOG(Error, "index database \"{}\" is damaged ({}); moved it to \"{}\" and repairing a copy", path,
             report->reason, report->moved_aside);
  STRATA_RETURN_IF_ERROR(CloneDir(report->moved_aside, path));

  rocksdb::DBOptions dbo;
  rocksdb::Status st = rocksdb::RepairDB(path, dbo, Descriptors(report->moved_aside), rocksdb::ColumnFamilyOptions());
  STRATA_RETURN_IF_ERROR(FromRocks(st, fmt::format("cannot repair index database \"{}\"", path)));

  // RepairDB moves every table it could not read, and also the logs it
  // converted and the old MANIFESTs, to lost/: only the tables are data loss.
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(fs::path(path) / "lost", ec)) {
    if (e.is_regular_file() && e.path().extension() == ".sst") {
      report->lost_files.push_back(e.path().string());
      report->lost_bytes += e.file_size();
    }
  }
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".sst") ++report->salvaged_files;
  }
  return RaiseNextSeriesId(path);
}

}  // namespace

uint64_t RocksRecoveryReport::corruptions() const {
  return (action == Action::kNone ? 0 : 1) + lost_files.size();
}

bool IsRocksCorruption(const absl::Status& open_error) {
  if (open_error.code() == absl::StatusCode::kDataLoss) return true;
  // CURRENT naming a MANIFEST that is gone is an IOError in RocksDB.
  const std::string msg(open_error.message());
  return open_error.code() == absl::StatusCode::kUnavailable && msg.find("No such file") != std::string::npos &&
         (msg.find("MANIFEST") != std::string::npos || msg.find(".sst") != std::string::npos);
}

absl::Status RequestRocksRepair(const std::string& db_path, std::string_view reason) {
  const std::string file = (fs::path(db_path) / kRepairMarker).string();
  {
    std::ofstream out(file, std::ios::trunc);
    out << reason << '\n';
    out.flush();
    if (!out) return absl::UnavailableError(fmt::format("cannot write \"{}\"", file));
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
  FsyncDir(db_path);
  STRATA_LOG(Error, "index database \"{}\" met corruption ({}); it will be repaired at the next start", db_path,
             reason);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RocksStore>> OpenRocksStoreWithRecovery(const RocksStoreOptions& options,
                                                                      RocksRecoveryReport* report) {
  RocksRecoveryReport local;
  if (report == nullptr) report = &local;
  *report = RocksRecoveryReport();

  const std::string marker = (fs::path(options.path) / kRepairMarker).string();
  std::error_code ec;
  if (fs::exists(marker, ec)) {
    std::ifstream in(marker);
    std::getline(in, report->reason);
    report->reason = "repair requested: " + report->reason;
  } else {
    auto store = RocksStore::Open(options);
    if (store.ok() || !IsRocksCorruption(store.status())) return store;
    report->reason = std::string(store.status().message());
  }

  report->action = RocksRecoveryReport::Action::kRepaired;
  absl::Status repaired = Repair(options.path, report);
  if (repaired.ok()) {
    auto store = RocksStore::Open(options);
    if (store.ok()) {
      if (report->lost_files.empty()) {
        STRATA_LOG(Warn, "repaired index database \"{}\": all {} table files salvaged; the damaged original is in \"{}\"",
                   options.path, report->salvaged_files, report->moved_aside);
      } else {
        STRATA_LOG(Error,
                   "repaired index database \"{}\": {} table files salvaged, {} unreadable table files ({} bytes) LOST "
                   "(moved to \"{}/lost\"); samples they held and that are not in the WAL are gone; the damaged "
                   "original is in \"{}\"",
                   options.path, report->salvaged_files, report->lost_files.size(), report->lost_bytes, options.path,
                   report->moved_aside);
      }
      return store;
    }
    repaired = store.status();
  }

  // Last resort: keep whatever is there for inspection and start empty, so
  // the node serves (and the WAL replays) instead of failing every restart.
  report->action = RocksRecoveryReport::Action::kRecreated;
  if (fs::exists(options.path, ec)) {
    report->moved_aside_unrepairable = FreshSibling(options.path + ".unrepairable");
    fs::rename(options.path, report->moved_aside_unrepairable, ec);
    if (ec) {
      return absl::UnavailableError(fmt::format("cannot repair index database \"{}\" ({}) nor move it aside: {}",
                                                options.path, std::string(repaired.message()), ec.message()));
    }
  }
  STRATA_LOG(Error,
             "cannot repair index database \"{}\": {}; starting with an EMPTY index database: every persisted "
             "sample not in the WAL is unavailable (kept in \"{}\" and \"{}\")",
             options.path, std::string(repaired.message()), report->moved_aside, report->moved_aside_unrepairable);
  return RocksStore::Open(options);
}

}  // namespace strata::storage
