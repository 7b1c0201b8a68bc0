#include "common/metrics/metrics_routes.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace strata {
namespace {

int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    n -= 3;  // ".", ".." and the descriptor of the listing itself
  }
  return n;
}

}  // namespace

std::string ProcessMetricsText() {
  // /proc/self/stat fields 14/15 are utime/stime in clock ticks, 22 is the
  // start time in ticks since boot, 24 is the RSS in pages.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  std::istringstream fields(close == std::string::npos ? std::string() : stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto field = [&](size_t stat_index) -> double {
    size_t i = stat_index - 3;  // fields after "pid (comm)" start at index 3
    return i < f.size() ? std::stod(f[i]) : 0;
  };
  double cpu = (field(14) + field(15)) / ticks;
  double rss = field(24) * page;
  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  double start = boot_time + field(22) / ticks;
  std::ostringstream out;
  out.precision(17);
  out << "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      << "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " << cpu << "\n"
      << "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      << "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " << rss << "\n"
      << "# HELP process_open_fds Number of open file descriptors.\n"
      << "# TYPE process_open_fds gauge\nprocess_open_fds " << CountOpenFds() << "\n"
      << "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
      << "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds " << start << "\n";
  return out.str();
}

void RegisterStandardRoutes(HttpMux& mux, std::shared_ptr<prometheus::Registry> registry,
                            std::function<bool()> ready, std::function<void()> before_scrape) {
  mux.HandleExact("/metrics", [registry, before_scrape = std::move(before_scrape)](HttpRequest&&,
                                                                                 HttpResponder respond) {
    if (before_scrape) before_scrape();
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(registry->Collect());
    r.body += ProcessMetricsText();
    respond(std::move(r));
  });
  mux.HandleExact("/health", [](HttpRequest&&, HttpResponder respond) { respond(HttpResponse::Text(200, "OK")); });
  mux.HandleExact("/ready", [ready = std::move(ready)](HttpRequest&&, HttpResponder respond) {
    if (ready()) {
      respond(HttpResponse::Text(200, "OK"));
    } else {
      respond(HttpResponse::Text(503, "not ready\n"));
    }
  });
}

}  // namespace strata
