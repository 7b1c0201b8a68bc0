// File: tests/unit/select/labels_test_node.h
//
// A storage node for the labels and series tests of select: it holds label
// sets with one sample time each and answers StorageApi::LabelNames,
// LabelValues and SeriesLabels as a storage node's Db does (matchers,
// time range, sorted, limit with truncation), or fails every call with a
// fixed status. Thread-safe; answers synchronously.
#pragma once

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/rpc/storage_api.h"

namespace strata::select::testing {

class LabelsTestNode : public StorageApi {
 public:
  explicit LabelsTestNode(std::string name) : name_(std::move(name)) {}

  // A series of tenant 0:0 (unless given) with one sample at `t`.
  void Add(std::vector<Label> labels, int64_t t = 1000, TenantId tenant = {}) {
    series_.push_back({tenant, Labels::FromUnsorted(std::move(labels)), t});
  }
  // Every call fails with `status` from now on (OK: answer again).
  void Fail(absl::Status status) {
    std::lock_guard<std::mutex> l(mu_);
    fail_ = std::move(status);
  }

  void Write(const RequestContext&, std::shared_ptr<const std::string>, WriteCallback done) override {
    done(absl::UnimplementedError("write"));
  }
  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("search"));
  }
  void LabelNames(const RequestContext&, LabelsRequest request, LabelsCallback done) override {
    if (absl::Status st = Begin(request); !st.ok()) return done(st);
    std::vector<std::string> names;
    for (const Labels* l : Selected(request)) {
      for (const Label& x : *l) names.push_back(x.name);
    }
    done(Cut(request, std::move(names)));
  }
  void LabelValues(const RequestContext&, LabelsRequest request, LabelsCallback done) override {
    if (absl::Status st = Begin(request); !st.ok()) return done(st);
    std::vector<std::string> values;
    for (const Labels* l : Selected(request)) {
      if (l->Has(request.label_name)) values.emplace_back(l->Get(request.label_name));
    }
    done(Cut(request, std::move(values)));
  }
  void SeriesLabels(const RequestContext&, LabelsRequest request, SeriesLabelsCallback done) override {
    if (absl::Status st = Begin(request); !st.ok()) return done(st);
    std::vector<Labels> series;
    for (const Labels* l : Selected(request)) series.push_back(*l);
    std::sort(series.begin(), series.end());
    SeriesLabelsResult r;
    if (request.limit > 0 && series.size() > request.limit) {
      series.resize(request.limit);
      r.truncated = true;
    }
    r.series = std::move(series);
    done(std::move(r));
  }
  std::string Name() const override { return name_; }

  std::vector<LabelsRequest> requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  struct Entry {
    TenantId tenant;
    Labels labels;
    int64_t t;
  };

  absl::Status Begin(const LabelsRequest& request) {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(request);
    return fail_;
  }
  std::vector<const Labels*> Selected(const LabelsRequest& request) const {
    std::vector<const Labels*> out;
    for (const Entry& e : series_) {
      if (!(e.tenant == request.tenant) || e.t < request.min_time_ms || e.t > request.max_time_ms) continue;
      bool all = true;
      for (const Matcher& m : request.matchers) all = all && m.Matches(e.labels.Get(m.name()));
      if (all) out.push_back(&e.labels);
    }
    return out;
  }
  static LabelsResult Cut(const LabelsRequest& request, std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    LabelsResult r;
    if (request.limit > 0 && v.size() > request.limit) {
      v.resize(request.limit);
      r.truncated = true;
    }
    r.values = std::move(v);
    return r;
  }

  std::string name_;
  std::vector<Entry> series_;
  mutable std::mutex mu_;
  absl::Status fail_;
  std::vector<LabelsRequest> requests_;
};

}  // namespace strata::select::testing
