#include "common/model/tenant.h"

#include <charconv>

#include <fmt/format.h>

namespace strata {
namespace {

bool ParseUint32(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string TenantId::ToString() const {
  if (project_id == 0) return fmt::format("{}", account_id);
  return fmt::format("{}:{}", account_id, project_id);
}

absl::StatusOr<TenantId> TenantId::Parse(std::string_view text) {
  TenantId t;
  size_t colon = text.find(':');
  std::string_view account = text.substr(0, colon);
  bool ok = ParseUint32(account, &t.account_id);
  if (ok && colon != std::string_view::npos) ok = ParseUint32(text.substr(colon + 1), &t.project_id);
  if (!ok) {
    return absl::InvalidArgumentError(fmt::format(
        "cannot parse tenant \"{}\": want accountID or accountID:projectID, each a uint32", text));
  }
  return t;
}

}  // namespace strata
