// File: storage/index/rocks_status.h
//
// The one place where rocksdb::Status becomes absl::Status (STYLE.md §4.6),
// so every RocksDB failure reaches callers with a canonical code and a
// VictoriaMetrics-style message. Include only from .cc files: it pulls in a
// RocksDB header.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace rocksdb {
class Status;
}

namespace strata::storage {

// OK stays OK. Otherwise the message is "<context>: <rocksdb message>" and the
// code follows what the caller should do: Corruption -> DataLoss, NotFound ->
// NotFound, InvalidArgument/NotSupported -> InvalidArgument/Unimplemented,
// Busy/TryAgain/TimedOut -> Unavailable/DeadlineExceeded, IOError (disk
// full, permissions, I/O) and anything else -> Unavailable or Internal.
absl::Status FromRocks(const rocksdb::Status& status, std::string_view context);

}  // namespace strata::storage
