#include <signal.h>

#include <cstdio>

#include "cmd/strata/roles.h"
#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/base/status.h"
#include "common/config/flags.h"

namespace strata {

void RegisterProcessFlags(FlagSet& flags, ProcessOptions* options) {
  flags.String("loggerLevel", &options->logger_level, "Minimum level of log lines: debug, info, warn or error");
  flags.Int("ioThreads", &options->io_threads, "Threads running network I/O");
  flags.Int("workThreads", &options->work_threads,
            "Threads running request handlers (decoding, query evaluation, WAL appends)");
  RegisterHttpSecurityFlags(flags, options);
}

absl::Status ApplyProcessOptions(const ProcessOptions& options) {
  if (!SetLogLevel(options.logger_level)) {
    return absl::InvalidArgumentError(
        fmt::format("invalid value \"{}\" for flag -loggerLevel: want debug, info, warn or error", options.logger_level));
  }
  if (options.io_threads < 1 || options.work_threads < 1) {
    return absl::InvalidArgumentError("-ioThreads and -workThreads must be at least 1");
  }
  return absl::OkStatus();
}

int ParseFlagsOrExit(FlagSet& flags, std::span<char* const> args) {
  absl::Status st = flags.Parse(args);
  if (flags.help_requested()) {
    std::fputs(flags.Help().c_str(), stdout);
    return 0;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 2;
  }
  return -1;
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  STRATA_LOG(Info, "received signal {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return sig;
}

}  // namespace strata
