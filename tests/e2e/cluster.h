// File: tests/e2e/cluster.h
//
// A Strata cluster of real `strata` processes on 127.0.0.1 for end-to-end
// tests: N storage nodes, one insert node and one select node, each on
// ports picked at start. Nodes can be killed (SIGKILL, as in a crash) and
// restarted on the same ports and data directories.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "e2e/process.h"
#include "testing/http_client.h"

namespace strata::testing {

struct ClusterOptions {
  int storage_nodes = 3;
  int replication_factor = 2;
  std::string wal_fsync = "interval";
  // Extra flags of the select node (e.g. -vmalert.proxyURL=...).
  std::vector<std::string> select_args;
  // Extra flags of the insert node, of every storage node (e.g. -rpc.tls),
  // and of storage node i alone (storage_node_args[i]; may be shorter than
  // storage_nodes).
  std::vector<std::string> insert_args;
  std::vector<std::string> storage_args;
  std::vector<std::vector<std::string>> storage_node_args;
};

// Owns the processes; the destructor kills them all. Thread-compatible.
class StrataCluster {
 public:
  explicit StrataCluster(ClusterOptions options = {});
  ~StrataCluster();

  // Starts every node and waits until each answers /ready.
  void Start();

  void StartStorage(int i);
  // SIGKILL: the node gets no chance to flush anything.
  void KillStorage(int i);
  // The extra flags storage node i starts with from its next start on.
  void SetStorageArgs(int i, std::vector<std::string> args);
  // Its data directory (-storageDataPath), created at its first start.
  const std::string& storage_data_dir(int i) const { return storage_[i].data; }
  void StartInsert();
  void StartSelect();

  uint16_t insert_port() const { return insert_http_; }
  uint16_t select_port() const { return select_http_; }
  uint16_t storage_http_port(int i) const { return storage_[i].http; }
  uint16_t storage_insert_rpc_port(int i) const { return storage_[i].insert_rpc; }
  const TempDir& dir() const { return dir_; }

  // POSTs a snappy remote_write body to the insert node.
  absl::StatusOr<HttpClientResponse> RemoteWrite(std::string body,
                                                 std::string path = "/insert/0/prometheus/api/v1/write");
  // GETs `target` (path and query string) from the select node.
  absl::StatusOr<HttpClientResponse> Select(const std::string& target);
  // Sends any request to the select node (Grafana's form POSTs, say).
  absl::StatusOr<HttpClientResponse> SelectRequest(std::string_view method, std::string_view target,
                                                   std::string body = {}, const HttpHeaders& headers = {});

  // The tails of every node's log, for failure messages.
  std::string Logs() const;

  // Fault injection (tests/e2e/fault_test.cc).
  // Sends `signal` to storage node i without waiting (SIGSTOP, SIGCONT).
  void SignalStorage(int i, int signal);
  // SIGTERM (a graceful stop: drain, flush, close) and wait for the exit;
  // returns the wait status.
  int StopStorage(int i);
  int StopInsert();
  int StopSelect();
  uint16_t storage_insert_rpc_port(int i) const { return storage_[i].insert_rpc; }
  uint16_t storage_select_rpc_port(int i) const { return storage_[i].select_rpc; }
  const ChildProcess& storage_process(int i) const { return *storage_[i].process; }

 private:
  struct StorageNode {
    uint16_t http = 0, insert_rpc = 0, select_rpc = 0;
    std::string data;
    std::unique_ptr<ChildProcess> process;
  };
  void WaitReady(uint16_t port, ChildProcess& process);

  ClusterOptions options_;
  TempDir dir_;
  std::vector<StorageNode> storage_;
  uint16_t insert_http_ = 0;
  uint16_t select_http_ = 0;
  std::unique_ptr<ChildProcess> insert_;
  std::unique_ptr<ChildProcess> select_;
};

// Polls GET http://127.0.0.1:<port>/ready until 200 or `timeout_ms`.
bool WaitHttpReady(uint16_t port, int timeout_ms);

}  // namespace strata::testing
