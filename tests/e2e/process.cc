#include "e2e/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

namespace strata::testing {

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

void ChildProcess::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  log_path_ = log_path;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    // Die with the test runner so that no server outlives a crashed test.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execv(args[0], args.data());
    _exit(127);
  }
  pid_ = pid;
}

int ChildProcess::Stop(int signal) {
  if (pid_ <= 0) return 0;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = all.substr(all.size() - max_bytes);
  return all;
}

bool ChildProcess::Exited() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  pid_ = -1;
  return true;
}

namespace {

// Ports below the kernel's ephemeral range (net.ipv4.ip_local_port_range
// starts at 32768 by default). A port taken from inside that range by
// binding to 0 can be handed out again as the source port of any outgoing
// connection before the server binds it, and the server then fails with
// "Address already in use".
constexpr uint16_t kFirstTestPort = 20000;
constexpr uint16_t kTestPortCount = 12000;

bool CanBind(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Claims `port` for this process among all test processes on the machine:
// an exclusive flock on a file named after it, held until the process
// exits (the kernel drops it then, even after a crash, so nothing goes
// stale). Without it two test programs that ctest runs in parallel could
// both find a port free and both hand it out before either server bound it
// (seen in CI: "Address already in use" from one of them).
bool ClaimAcrossProcesses(uint16_t port) {
  static const std::filesystem::path dir = std::filesystem::temp_directory_path() / "strata-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = (dir / std::to_string(port)).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // cannot coordinate (read-only /tmp): fall back to the bind check
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;  // the descriptor stays open: it holds the claim
}

}  // namespace

uint16_t PickFreePort() {
  // Test programs run in parallel under ctest; a per-process random walk
  // keeps two of them from walking the same sequence of ports, and a claim
  // file keeps them from handing out the same one.
  static std::mutex mu;
  static std::mt19937 rng(static_cast<uint32_t>(getpid()) * 2654435761u ^
                          static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static std::set<uint16_t> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<uint16_t>(kFirstTestPort + rng() % kTestPortCount);
    if (handed_out.contains(port) || !ClaimAcrossProcesses(port)) continue;
    if (!CanBind(port)) {
      handed_out.insert(port);  // claimed, but a stranger holds it: never try it again
      continue;
    }
    handed_out.insert(port);
    return port;
  }
  throw std::runtime_error("no free TCP port for a test server");
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "strata-e2e-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    r.output = std::string("popen failed: ") + std::strerror(errno);
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string StrataBinary() { return STRATA_BINARY; }

}  // namespace strata::testing
