// File: common/chunkenc/split_chunk.h
//
// The kSplit decoder, behind DecodeChunk and ChunkNumSamples (chunk_codec.h,
// which also declares its encoder). Internal to common/chunkenc.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/sample.h"

namespace strata {

// As DecodeChunk for a kSplit chunk.
absl::Status DecodeSplitChunk(std::string_view data, std::vector<Sample>* out);
// As ChunkNumSamples for a kSplit chunk.
size_t SplitChunkNumSamples(std::string_view data);

}  // namespace strata
