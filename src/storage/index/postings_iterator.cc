#include "storage/index/postings_iterator.h"

#include <algorithm>
#include <utility>

namespace strata::storage {
namespace {

class EmptyPostings final : public PostingsIterator {
 public:
  bool Next() override { return false; }
  bool Seek(uint64_t) override { return false; }
  uint64_t At() const override { return 0; }
  absl::Status status() const override { return absl::OkStatus(); }
};

class VectorPostings final : public PostingsIterator {
 public:
  explicit VectorPostings(std::vector<uint64_t> ids) : owned_(std::move(ids)), ids_(owned_) {}
  explicit VectorPostings(std::span<const uint64_t> ids) : ids_(ids) {}

  bool Next() override {
    if (started_ && pos_ < ids_.size()) ++pos_;
    started_ = true;
    return pos_ < ids_.size();
  }
  bool Seek(uint64_t target) override {
    started_ = true;
    if (pos_ < ids_.size() && ids_[pos_] < target) {
      pos_ = static_cast<size_t>(std::lower_bound(ids_.begin() + static_cast<ptrdiff_t>(pos_), ids_.end(), target) -
                                 ids_.begin());
    }
    return pos_ < ids_.size();
  }
  uint64_t At() const override { return ids_[pos_]; }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  std::vector<uint64_t> owned_;
  std::span<const uint64_t> ids_;
  size_t pos_ = 0;
  bool started_ = false;
};

absl::Status FirstError(const std::vector<PostingsIteratorPtr>& its) {
  for (const auto& it : its) {
    absl::Status st = it->status();
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

// Leapfrog: each operand seeks to the largest id seen so far until all
// agree, so the cost follows the smallest operand, not the largest.
class Intersection final : public PostingsIterator {
 public:
  explicit Intersection(std::vector<PostingsIteratorPtr> its) : its_(std::move(its)) {}

  bool Next() override {
    if (done_) return false;
    if (!its_[0]->Next()) return Finish();
    return Converge(its_[0]->At());
  }
  bool Seek(uint64_t target) override {
    if (done_) return false;
    if (valid_ && cur_ >= target) return true;
    return Converge(target);
  }
  uint64_t At() const override { return cur_; }
  absl::Status status() const override { return FirstError(its_); }

 private:
  bool Finish() {
    done_ = true;
    valid_ = false;
    return false;
  }
  bool Converge(uint64_t target) {
    size_t agreed = 0;
    size_t i = 0;
    while (agreed < its_.size()) {
      PostingsIterator& it = *its_[i];
      if (!it.Seek(target)) return Finish();
      if (it.At() == target) {
        ++agreed;
      } else {
        target = it.At();
        agreed = 1;
      }
      i = (i + 1) % its_.size();
    }
    cur_ = target;
    valid_ = true;
    return true;
  }

  std::vector<PostingsIteratorPtr> its_;
  uint64_t cur_ = 0;
  bool valid_ = false;
  bool done_ = false;
};

// Min-heap merge of the operands that still have ids.
class Union final : public PostingsIterator {
 public:
  explicit Union(std::vector<PostingsIteratorPtr> its) : its_(std::move(its)) {}

  bool Next() override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < its_.size(); ++i) {
        if (its_[i]->Next()) heap_.push_back(i);
      }
      std::make_heap(heap_.begin(), heap_.end(), Greater{this});
      return Top();
    }
    if (heap_.empty()) return false;
    const uint64_t prev = cur_;
    // Advance every operand sitting on the current id.
    while (!heap_.empty() && its_[heap_.front()]->At() == prev) {
      std::pop_heap(heap_.begin(), heap_.end(), Greater{this});
      const size_t i = heap_.back();
      if (its_[i]->Next()) {
        std::push_heap(heap_.begin(), heap_.end(), Greater{this});
      } else {
        heap_.pop_back();
      }
    }
    return Top();
  }
  bool Seek(uint64_t target) override {
    if (started_ && !heap_.empty() && cur_ >= target) return true;
    if (started_ && heap_.empty()) return false;
    // Re-seek the operands behind the target; those already past it keep
    // their position (Seek never moves backwards).
    std::vector<size_t> live;
    if (!started_) {
      for (size_t i = 0; i < its_.size(); ++i) live.push_back(i);
    } else {
      live = heap_;
    }
    started_ = true;
    heap_.clear();
    for (size_t i : live) {
      if (its_[i]->Seek(target)) heap_.push_back(i);
    }
    std::make_heap(heap_.begin(), heap_.end(), Greater{this});
    return Top();
  }
  uint64_t At() const override { return cur_; }
  absl::Status status() const override { return FirstError(its_); }

 private:
  struct Greater {
    const Union* u;
    bool operator()(size_t a, size_t b) const { return u->its_[a]->At() > u->its_[b]->At(); }
  };
  bool Top() {
    if (heap_.empty()) return false;
    cur_ = its_[heap_.front()]->At();
    return true;
  }

  std::vector<PostingsIteratorPtr> its_;
  std::vector<size_t> heap_;  // indexes into its_
  uint64_t cur_ = 0;
  bool started_ = false;
};

class Difference final : public PostingsIterator {
 public:
  Difference(PostingsIteratorPtr base, PostingsIteratorPtr subtract)
      : base_(std::move(base)), subtract_(std::move(subtract)) {}

  bool Next() override {
    while (base_->Next()) {
      if (!Excluded(base_->At())) return true;
    }
    return false;
  }
  bool Seek(uint64_t target) override {
    if (!base_->Seek(target)) return false;
    if (!Excluded(base_->At())) return true;
    return Next();
  }
  uint64_t At() const override { return base_->At(); }
  absl::Status status() const override {
    absl::Status st = base_->status();
    return st.ok() ? subtract_->status() : st;
  }

 private:
  bool Excluded(uint64_t id) {
    if (subtract_done_) return false;
    if (!subtract_->Seek(id)) {
      subtract_done_ = true;
      return false;
    }
    return subtract_->At() == id;
  }

  PostingsIteratorPtr base_;
  PostingsIteratorPtr subtract_;
  bool subtract_done_ = false;
};

}  // namespace

PostingsIteratorPtr NewEmptyPostings() { return std::make_unique<EmptyPostings>(); }

PostingsIteratorPtr NewVectorPostings(std::vector<uint64_t> ids) {
  return std::make_unique<VectorPostings>(std::move(ids));
}

PostingsIteratorPtr NewSpanPostings(std::span<const uint64_t> ids) { return std::make_unique<VectorPostings>(ids); }

PostingsIteratorPtr NewIntersection(std::vector<PostingsIteratorPtr> operands) {
  if (operands.empty()) return NewEmptyPostings();
  if (operands.size() == 1) return std::move(operands[0]);
  return std::make_unique<Intersection>(std::move(operands));
}

PostingsIteratorPtr NewUnion(std::vector<PostingsIteratorPtr> operands) {
  if (operands.empty()) return NewEmptyPostings();
  if (operands.size() == 1) return std::move(operands[0]);
  return std::make_unique<Union>(std::move(operands));
}

PostingsIteratorPtr NewDifference(PostingsIteratorPtr base, PostingsIteratorPtr subtract) {
  return std::make_unique<Difference>(std::move(base), std::move(subtract));
}

absl::Status CollectPostings(PostingsIterator& it, size_t limit, std::vector<uint64_t>* out) {
  size_t n = 0;
  while ((limit == 0 || n < limit) && it.Next()) {
    out->push_back(it.At());
    ++n;
  }
  return it.status();
}

}  // namespace strata::storage
