#include "e2e/real_prometheus.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "e2e/prom_json.h"
#include "testing/http_client.h"

namespace strata::testing {
namespace {

constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";
constexpr const char* kNodeExporterBinary = "/usr/bin/prometheus-node-exporter";

}  // namespace

RealPrometheus::RealPrometheus(std::string data_dir, uint16_t insert_port, std::vector<std::string> extra_targets,
                               bool exemplars_and_metadata)
    : dir_(std::move(data_dir)),
      insert_port_(insert_port),
      extra_targets_(std::move(extra_targets)),
      exemplars_and_metadata_(exemplars_and_metadata),
      port_(PickFreePort()) {}

bool RealPrometheus::Start(std::string* error) {
  const std::string config_path = dir_ + "/prometheus.yml";
  {
    std::ofstream config(config_path);
    config << fmt::format(R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:{}']
)",
                          port_);
    if (!extra_targets_.empty()) {
      config << "  - job_name: node\n    static_configs:\n      - targets: [";
      for (size_t i = 0; i < extra_targets_.size(); ++i) config << (i ? ", '" : "'") << extra_targets_[i] << "'";
      config << "]\n";
    }
    for (const std::string& c : extra_configs_) config << c;
    config << fmt::format(R"(remote_write:
  - url: http://127.0.0.1:{}/insert/0/prometheus/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      max_shards: 4
)",
                          insert_port_);
    if (exemplars_and_metadata_) {
      config << "    send_exemplars: true\n    metadata_config:\n      send: true\n      send_interval: 1s\n";
    }
  }
  std::vector<std::string> args = {kPrometheusBinary, "--config.file=" + config_path,
                                   "--storage.tsdb.path=" + dir_ + "/prometheus-data",
                                   fmt::format("--web.listen-address=127.0.0.1:{}", port_)};
  if (exemplars_and_metadata_) args.push_back("--enable-feature=exemplar-storage");
  process_.Start(args, dir_ + "/prometheus.log");
  const bool ready = WaitFor(100, std::chrono::milliseconds(100), [&] {
    auto r = HttpClient::Get("127.0.0.1", port_, "/-/ready");
    return r.ok() && r->status == 200;
  });
  // The first scrape of each target comes a few seconds after start.
  const size_t targets = 1 + extra_targets_.size() + extra_configs_.size();
  const bool scraped = ready && WaitFor(150, std::chrono::milliseconds(100), [&] {
                         auto r = HttpClient::Get("127.0.0.1", port_, "/api/v1/query?query=up");
                         auto parsed = r.ok() ? ParseQueryResponse(r->body) : absl::StatusOr<QueryResponse>(r.status());
                         return parsed.ok() && parsed->series.size() == targets;
                       });
  if (!scraped) *error = "prometheus did not come up and scrape:\n" + process_.LogTail();
  return scraped;
}

void RealPrometheus::Stop() {
  if (process_.running()) process_.Stop(SIGTERM);
}

NodeExporter::NodeExporter(std::string log_path) : log_path_(std::move(log_path)), port_(PickFreePort()) {}

bool NodeExporter::Start(std::string* error) {
  process_.Start({kNodeExporterBinary, fmt::format("--web.listen-address=127.0.0.1:{}", port_)}, log_path_);
  const bool ready = WaitFor(100, std::chrono::milliseconds(100), [&] {
    auto r = HttpClient::Get("127.0.0.1", port_, "/metrics");
    return r.ok() && r->status == 200;
  });
  if (!ready) *error = "node exporter did not come up:\n" + process_.LogTail();
  return ready;
}

std::string NodeExporter::target() const { return fmt::format("127.0.0.1:{}", port_); }

}  // namespace strata::testing
