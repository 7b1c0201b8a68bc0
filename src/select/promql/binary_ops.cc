#include "select/promql/binary_ops.h"

namespace strata::promql {

// Placeholders until the implementation lands.
double ScalarBinop(BinaryOp, double, double) { return 0; }
absl::Status VectorScalarBinop(const Vector&, double, bool, const BinaryContext&, Vector&) {
  return absl::UnimplementedError("binary operators are not implemented yet");
}
absl::Status VectorVectorBinop(const Vector&, const Vector&, const BinaryContext&, Vector&) {
  return absl::UnimplementedError("binary operators are not implemented yet");
}

}  // namespace strata::promql
