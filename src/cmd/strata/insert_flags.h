// File: cmd/strata/insert_flags.h
//
// The ingestion flags, shared by `strata insert` and `strata all`.
#pragma once

#include "insert/server/insert_service.h"

namespace strata {

class FlagSet;

void RegisterInsertFlags(FlagSet& flags, insert::InsertServiceOptions* options);

}  // namespace strata
