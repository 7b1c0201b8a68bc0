// File: cmd/strata/select_flags.h
//
// The query flags, shared by `strata select` and `strata all`.
#pragma once

#include "select/server/select_service.h"

namespace strata {

class FlagSet;

void RegisterSelectFlags(FlagSet& flags, select::SelectServiceOptions* options);

}  // namespace strata
