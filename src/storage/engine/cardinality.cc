#include "storage/engine/cardinality.h"

#include "common/rpc/tsdb_status_top.h"

namespace strata::storage {

void CardinalityCounter::AddSeries(const Labels& labels) {
  ++series_;
  for (const Label& l : labels) {
    ++label_pairs_;
    ++pairs_[std::pair<std::string, std::string>(l.name, l.value)];
  }
}

TsdbStatusResult CardinalityCounter::Finish(size_t top_n) const {
  struct NameStats {
    uint64_t series = 0;
    uint64_t values = 0;
    uint64_t bytes = 0;
  };
  absl::flat_hash_map<std::string_view, NameStats> by_name;
  TsdbTopN metric_names(top_n), pairs(top_n), focus(top_n);
  std::string pair_name;
  for (const auto& [pair, count] : pairs_) {
    const auto& [name, value] = pair;
    NameStats& n = by_name[name];
    n.series += count;
    ++n.values;
    n.bytes += value.size() * count;
    if (name == kMetricNameLabel) metric_names.Push(value, count);
    if (!focus_label_.empty() && name == focus_label_) focus.Push(value, count);
    pair_name.assign(name).append("=").append(value);
    pairs.Push(pair_name, count);
  }
  TsdbTopN series_by_name(top_n), values_by_name(top_n), bytes_by_name(top_n);
  for (const auto& [name, n] : by_name) {
    series_by_name.Push(name, n.series);
    values_by_name.Push(name, n.values);
    bytes_by_name.Push(name, n.bytes);
  }
  TsdbStatusResult r;
  r.total_series = series_;
  r.total_label_value_pairs = label_pairs_;
  r.distinct_label_pairs = pairs_.size();
  r.series_count_by_metric_name = metric_names.Take();
  r.series_count_by_label_name = series_by_name.Take();
  r.series_count_by_focus_label_value = focus.Take();
  r.series_count_by_label_value_pair = pairs.Take();
  r.label_value_count_by_label_name = values_by_name.Take();
  r.memory_in_bytes_by_label_name = bytes_by_name.Take();
  return r;
}

}  // namespace strata::storage
