// strata_loadgen: generates and replays Prometheus remote_write traffic for
// the end-to-end ingest benchmark (scripts/bench.sh, bench/README.md).
//
//   strata_loadgen generate -snapshot=FILE -out=FILE [-hosts=100] [-duration=2h]
//       [-interval=15s] [-seriesPerRequest=2000] [-samplesPerSeries=1] [-seed=1] [-start=UNIX_S] [-shards=4]
//   strata_loadgen send -in=FILE [-url=http://127.0.0.1:8428/api/v1/write] [-concurrency=4] [-timeout=15m]
//       [-maxLead=FRAMES]
//   strata_loadgen inspect -in=FILE
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "bench/load/loadgen.h"

int main(int argc, char** argv) {
  using strata::bench::Flags;
  if (argc < 2) {
    std::fputs("usage: strata_loadgen generate|send|inspect -flag=value ...\n", stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  absl::StatusOr<Flags> flags = Flags::Parse(argc - 2, argv + 2);
  if (!flags.ok()) {
    fmt::print(stderr, "strata_loadgen: {}\n", flags.status().ToString());
    return 2;
  }
  if (cmd == "generate") return strata::bench::RunGenerate(*flags);
  if (cmd == "send") return strata::bench::RunSend(*flags);
  if (cmd == "inspect") return strata::bench::RunInspect(*flags);
  fmt::print(stderr, "strata_loadgen: unknown command {:?}\n", cmd);
  return 2;
}
