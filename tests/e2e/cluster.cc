#include "e2e/cluster.h"

#include <signal.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata::testing {

StrataCluster::StrataCluster(ClusterOptions options) : options_(std::move(options)) {
  storage_.resize(static_cast<size_t>(options_.storage_nodes));
  for (size_t i = 0; i < storage_.size(); ++i) {
    storage_[i].http = PickFreePort();
    storage_[i].insert_rpc = PickFreePort();
    storage_[i].select_rpc = PickFreePort();
    storage_[i].data = fmt::format("{}/storage-{}", dir_.path(), i);
  }
  insert_http_ = PickFreePort();
  select_http_ = PickFreePort();
}

StrataCluster::~StrataCluster() = default;

bool WaitHttpReady(uint16_t port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = HttpClient::Get("127.0.0.1", port, "/ready");
    if (r.ok() && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void StrataCluster::WaitReady(uint16_t port, ChildProcess& process) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool ready = false;
  while (!ready && !process.Exited() && std::chrono::steady_clock::now() < deadline) {
    ready = WaitHttpReady(port, 200);
  }
  if (!ready) {
    throw std::runtime_error(fmt::format("node on port {} did not become ready; log:\n{}", port, process.LogTail()));
  }
}

void StrataCluster::StartStorage(int i) {
  StorageNode& n = storage_[static_cast<size_t>(i)];
  n.process = std::make_unique<ChildProcess>();
  std::vector<std::string> argv = {StrataBinary(), "storage", "-storageDataPath=" + n.data,
                                   fmt::format("-httpListenAddr=127.0.0.1:{}", n.http),
                                   fmt::format("-insertListenAddr=127.0.0.1:{}", n.insert_rpc),
                                   fmt::format("-selectListenAddr=127.0.0.1:{}", n.select_rpc),
                                   "-wal.fsync=" + options_.wal_fsync};
  argv.insert(argv.end(), options_.storage_args.begin(), options_.storage_args.end());
  if (static_cast<size_t>(i) < options_.storage_node_args.size()) {
    const auto& extra = options_.storage_node_args[static_cast<size_t>(i)];
    argv.insert(argv.end(), extra.begin(), extra.end());
  }
  n.process->Start(argv, fmt::format("{}/storage-{}.log", dir_.path(), i));
  WaitReady(n.http, *n.process);
}

void StrataCluster::KillStorage(int i) { storage_[static_cast<size_t>(i)].process->Stop(SIGKILL); }

void StrataCluster::SetStorageArgs(int i, std::vector<std::string> args) {
  if (options_.storage_node_args.size() <= static_cast<size_t>(i)) {
    options_.storage_node_args.resize(static_cast<size_t>(i) + 1);
  }
  options_.storage_node_args[static_cast<size_t>(i)] = std::move(args);
}

void StrataCluster::StartInsert() {
  std::string nodes;
  for (const auto& n : storage_) nodes += fmt::format("{}127.0.0.1:{}", nodes.empty() ? "" : ",", n.insert_rpc);
  std::vector<std::string> argv = {StrataBinary(), "insert", fmt::format("-httpListenAddr=127.0.0.1:{}", insert_http_),
                                   "-storageNode=" + nodes,
                                   fmt::format("-replicationFactor={}", options_.replication_factor)};
  argv.insert(argv.end(), options_.insert_args.begin(), options_.insert_args.end());
  insert_ = std::make_unique<ChildProcess>();
  insert_->Start(argv, dir_.path() + "/insert.log");
  WaitReady(insert_http_, *insert_);
}

void StrataCluster::StartSelect() {
  std::string nodes;
  for (const auto& n : storage_) nodes += fmt::format("{}127.0.0.1:{}", nodes.empty() ? "" : ",", n.select_rpc);
  std::vector<std::string> argv = {StrataBinary(), "select", fmt::format("-httpListenAddr=127.0.0.1:{}", select_http_),
                                   "-storageNode=" + nodes,
                                   fmt::format("-replicationFactor={}", options_.replication_factor)};
  argv.insert(argv.end(), options_.select_args.begin(), options_.select_args.end());
  select_ = std::make_unique<ChildProcess>();
  select_->Start(argv, dir_.path() + "/select.log");
  WaitReady(select_http_, *select_);
}

void StrataCluster::Start() {
  for (int i = 0; i < options_.storage_nodes; ++i) StartStorage(i);
  StartInsert();
  StartSelect();
}

absl::StatusOr<HttpClientResponse> StrataCluster::RemoteWrite(std::string body, std::string path) {
  return HttpClient::Post("127.0.0.1", insert_http_, path, std::move(body), "application/x-protobuf",
                          {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

absl::StatusOr<HttpClientResponse> StrataCluster::Select(const std::string& target) {
  return HttpClient::Get("127.0.0.1", select_http_, target);
}

absl::StatusOr<HttpClientResponse> StrataCluster::SelectRequest(std::string_view method, std::string_view target,
                                                                std::string body, const HttpHeaders& headers) {
  HttpConnection connection;
  STRATA_RETURN_IF_ERROR(connection.Connect("127.0.0.1", select_http_));
  return connection.Request(method, target, std::move(body), headers);
}

void StrataCluster::SignalStorage(int i, int signal) { ::kill(storage_[static_cast<size_t>(i)].process->pid(), signal); }

int StrataCluster::StopStorage(int i) { return storage_[static_cast<size_t>(i)].process->Stop(SIGTERM); }
int StrataCluster::StopInsert() { return insert_->Stop(SIGTERM); }
int StrataCluster::StopSelect() { return select_->Stop(SIGTERM); }

std::string StrataCluster::Logs() const {
  std::string out;
  for (size_t i = 0; i < storage_.size(); ++i) {
    if (storage_[i].process) out += fmt::format("--- storage-{} ---\n{}\n", i, storage_[i].process->LogTail(1500));
  }
  if (insert_) out += "--- insert ---\n" + insert_->LogTail(1500) + "\n";
  if (select_) out += "--- select ---\n" + select_->LogTail(1500) + "\n";
  return out;
}

}  // namespace strata::testing
