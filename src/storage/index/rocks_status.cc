#include "storage/index/rocks_status.h"

#include <fmt/format.h>
#include <rocksdb/status.h>

namespace strata::storage {

absl::Status FromRocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string msg = fmt::format("{}: {}", context, status.ToString());
  using C = rocksdb::Status::Code;
  switch (status.code()) {
    case C::kOk:
      return absl::OkStatus();
    case C::kNotFound:
      return absl::NotFoundError(msg);
    case C::kCorruption:
      return absl::DataLossError(msg);
    case C::kNotSupported:
      return absl::UnimplementedError(msg);
    case C::kInvalidArgument:
      return absl::InvalidArgumentError(msg);
    case C::kTimedOut:
      return absl::DeadlineExceededError(msg);
    case C::kAborted:
      return absl::AbortedError(msg);
    case C::kIOError:
    case C::kBusy:
    case C::kTryAgain:
    case C::kIncomplete:
    case C::kShutdownInProgress:
    case C::kExpired:
    case C::kColumnFamilyDropped:
    case C::kCompactionTooLarge:
      return absl::UnavailableError(msg);
    case C::kMergeInProgress:
    case C::kMaxCode:
      break;
  }
  return absl::InternalError(msg);
}

}  // namespace strata::storage
