// File: common/model/tenant.h
//
// A tenant is `accountID:projectID`, two uint32, as in VictoriaMetrics cluster
// URLs (`/insert/<accountID>[:<projectID>]/...`). The default tenant is 0:0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata {

struct TenantId {
  uint32_t account_id = 0;
  uint32_t project_id = 0;

  friend bool operator==(const TenantId&, const TenantId&) = default;
  friend auto operator<=>(const TenantId&, const TenantId&) = default;

  // "12:3", or "12" when projectID is 0.
  std::string ToString() const;

  // Parses "accountID" or "accountID:projectID" (decimal uint32 each).
  // Returns InvalidArgument naming the bad text otherwise.
  static absl::StatusOr<TenantId> Parse(std::string_view text);
};

template <typename H>
H AbslHashValue(H h, const TenantId& t) {
  return H::combine(std::move(h), t.account_id, t.project_id);
}

}  // namespace strata
