// File: cmd/strata/roles.h
//
// Entry points of the roles of the `strata` binary, each a composition root
// that owns its components, starts them in dependency order and stops them
// in reverse on SIGINT/SIGTERM (STYLE.md §5.1, §5.7). Each returns the
// process exit code.
#pragma once

#include <span>
#include <string>

#include "absl/status/status.h"
#include "common/net/http_auth.h"

namespace strata {

class FlagSet;

// The TLS of a role's HTTP port (-tls, -tlsCertFile, -tlsKeyFile,
// -tlsMinVersion, as VictoriaMetrics names them).
struct HttpTlsFlags {
  bool enabled = false;
  std::string cert_file;
  std::string key_file;
  std::string min_version = "TLS12";
};

// Flags every role has: logging, thread pool sizes, and the security of the
// HTTP port.
struct ProcessOptions {
  std::string logger_level = "info";
  int64_t io_threads = 2;
  int64_t work_threads = 8;
  // auth + TLS scope: see http_security_flags.cc and docs/security.md.
  HttpAuthOptions http_auth;
  HttpTlsFlags http_tls;
};

// -httpAuth.*, the admin authKeys and -tls*: registered by
// RegisterProcessFlags for every role.
void RegisterHttpSecurityFlags(FlagSet& flags, ProcessOptions* options);

void RegisterProcessFlags(FlagSet& flags, ProcessOptions* options);
// Applies the logger level; InvalidArgument for an unknown level.
absl::Status ApplyProcessOptions(const ProcessOptions& options);

// Parses `args` into `flags`; prints help or the error. Returns -1 to go on,
// otherwise the exit code to return.
int ParseFlagsOrExit(FlagSet& flags, std::span<char* const> args);

// Blocks SIGINT and SIGTERM in the calling thread (call before any thread is
// started, so every thread inherits the mask) and later waits for one.
void BlockTerminationSignals();
int WaitForTerminationSignal();

int RunStorage(std::span<char* const> args);
int RunInsert(std::span<char* const> args);
int RunSelect(std::span<char* const> args);
int RunAll(std::span<char* const> args);

}  // namespace strata
