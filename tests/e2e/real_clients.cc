#include "e2e/real_clients.h"

#include <signal.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "testing/http_client.h"

namespace strata::testing {
namespace {

constexpr const char* kVmagentBinary = "/usr/bin/vmagent";
constexpr const char* kVmalertBinary = "/usr/bin/vmalert";
constexpr const char* kAlertmanagerBinary = "/usr/bin/prometheus-alertmanager";

bool WaitForOk(uint16_t port, std::string_view path) {
  return WaitFor(150, std::chrono::milliseconds(100), [&] {
    auto r = HttpClient::Get("127.0.0.1", port, path);
    return r.ok() && r->status == 200;
  });
}

void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

}  // namespace

absl::StatusOr<double> SumExposedMetric(std::string_view exposition, std::string_view name,
                                        const std::vector<std::string>& label_filter) {
  double sum = 0;
  bool found = false;
  std::istringstream in{std::string(exposition)};
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    const size_t value_at = line.rfind(' ');
    const std::string_view labels = std::string_view(line).substr(name.size(), value_at - name.size());
    bool match = true;
    for (const std::string& want : label_filter) match = match && labels.find(want) != std::string_view::npos;
    if (!match) continue;
    double v = 0;
    auto [ptr, ec] = std::from_chars(line.data() + value_at + 1, line.data() + line.size(), v);
    if (ec != std::errc()) return absl::InvalidArgumentError("bad sample line: " + line);
    sum += v;
    found = true;
  }
  if (!found) return absl::NotFoundError(fmt::format("no sample of {} in the exposition", name));
  return sum;
}

Vmagent::Vmagent(std::string dir, uint16_t insert_port, std::vector<std::string> targets)
    : dir_(std::move(dir)), insert_port_(insert_port), targets_(std::move(targets)), port_(PickFreePort()) {}

void Vmagent::WriteConfig(bool with_jobs) const {
  std::string config = "global:\n  scrape_interval: 1s\nscrape_configs:";
  if (!with_jobs) {
    config += " []\n";
  } else {
    config += fmt::format("\n  - job_name: vmagent\n    static_configs:\n      - targets: ['127.0.0.1:{}']\n", port_);
    config += "  - job_name: node\n    static_configs:\n      - targets: [";
    for (size_t i = 0; i < targets_.size(); ++i) config += fmt::format("{}'{}'", i ? ", " : "", targets_[i]);
    config += "]\n";
  }
  WriteFile(dir_ + "/vmagent.yml", config);
}

bool Vmagent::Start(std::string* error) {
  WriteConfig(true);
  // No stale markers: stopping the scrapes must not add samples that read
  // back as absent and would spoil the count.
  process_.Start({kVmagentBinary, "-promscrape.config=" + dir_ + "/vmagent.yml",
                  fmt::format("-remoteWrite.url=http://127.0.0.1:{}/insert/0/prometheus/api/v1/write", insert_port_),
                  "-remoteWrite.tmpDataPath=" + dir_ + "/vmagent-data", "-remoteWrite.flushInterval=1s",
                  "-promscrape.noStaleMarkers", fmt::format("-httpListenAddr=127.0.0.1:{}", port_)},
                 dir_ + "/vmagent.log");
  const bool ready = WaitForOk(port_, "/health");
  if (!ready) *error = "vmagent did not come up:\n" + process_.LogTail();
  return ready;
}

void Vmagent::StopScraping() {
  WriteConfig(false);
  kill(process_.pid(), SIGHUP);
}

absl::StatusOr<std::string> Vmagent::Metrics() const {
  auto r = HttpClient::Get("127.0.0.1", port_, "/metrics");
  if (!r.ok()) return r.status();
  return r->body;
}

Alertmanager::Alertmanager(std::string dir) : dir_(std::move(dir)), port_(PickFreePort()) {}

bool Alertmanager::Start(std::string* error) {
  WriteFile(dir_ + "/alertmanager.yml", "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
  // An empty cluster address turns gossip off (it would bind :9094).
  process_.Start({kAlertmanagerBinary, "--config.file=" + dir_ + "/alertmanager.yml",
                  "--storage.path=" + dir_ + "/alertmanager-data", "--cluster.listen-address=",
                  fmt::format("--web.listen-address=127.0.0.1:{}", port_)},
                 dir_ + "/alertmanager.log");
  const bool ready = WaitForOk(port_, "/-/ready");
  if (!ready) *error = "alertmanager did not come up:\n" + process_.LogTail();
  return ready;
}

Vmalert::Vmalert(std::string dir, VmalertOptions options) : dir_(std::move(dir)), options_(std::move(options)) {
  if (options_.port == 0) options_.port = PickFreePort();
}

bool Vmalert::Start(std::string* error) {
  WriteFile(dir_ + "/rules.yml", options_.rules_yaml);
  process_.Start({kVmalertBinary, "-rule=" + dir_ + "/rules.yml", "-datasource.url=" + options_.datasource_url,
                  "-remoteWrite.url=" + options_.remote_write_url, "-remoteWrite.flushInterval=1s",
                  "-notifier.url=" + options_.notifier_url, "-evaluationInterval=1s",
                  fmt::format("-httpListenAddr=127.0.0.1:{}", options_.port)},
                 dir_ + "/vmalert.log");
  const bool ready = WaitForOk(options_.port, "/health");
  if (!ready) *error = "vmalert did not come up:\n" + process_.LogTail();
  return ready;
}

}  // namespace strata::testing
