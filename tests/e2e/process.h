// File: tests/e2e/process.h
//
// Child processes for end-to-end tests: start a real binary with arguments,
// send it signals (SIGKILL to simulate a crash, SIGTERM for a graceful stop)
// and wait for it. Output goes to a log file that failing tests print.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace strata::testing {

// Owns one child process; the destructor kills it (SIGKILL) if still running.
// Thread-compatible.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `argv[0]` with `argv`, stdout and stderr appended to `log_path`.
  void Start(const std::vector<std::string>& argv, const std::string& log_path);
  // Sends `signal` and waits for the exit. Returns the wait status.
  int Stop(int signal);
  bool running() const { return pid_ > 0; }
  // True once the child has exited (reaps it); a server that failed to
  // start shows up here instead of as a readiness timeout.
  bool Exited();
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // The last `max_bytes` of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago, outside the kernel's
// ephemeral range, and not handed out before by this process.
uint16_t PickFreePort();

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Calls `ready` up to `attempts` times, `pause` apart, until it returns true.
bool WaitFor(int attempts, std::chrono::milliseconds pause, const auto& ready) {
  for (int i = 0; i < attempts; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(pause);
  }
  return false;
}

struct CommandResult {
  int exit_code = -1;   // -1 when the shell did not exit normally
  std::string output;   // stdout and stderr
};

// Runs `command` with /bin/sh, capturing stdout and stderr together.
CommandResult RunCommand(const std::string& command);

// Directory of the build tree's binaries (set by CMake as STRATA_BINARY).
std::string StrataBinary();

}  // namespace strata::testing
