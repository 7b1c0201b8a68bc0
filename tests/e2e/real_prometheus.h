// File: tests/e2e/real_prometheus.h
//
// The real Prometheus 2.42 from Debian for end-to-end tests: it scrapes the
// given targets (and itself) every second and remote-writes everything to a
// Strata insert node, so Strata and Prometheus hold the same samples and the
// same queries can be sent to both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "e2e/process.h"

namespace strata::testing {

// Owns the process; thread-compatible.
class RealPrometheus {
 public:
  // `data_dir` holds the config, the TSDB and the log. `extra_targets` are
  // host:port scrape targets of job "node" besides Prometheus itself.
  // `exemplars_and_metadata`: run with --enable-feature=exemplar-storage and
  // remote-write exemplars (send_exemplars) and metric metadata every second.
  RealPrometheus(std::string data_dir, uint16_t insert_port, std::vector<std::string> extra_targets = {},
                 bool exemplars_and_metadata = false);

  // Adds a scrape job (YAML of one scrape_configs item, indented two
  // spaces, starting "  - job_name: ...") with one target. REQUIRES:
  // before Start().
  void AddScrapeConfig(std::string yaml) { extra_configs_.push_back(std::move(yaml)); }

  // Starts it and waits until it is ready and has scraped every target once.
  // Returns false (with the log in `error`) when it does not come up.
  bool Start(std::string* error);
  void Stop();

  uint16_t port() const { return port_; }
  std::string LogTail() const { return process_.LogTail(); }

 private:
  std::string dir_;
  uint16_t insert_port_;
  std::vector<std::string> extra_targets_;
  std::vector<std::string> extra_configs_;
  bool exemplars_and_metadata_;
  uint16_t port_;
  ChildProcess process_;
};

// prometheus-node-exporter from Debian on a free port, for realistic data.
class NodeExporter {
 public:
  explicit NodeExporter(std::string log_path);
  bool Start(std::string* error);
  std::string target() const;  // host:port

 private:
  std::string log_path_;
  uint16_t port_;
  ChildProcess process_;
};

}  // namespace strata::testing
