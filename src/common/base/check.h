// File: common/base/check.h
//
// STRATA_CHECK(cond) << "message": aborts the process with the message when a
// programmer invariant is broken, in every build type. Broken invariants are
// not Statuses (STYLE.md §4.4): recoverable failures use absl::Status.
#pragma once

#include <sstream>

namespace strata::internal {

// Collects the streamed message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets the macro below end in a void expression whatever is streamed: `&`
// binds more loosely than `<<`, so the whole message is built first.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace strata::internal

#define STRATA_CHECK(cond)                 \
  (cond) ? (void)0                         \
         : ::strata::internal::Voidify() & \
               ::strata::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()
