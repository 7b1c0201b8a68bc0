// `strata_loadgen send` replays a frame file against a remote_write endpoint;
// `strata_loadgen inspect` decodes one and checks it is what a real
// Prometheus would send (each series on one shard, per-series time order,
// monotonic counters).
#include <atomic>
#include <barrier>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <snappy.h>

#include "bench/load/http_post.h"
#include "bench/load/loadgen.h"
#include "common/base/status.h"
#include "common/encoding/varint.h"

namespace strata::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct SenderTotals {
  std::atomic<uint64_t> samples{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<int> connects{0};
  std::atomic<uint64_t> lead_waits{0};  // frames that waited for slower shards
};

// Bounds how far the fastest sender may run ahead of the slowest: frame f
// may start only when every frame before f - max_lead is acknowledged. The
// file is in time order across shards, so this bounds the spread of data
// time between connections, as in a live remote_write queue whose shards all
// send "now". Without it, a replay of many hours lets one shard drift hours
// ahead of another, which Prometheus rejects as out of bounds. Thread-safe.
class LeadWindow {
 public:
  LeadWindow(size_t frames, size_t max_lead) : done_(frames, 0), max_lead_(max_lead) {}

  // Waits until frame f may be sent; false when `stop` was set meanwhile.
  // Returns whether it had to wait in *waited.
  bool Acquire(size_t f, const std::atomic<bool>& stop, bool* waited) {
    *waited = false;
    if (max_lead_ == 0 || f < max_lead_) return true;
    std::unique_lock lock(mu_);
    while (prefix_ + max_lead_ < f) {
      if (stop) return false;
      *waited = true;
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    return true;
  }

  void Done(size_t f) {
    if (max_lead_ == 0) return;
    std::lock_guard lock(mu_);
    done_[f] = 1;
    size_t before = prefix_;
    while (prefix_ < done_.size() && done_[prefix_] != 0) ++prefix_;
    if (prefix_ != before) cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint8_t> done_;  // guarded by mu_
  size_t prefix_ = 0;          // frames [0, prefix_) are acknowledged; guarded by mu_
  const size_t max_lead_;      // 0: unbounded
};

// Exit codes: 0 everything sent, 1 rejected (4xx) or bad input, 2 deadline.
int Send(const Flags& flags) {
  if (absl::Status st = flags.CheckKnown({"in", "url", "concurrency", "timeout", "maxLead"}); !st.ok()) {
    fmt::print(stderr, "strata_loadgen send: {}\n", st.ToString());
    return 1;
  }
  std::string in = flags.GetString("in", "");
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(flags.GetString("url", "http://127.0.0.1:8428/api/v1/write"));
  absl::StatusOr<int64_t> concurrency = flags.GetInt("concurrency", 4);
  absl::StatusOr<int64_t> timeout_ms = flags.GetDurationMs("timeout", 15 * 60'000);
  absl::StatusOr<int64_t> max_lead = flags.GetInt("maxLead", 0);
  for (const absl::Status& st : {url.status(), concurrency.status(), timeout_ms.status(), max_lead.status()}) {
    if (!st.ok()) {
      fmt::print(stderr, "strata_loadgen send: {}\n", st.ToString());
      return 1;
    }
  }
  if (in.empty() || *concurrency < 1 || *concurrency > 1024 || *max_lead < 0) {
    fmt::print(stderr, "strata_loadgen send: need -in=FILE, -concurrency in [1, 1024] and -maxLead >= 0\n");
    return 1;
  }
  absl::StatusOr<FrameFile> file = FrameFile::Open(in);
  if (!file.ok()) {
    fmt::print(stderr, "strata_loadgen send: {}\n", file.status().ToString());
    return 1;
  }
  const auto& frames = file->frames();
  const auto& frame_shard = file->shards();
  const size_t n_threads = static_cast<size_t>(*concurrency);
  if (n_threads > file->num_shards()) {
    fmt::print(stderr, "strata_loadgen send: note: {} senders for {} shards; {} will be idle\n", n_threads,
               file->num_shards(), n_threads - file->num_shards());
  }
  // Sender i owns the shards s with s % n_threads == i and sends their frames
  // in file order, so every series is sent by one connection, in time order,
  // as a Prometheus remote_write shard does.
  std::vector<std::vector<size_t>> owned(n_threads);
  for (size_t f = 0; f < frames.size(); ++f) owned[frame_shard[f] % n_threads].push_back(f);

  // Count the samples of every frame before the clock starts, so that the
  // timed loop only sends and a partial run still reports exact totals.
  std::vector<uint64_t> frame_samples(frames.size());
  std::atomic<bool> bad_input{false};
  std::atomic<bool> abort{false};
  std::atomic<bool> timed_out{false};
  SenderTotals totals;
  std::mutex print_mu;
  LeadWindow window(frames.size(), static_cast<size_t>(*max_lead));
  Clock::time_point start, deadline;
  std::barrier sync(static_cast<std::ptrdiff_t>(n_threads), [&]() noexcept {
    start = Clock::now();
    deadline = start + std::chrono::milliseconds(*timeout_ms);
  });

  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Encoding", "snappy"},
      {"Content-Type", "application/x-protobuf"},
      {"User-Agent", "strata-loadgen/1"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"},
  };

  auto worker = [&](size_t id) {
    for (size_t f : owned[id]) {
      absl::StatusOr<FrameCounts> c = CountFrame(frames[f]);
      if (!c.ok()) {
        std::lock_guard lock(print_mu);
        fmt::print(stderr, "frame {}: {}\n", f, c.status().ToString());
        bad_input = true;
        break;
      }
      frame_samples[f] = c->samples;
    }
    sync.arrive_and_wait();
    if (bad_input) return;

    HttpPostClient client(url->host, url->port, std::chrono::seconds(120));
    int transport_errors_printed = 0;
    for (size_t f : owned[id]) {
      if (abort) break;
      bool waited = false;
      if (!window.Acquire(f, abort, &waited)) break;
      if (waited) totals.lead_waits += 1;
      auto backoff = std::chrono::milliseconds(10);
      while (true) {
        if (abort) break;
        if (Clock::now() > deadline) {
          timed_out = true;
          abort = true;
          break;
        }
        absl::StatusOr<HttpResult> r = client.Post(url->path, headers, frames[f]);
        if (r.ok() && r->status / 100 == 2) {
          totals.samples += frame_samples[f];
          totals.requests += 1;
          totals.bytes += frames[f].size();
          window.Done(f);
          break;
        }
        if (r.ok() && r->status != 429 && r->status < 500) {
          std::lock_guard lock(print_mu);
          fmt::print(stderr, "frame {} rejected with HTTP {}: {}\n", f, r->status, r->body);
          abort = true;
          break;
        }
        if (!r.ok() && transport_errors_printed++ < 3) {
          std::lock_guard lock(print_mu);
          fmt::print(stderr, "sender {}: {} (retrying)\n", id, r.status().ToString());
        }
        totals.retries += 1;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
    totals.connects += client.connects();
  };

  std::vector<std::thread> threads;
  for (size_t i = 0; i < n_threads; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  if (bad_input) return 1;
  double secs = std::chrono::duration<double>(Clock::now() - start).count();

  uint64_t want = 0;
  for (uint64_t s : frame_samples) want += s;
  const uint64_t samples = totals.samples.load();
  const bool complete = samples == want && totals.requests.load() == frames.size();
  fmt::print("sent {} of {} samples in {} of {} requests ({} bytes) of {} shards with {} senders over {} "
             "connections: {:.3f} s, {:.0f} samples/s, {} retries, {} frames waited for slower shards "
             "(-maxLead={}){}\n",
             samples, want, totals.requests.load(), frames.size(), totals.bytes.load(), file->num_shards(), n_threads,
             totals.connects.load(), secs, static_cast<double>(samples) / secs, totals.retries.load(),
             totals.lead_waits.load(), *max_lead,
             timed_out ? " (DEADLINE REACHED)" : (complete ? "" : " (ABORTED)"));
  fmt::print("RESULT samples={} requests={} seconds={:.3f} samples_per_sec={:.0f} retries={} lead_waits={} complete={}\n",
             samples, totals.requests.load(), secs, static_cast<double>(samples) / secs, totals.retries.load(),
             totals.lead_waits.load(), complete ? 1 : 0);
  if (timed_out) return 2;
  return complete ? 0 : 1;
}

// What inspect learns per series.
struct SeriesTrack {
  uint32_t shard = 0;
  int64_t last_ts = INT64_MIN;
  uint64_t last_bits = 0;
  uint64_t samples = 0;
  bool changed = false;
  bool counter = false;
  double last_value = 0;
};

absl::Status Inspect(const Flags& flags) {
  STRATA_RETURN_IF_ERROR(flags.CheckKnown({"in", "dump", "dumpLimit"}));
  // -dump=SUBSTR prints the samples of series whose labels contain SUBSTR.
  const std::string dump = flags.GetString("dump", "");
  STRATA_ASSIGN_OR_RETURN(int64_t dump_limit, flags.GetInt("dumpLimit", 40));
  STRATA_ASSIGN_OR_RETURN(FrameFile file, FrameFile::Open(flags.GetString("in", "")));
  std::unordered_map<std::string, SeriesTrack> series;
  uint64_t samples = 0, entries = 0, out_of_order = 0, counter_decreases = 0, integral = 0, shard_changes = 0;
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN, request_regressions = 0;
  // Per shard: the first timestamp of its previous frame, and its frames.
  std::vector<int64_t> prev_first_ts(file.num_shards(), INT64_MIN);
  std::vector<uint64_t> shard_frames(file.num_shards());
  std::string proto, key;
  for (size_t fi = 0; fi < file.frames().size(); ++fi) {
    std::string_view frame = file.frames()[fi];
    const uint32_t shard = file.shards()[fi];
    ++shard_frames[shard];
    proto.clear();
    if (!snappy::Uncompress(frame.data(), frame.size(), &proto)) return absl::DataLossError("invalid snappy frame");
    ByteReader req(proto);
    int64_t first_ts = INT64_MAX;
    while (!req.empty()) {
      uint64_t tag;
      std::string_view ts_bytes;
      if (!req.GetVarint(&tag) || tag != ((1 << 3) | 2) || !req.GetLengthPrefixed(&ts_bytes)) {
        return absl::DataLossError("unexpected WriteRequest field");
      }
      ++entries;
      key.clear();
      std::vector<std::pair<int64_t, double>> got;
      ByteReader ts(ts_bytes);
      while (!ts.empty()) {
        std::string_view msg;
        if (!ts.GetVarint(&tag) || (tag & 7) != 2 || !ts.GetLengthPrefixed(&msg)) {
          return absl::DataLossError("unexpected TimeSeries field");
        }
        ByteReader m(msg);
        if (tag >> 3 == 1) {  // Label: name=1, value=2
          while (!m.empty()) {
            uint64_t t;
            std::string_view s;
            if (!m.GetVarint(&t) || !m.GetLengthPrefixed(&s)) return absl::DataLossError("bad Label");
            key.append(s);
            key.push_back(t >> 3 == 1 ? '=' : ',');
          }
        } else if (tag >> 3 == 2) {  // Sample: value=1 (double), timestamp=2
          uint64_t bits = 0, t, ts_ms = 0;
          while (!m.empty()) {
            if (!m.GetVarint(&t)) return absl::DataLossError("bad Sample");
            if (t == ((1 << 3) | 1) && m.GetFixed64(&bits)) continue;
            if (t == ((2 << 3) | 0) && m.GetVarint(&ts_ms)) continue;
            return absl::DataLossError("bad Sample field");
          }
          got.emplace_back(static_cast<int64_t>(ts_ms), std::bit_cast<double>(bits));
        }
      }
      if (!dump.empty() && dump_limit > 0 && key.find(dump) != std::string::npos) {
        --dump_limit;
        std::string line = key;
        for (auto [t, v] : got) line += fmt::format(" {}@{}", v, t);
        fmt::print("{}\n", line);
      }
      SeriesTrack& tr = series[key];
      if (tr.samples == 0) {
        tr.counter = key.find("_total,") != std::string::npos;
        tr.shard = shard;
      } else if (tr.shard != shard) {
        ++shard_changes;  // a series must stay on its shard, or order is lost
      }
      for (auto [t, v] : got) {
        if (t <= tr.last_ts) ++out_of_order;
        if (tr.samples > 0 && std::bit_cast<uint64_t>(v) != tr.last_bits) tr.changed = true;
        if (tr.counter && tr.samples > 0 && v < tr.last_value) ++counter_decreases;
        if (v == std::floor(v)) ++integral;
        tr.last_ts = t;
        tr.last_bits = std::bit_cast<uint64_t>(v);
        tr.last_value = v;
        ++tr.samples;
        ++samples;
        min_ts = std::min(min_ts, t);
        max_ts = std::max(max_ts, t);
        first_ts = std::min(first_ts, t);
      }
    }
    // A shard's requests go out in time order; allow one interval of overlap.
    if (prev_first_ts[shard] != INT64_MIN && first_ts + 60'000 < prev_first_ts[shard]) ++request_regressions;
    prev_first_ts[shard] = first_ts;
  }
  uint64_t constant = 0;
  for (const auto& [k, tr] : series) constant += tr.changed ? 0 : 1;
  fmt::print("{} requests, {} series entries, {} unique series ({} never change), {} samples "
             "({:.1f}% integer values), time {}..{} ms\n",
             file.frames().size(), entries, series.size(), constant, samples,
             samples ? 100.0 * static_cast<double>(integral) / static_cast<double>(samples) : 0.0, min_ts, max_ts);
  std::string per_shard = fmt::format("{}", fmt::join(shard_frames, ","));
  fmt::print("{} shards, requests per shard: {}\n", file.num_shards(), per_shard);
  fmt::print("checks: {} out-of-order samples, {} counter decreases, {} request time regressions within a shard, "
             "{} series seen on more than one shard\n",
             out_of_order, counter_decreases, request_regressions, shard_changes);
  if (out_of_order + counter_decreases + static_cast<uint64_t>(request_regressions) + shard_changes > 0) {
    return absl::DataLossError("the file is not what a Prometheus sender would produce");
  }
  return absl::OkStatus();
}

}  // namespace

int RunSend(const Flags& flags) { return Send(flags); }

int RunInspect(const Flags& flags) {
  absl::Status st = Inspect(flags);
  if (!st.ok()) {
    fmt::print(stderr, "strata_loadgen inspect: {}\n", st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace strata::bench
