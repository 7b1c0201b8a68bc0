// File: common/base/logging.h
//
// Structured, levelled logging. Call sites format with fmt; the sink (spdlog,
// one line per event to stderr) lives in logging.cc so that spdlog's headers
// stay out of every other translation unit.
//
//   STRATA_LOG(Info, "opened WAL {} with {} segments", dir, n);
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace strata {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Writes one log line. Thread-safe.
void LogMessage(LogLevel level, std::string_view message);

// Sets the minimum level that is written; "debug", "info", "warn" or "error".
// Returns false for an unknown name.
bool SetLogLevel(std::string_view name);

bool LogEnabled(LogLevel level);

}  // namespace strata

#define STRATA_LOG(level, ...)                                                  \
  do {                                                                          \
    if (::strata::LogEnabled(::strata::LogLevel::k##level))                     \
      ::strata::LogMessage(::strata::LogLevel::k##level, fmt::format(__VA_ARGS__)); \
  } while (0)
