// File: tests/e2e/real_clients.h
//
// Real clients of a Strata cluster for end-to-end tests, all from Debian:
// vmagent (scrapes, then remote-writes to the insert node), vmalert
// (evaluates rules against the select node, writes recording results back
// and notifies Alertmanager) and Prometheus's Alertmanager. Each writes its
// generated config into a directory it is given and logs there.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "e2e/process.h"

namespace strata::testing {

// Sum of every sample of metric `name` (any labels) in a Prometheus text
// exposition whose label set contains all of `label_filter` (written as
// `key="value"`). NotFound when no line matches.
absl::StatusOr<double> SumExposedMetric(std::string_view exposition, std::string_view name,
                                        const std::vector<std::string>& label_filter = {});

// Owns the process; thread-compatible.
class Vmagent {
 public:
  // Scrapes `targets` (job "node") and itself (job "vmagent") every second
  // and remote-writes to the insert node on `insert_port`.
  Vmagent(std::string dir, uint16_t insert_port, std::vector<std::string> targets);

  // Starts it and waits until its HTTP server answers.
  bool Start(std::string* error);
  // Rewrites the config without scrape jobs and reloads it (SIGHUP), so the
  // counters settle once the queue is flushed.
  void StopScraping();
  // vmagent's own /metrics text.
  absl::StatusOr<std::string> Metrics() const;
  uint16_t port() const { return port_; }
  std::string LogTail() const { return process_.LogTail(); }

 private:
  void WriteConfig(bool with_jobs) const;

  std::string dir_;
  uint16_t insert_port_;
  std::vector<std::string> targets_;
  uint16_t port_;
  ChildProcess process_;
};

// Owns the process; thread-compatible.
class Alertmanager {
 public:
  explicit Alertmanager(std::string dir);
  bool Start(std::string* error);
  uint16_t port() const { return port_; }
  std::string LogTail() const { return process_.LogTail(); }

 private:
  std::string dir_;
  uint16_t port_;
  ChildProcess process_;
};

struct VmalertOptions {
  std::string rules_yaml;
  std::string datasource_url;    // e.g. http://127.0.0.1:<select>/select/0/prometheus
  std::string remote_write_url;  // e.g. http://127.0.0.1:<insert>/insert/0/prometheus
  std::string notifier_url;      // Alertmanager's base URL
  uint16_t port = 0;             // 0: pick one
};

// Owns the process; thread-compatible.
class Vmalert {
 public:
  Vmalert(std::string dir, VmalertOptions options);
  bool Start(std::string* error);
  uint16_t port() const { return options_.port; }
  std::string LogTail() const { return process_.LogTail(); }

 private:
  std::string dir_;
  VmalertOptions options_;
  ChildProcess process_;
};

}  // namespace strata::testing
