// File: tests/unit/insert/fake_storage.h
//
// An in-memory StorageApi for the insert tests: records every write batch,
// decodes what it stored, and can be told to be unhealthy, to fail writes, to
// answer from another thread, or to hold writes until the test releases them.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/model/labels.h"
#include "common/model/write_batch.h"
#include "common/rpc/storage_api.h"

namespace strata::insert::testing {

// Thread-safe.
class FakeStorage : public StorageApi {
 public:
  explicit FakeStorage(std::string name) : name_(std::move(name)) {}
  ~FakeStorage() override {
    ReleaseHeld();
    for (auto& t : threads_) t.join();
  }

  void Write(const RequestContext&, std::shared_ptr<const std::string> batch, WriteCallback done) override {
    absl::Status status;
    {
      std::lock_guard lock(mu_);
      ++write_calls_;
      if (fail_remaining_ != 0) {
        if (fail_remaining_ > 0) --fail_remaining_;
        status = fail_status_;
      } else {
        batches_.push_back(*batch);
      }
      if (hold_) {
        held_.emplace_back(std::move(done), status);
        return;
      }
      if (async_) {
        threads_.emplace_back([done = std::move(done), status]() mutable {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          done(status);
        });
        return;
      }
    }
    done(status);
  }

  // Metric metadata, kept in arrival order (for the remote_write and
  // text-import metadata tests).
  void WriteMetadata(const RequestContext&, TenantId tenant, std::vector<MetricMetadata> metadata,
                     WriteCallback done) override {
    {
      std::lock_guard lock(mu_);
      for (MetricMetadata& m : metadata) metadata_.emplace_back(tenant, std::move(m));
    }
    done(absl::OkStatus());
  }
  std::vector<std::pair<TenantId, MetricMetadata>> metadata() const {
    std::lock_guard lock(mu_);
    return metadata_;
  }

  void Search(const RequestContext&, SearchRequest, SearchCallback done) override {
    done(absl::UnimplementedError("fake storage does not search"));
  }
  std::string Name() const override { return name_; }
  bool IsHealthy() const override {
    std::lock_guard lock(mu_);
    return healthy_;
  }

  void set_healthy(bool h) {
    std::lock_guard lock(mu_);
    healthy_ = h;
  }
  // The next `count` writes (-1: all) fail with `status` and store nothing.
  void FailWrites(absl::Status status, int count = -1) {
    std::lock_guard lock(mu_);
    fail_status_ = std::move(status);
    fail_remaining_ = count;
  }
  void set_async(bool a) {
    std::lock_guard lock(mu_);
    async_ = a;
  }
  void set_hold(bool h) {
    std::lock_guard lock(mu_);
    hold_ = h;
  }
  // Answers every held write.
  void ReleaseHeld() {
    std::deque<std::pair<WriteCallback, absl::Status>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& [done, status] : held) done(status);
  }

  int write_calls() const {
    std::lock_guard lock(mu_);
    return write_calls_;
  }
  std::vector<std::string> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

  // Everything stored, by series: canonical labels -> samples (in order of
  // arrival), plus each batch's tenant.
  struct Stored {
    std::map<std::string, std::vector<Sample>> series;
    std::vector<TenantId> tenants;
  };
  Stored Contents() const {
    Stored out;
    for (const std::string& b : batches()) {
      auto reader = WriteBatchReader::Open(b);
      if (!reader.ok()) continue;
      out.tenants.push_back(reader->tenant());
      SeriesView s;
      while (reader->Next(&s)) {
        std::string key;
        AppendCanonical(s.labels, &key);
        auto& v = out.series[key];
        v.insert(v.end(), s.samples.begin(), s.samples.end());
      }
    }
    return out;
  }

 private:
  const std::string name_;
  mutable std::mutex mu_;
  bool healthy_ = true;
  bool async_ = false;
  bool hold_ = false;
  absl::Status fail_status_;
  int fail_remaining_ = 0;
  int write_calls_ = 0;
  std::vector<std::string> batches_;
  std::vector<std::pair<TenantId, MetricMetadata>> metadata_;
  std::deque<std::pair<WriteCallback, absl::Status>> held_;
  std::vector<std::thread> threads_;
};

// Owns N fakes named "storage-<i>:8400".
struct FakeCluster {
  explicit FakeCluster(size_t n) {
    for (size_t i = 0; i < n; ++i) nodes.push_back(std::make_unique<FakeStorage>("storage-" + std::to_string(i) + ":8400"));
  }
  std::vector<StorageApi*> apis() const {
    std::vector<StorageApi*> out;
    for (const auto& n : nodes) out.push_back(n.get());
    return out;
  }
  FakeStorage& operator[](size_t i) { return *nodes[i]; }
  std::vector<std::unique_ptr<FakeStorage>> nodes;
};

}  // namespace strata::insert::testing
