// File: common/base/version.h
//
// Strata's release version, and the Prometheus version Strata's query API
// is compatible with. Clients that probe /api/v1/status/buildinfo (Grafana,
// promtool) decide from the Prometheus-compatible version which APIs they may
// use, so that field carries kPrometheusCompatibleVersion while Strata's own
// version goes into the fields Prometheus fills with its build details.
#pragma once

#include <string_view>

namespace strata {

// Strata's version (semver).
inline constexpr std::string_view kStrataVersion = "0.1.0";

// The Prometheus release whose HTTP API and PromQL semantics Strata
// implements (Prometheus 3: the engine follows its semantics). Grafana
// treats anything >= 2.24 as having the `match[]` label APIs.
inline constexpr std::string_view kPrometheusCompatibleVersion = "3.0.0";

}  // namespace strata
