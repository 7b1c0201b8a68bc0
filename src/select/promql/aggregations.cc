#include "select/promql/aggregations.h"

namespace strata::promql {

// Placeholder until the implementation lands.
absl::Status Aggregate(const Vector&, const AggregateContext&, Vector&) {
  return absl::UnimplementedError("aggregations are not implemented yet");
}

}  // namespace strata::promql
