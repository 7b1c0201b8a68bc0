#include "common/base/status.h"

#include <fmt/format.h>

namespace strata {

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), fmt::format("{}: {}", context, ToStd(status.message())));
}

}  // namespace strata
