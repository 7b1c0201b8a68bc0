// File: storage/index/postings_iterator.h
//
// Lazy, seekable iterators over sorted series ids ("postings"), and the set
// operations the index evaluates selectors with: intersection (leapfrog:
// every operand seeks to the largest current id), union (heap merge) and
// difference. The persistent index hands out list iterators that read
// RocksDB as they advance (RocksStore::NewPostingsIterator), so
// `{__name__="x", instance="y"}` costs a few seeks, never a scan of the
// larger list. RocksDB types stay out of this header.
//
//   auto it = NewIntersection(std::move(operands));
//   while (it->Next()) Use(it->At());
//   STRATA_RETURN_IF_ERROR(it->status());
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"

namespace strata::storage {

// An iterator starts before its first id. Not thread-safe (one user).
class PostingsIterator {
 public:
  virtual ~PostingsIterator() = default;

  // Moves to the next id; false when there is none (or on error).
  virtual bool Next() = 0;
  // Moves to the first id >= `target`; stays when the current id already
  // is. Never moves backwards. False when there is none (or on error).
  virtual bool Seek(uint64_t target) = 0;
  // The current id. REQUIRES: the last Next/Seek returned true.
  virtual uint64_t At() const = 0;
  // The first read error met, if any; check it when Next/Seek return false.
  virtual absl::Status status() const = 0;
};

using PostingsIteratorPtr = std::unique_ptr<PostingsIterator>;

// No ids.
PostingsIteratorPtr NewEmptyPostings();
// Iterates `ids`. REQUIRES: sorted, no duplicates.
PostingsIteratorPtr NewVectorPostings(std::vector<uint64_t> ids);
// The same without a copy. REQUIRES: `ids` outlives the iterator.
PostingsIteratorPtr NewSpanPostings(std::span<const uint64_t> ids);
// Ids present in every operand; no operands gives no ids.
PostingsIteratorPtr NewIntersection(std::vector<PostingsIteratorPtr> operands);
// Ids present in any operand, each once; no operands gives no ids.
PostingsIteratorPtr NewUnion(std::vector<PostingsIteratorPtr> operands);
// Ids of `base` that are not in `subtract`.
PostingsIteratorPtr NewDifference(PostingsIteratorPtr base, PostingsIteratorPtr subtract);

// Drains `it` into `*out` (appending), stopping after `limit` ids when
// `limit` > 0. Returns the iterator's status.
absl::Status CollectPostings(PostingsIterator& it, size_t limit, std::vector<uint64_t>* out);

}  // namespace strata::storage
