// Rebuilding the head from WAL records at startup.
#include <fmt/format.h>

#include "storage/head/head.h"

namespace strata::storage {

absl::Status Head::ReplayWalRecord(std::string_view record, AppendStats* stats) {
  // Records were validated before they were logged, so a failure here means
  // a CRC-valid but foreign or corrupt payload: skip it whole rather than
  // apply half a batch.
  absl::Status valid = ValidateWriteBatch(record);
  if (!valid.ok()) {
    return absl::DataLossError(fmt::format("cannot replay WAL record: {}", std::string(valid.message())));
  }
  return Append(record, stats);
}

}  // namespace strata::storage
