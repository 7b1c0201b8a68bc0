#include "common/base/logging.h"

#include <atomic>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace strata {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

spdlog::logger& Logger() {
  // stderr, unbuffered per line: a kill -9 must not lose the last lines.
  static auto* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* l = new spdlog::logger("strata", sink);
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ\t%l\t%v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::debug);
    l->flush_on(spdlog::level::debug);
    return l;
  }();
  return *logger;
}

}  // namespace

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

void LogMessage(LogLevel level, std::string_view message) {
  spdlog::level::level_enum l = spdlog::level::info;
  switch (level) {
    case LogLevel::kDebug: l = spdlog::level::debug; break;
    case LogLevel::kInfo: l = spdlog::level::info; break;
    case LogLevel::kWarn: l = spdlog::level::warn; break;
    case LogLevel::kError: l = spdlog::level::err; break;
  }
  Logger().log(l, "{}", message);
}

bool SetLogLevel(std::string_view name) {
  LogLevel level;
  if (name == "debug") level = LogLevel::kDebug;
  else if (name == "info") level = LogLevel::kInfo;
  else if (name == "warn") level = LogLevel::kWarn;
  else if (name == "error") level = LogLevel::kError;
  else return false;
  g_min_level.store(static_cast<int>(level));
  return true;
}

}  // namespace strata
