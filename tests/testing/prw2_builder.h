// File: tests/testing/prw2_builder.h
//
// Builds remote_write 2.0 requests (io.prometheus.write.v2.Request) for
// tests, the way a 2.0 sender does: strings interned in the symbol table
// (symbols[0] = ""), series and exemplar labels as (name, value) ref pairs.
// No 2.0 sender exists on this machine (Prometheus 2.42 and vmagent 1.79
// speak 1.0 only), so the unit and e2e tests hand-build their requests here.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/prometheus/write/v2/types.pb.h"

namespace strata::testing {

class Prw2RequestBuilder {
 public:
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  using TimeSeries = io::prometheus::write::v2::TimeSeries;

  Prw2RequestBuilder() { Symbol(""); }

  // The ref of `s`, added to the table on first use.
  uint32_t Symbol(const std::string& s) {
    auto [it, inserted] = refs_.emplace(s, static_cast<uint32_t>(request_.symbols_size()));
    if (inserted) request_.add_symbols(s);
    return it->second;
  }

  // A series with `labels` (kept in the given order) and samples
  // (timestamp ms, value); returns it for exemplars, metadata, histograms.
  TimeSeries* AddSeries(const Pairs& labels, const std::vector<std::pair<int64_t, double>>& samples = {}) {
    TimeSeries* ts = request_.add_timeseries();
    for (const auto& [name, value] : labels) {
      ts->add_labels_refs(Symbol(name));
      ts->add_labels_refs(Symbol(value));
    }
    for (const auto& [t, v] : samples) {
      auto* s = ts->add_samples();
      s->set_timestamp(t);
      s->set_value(v);
    }
    return ts;
  }

  void AddExemplar(TimeSeries* ts, const Pairs& labels, double value, int64_t timestamp_ms) {
    auto* e = ts->add_exemplars();
    for (const auto& [name, value_text] : labels) {
      e->add_labels_refs(Symbol(name));
      e->add_labels_refs(Symbol(value_text));
    }
    e->set_value(value);
    e->set_timestamp(timestamp_ms);
  }

  void SetMetadata(TimeSeries* ts, io::prometheus::write::v2::Metadata::MetricType type, const std::string& help,
                   const std::string& unit) {
    auto* m = ts->mutable_metadata();
    m->set_type(type);
    m->set_help_ref(Symbol(help));
    m->set_unit_ref(Symbol(unit));
  }

  io::prometheus::write::v2::Request& request() { return request_; }
  std::string Serialize() const { return request_.SerializeAsString(); }

 private:
  io::prometheus::write::v2::Request request_;
  std::unordered_map<std::string, uint32_t> refs_;
};

}  // namespace strata::testing
