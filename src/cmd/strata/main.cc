// strata: the Strata server. One binary, one role per process:
//   strata storage | insert | select | all  [-flag=value ...]
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "cmd/strata/roles.h"

namespace {

constexpr const char* kUsage =
    "usage: strata <role> [-flag=value ...]\n"
    "\n"
    "roles:\n"
    "  storage   a storage node: WAL + Gorilla head, serves insert and select RPC\n"
    "  insert    a stateless insert node: remote_write in, replicated to storage nodes\n"
    "  select    a stateless select node: Prometheus query API over all storage nodes\n"
    "  all       the three roles in one process, one HTTP port (the single-machine default)\n"
    "\n"
    "`strata <role> -help` lists the flags of a role.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  // Debian's abseil tracks lock-order graphs on every Mutex acquisition
  // (about 2% of ingest CPU); the lock order is reviewed, not checked at run
  // time.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // A query allocates and frees sample vectors of megabytes. With glibc's
  // defaults each of them is a fresh mmap (or a trimmed heap top) and is
  // page-faulted in again on every query: about 15% of the CPU of 24 h
  // dashboard queries (docs/benchmarks.md). Keep such blocks in the heap and
  // return free heap memory to the kernel only past 128 MiB.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  // glibc gives each thread that meets a locked arena a new one, up to 8 per
  // core, and each arena keeps the memory its threads freed. The ingest
  // threads' request buffers then sit in a dozen arenas at once: one arena
  // per core peaked 13% lower over the 24 h ingest (262 -> 229 MiB), for
  // 2-4% more CPU in 1 h runs pinned to one core (arena lock waits) that the
  // 24 h runs did not show. MALLOC_ARENA_MAX, when set, still decides.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  }
  std::string_view role = argv[1];
  std::span<char* const> args(argv + 2, static_cast<size_t>(argc - 2));
  if (role == "storage") return strata::RunStorage(args);
  if (role == "insert") return strata::RunInsert(args);
  if (role == "select") return strata::RunSelect(args);
  if (role == "all") return strata::RunAll(args);
  if (role == "-help" || role == "--help" || role == "-h" || role == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "unknown role \"%s\"\n\n%s", argv[1], kUsage);
  return 2;
}
