// `strata_loadgen generate`: replicates one real node_exporter scrape over
// many hosts and evolves its values over time, so that the stored data
// compresses like real data (integer counters, gauges with their original
// precision, constant series), not like random doubles. Series are split
// into -shards by label hash, like a Prometheus remote_write queue, and each
// frame holds the series of one shard.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "bench/load/exposition_parser.h"
#include "bench/load/loadgen.h"
#include "common/base/status.h"
#include "common/encoding/varint.h"
#include "common/prompb/remote_write_encoder.h"

namespace strata::bench {
namespace {

// splitmix64: small, fast, and the same stream on every platform (std::
// distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  double Normal() {
    double u1 = std::max(Uniform(), 1e-300), u2 = Uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  uint64_t s_;
};

enum class Kind { kConstant, kCounter, kGauge, kClock };

// How one series of the snapshot evolves; shared by all hosts.
struct SeriesModel {
  std::vector<Label> labels;  // includes __name__, without empty values
  Kind kind = Kind::kConstant;
  double v0 = 0;
  int decimals = 0;
  double quantum = 1;     // gauge rounding step (4096 for page-sized byte gauges)
  double rel_vol = 0;     // gauge volatility per scrape, relative to its level
};

// Per host and series.
struct SeriesState {
  double exact = 0;  // unrounded current value
  double rate = 0;   // counters: increase per second
  double mean = 0;   // gauges: level the walk reverts to
};

// Digits after the decimal point needed to write `text` back ("591.43" -> 2,
// "2.61525504e+08" -> 0, "1.8602e-05" -> 9).
int DecimalsOf(std::string_view text) {
  size_t e = text.find_first_of("eE");
  std::string_view mant = text.substr(0, e);
  int exp = e == std::string_view::npos ? 0 : std::atoi(std::string(text.substr(e + 1)).c_str());
  size_t dot = mant.find('.');
  int frac = dot == std::string_view::npos ? 0 : static_cast<int>(mant.size() - dot - 1);
  return std::clamp(frac - exp, 0, 12);
}

double RoundTo(double v, int decimals) {
  double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

bool StartsWithAny(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}
bool ContainsAny(std::string_view s, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) {
    if (s.find(p) != std::string_view::npos) return true;
  }
  return false;
}

SeriesModel Classify(const ExpositionSample& s, MetricType type) {
  SeriesModel m;
  m.v0 = s.value;
  m.decimals = DecimalsOf(s.value_text);
  std::string_view name = s.name;
  bool integral = std::isfinite(s.value) && s.value == std::floor(s.value) && m.decimals == 0;

  bool counter = type == MetricType::kCounter ||
                 ((type == MetricType::kSummary || type == MetricType::kHistogram) &&
                  (name.ends_with("_sum") || name.ends_with("_count") || name.ends_with("_bucket"))) ||
                 (type == MetricType::kUntyped &&
                  (name.ends_with("_total") ||
                   (integral && s.value >= 0 && !ContainsAny(name, {"CurrEstab", "Forwarding", "_inuse", "_entries"}))));
  if (!std::isfinite(s.value)) {
    m.kind = Kind::kConstant;
  } else if (name == "node_time_seconds") {
    m.kind = Kind::kClock;
  } else if (counter) {
    m.kind = Kind::kCounter;
    // Second counters are written with centisecond precision even when 0.
    if (name.find("seconds") != std::string_view::npos && m.decimals == 0) m.decimals = 2;
  } else if (s.value == 0 || s.value == 1 || name.ends_with("_info") ||
             StartsWithAny(name, {"node_network_", "node_filesystem_size", "node_filesystem_files",
                                  "node_filesystem_readonly", "node_filesystem_device_error", "node_boot_time",
                                  "process_start_time", "process_max_fds", "process_virtual_memory_max",
                                  "node_memory_MemTotal", "node_memory_SwapTotal", "node_memory_VmallocTotal",
                                  "node_memory_CommitLimit", "node_memory_Huge", "node_memory_DirectMap",
                                  "node_entropy_pool_size", "node_filefd_maximum", "node_nf_conntrack_entries_limit",
                                  "node_time_zone", "node_scrape_collector_success", "node_os_", "node_selinux",
                                  "node_textfile_scrape_error", "node_timex_loop", "node_timex_pps",
                                  "node_timex_status", "node_timex_sync", "node_timex_tai", "node_timex_tick",
                                  "node_sockstat_TCP_mem", "node_sockstat_UDP_mem", "go_memstats_last_gc"})) {
    m.kind = Kind::kConstant;
  } else {
    m.kind = Kind::kGauge;
    if (integral && s.value >= 4096 && std::fmod(s.value, 4096) == 0) m.quantum = 4096;
    bool noisy = ContainsAny(name, {"duration", "load", "_now", "procs_", "goroutines", "threads", "Dirty",
                                    "Writeback", "offset", "heap_", "alloc", "_tw", "_inuse"});
    m.rel_vol = noisy ? 0.15 : 0.01;
  }
  return m;
}

// Rounds a gauge to what the original exporter could have written.
double Emit(const SeriesModel& m, double exact) {
  if (m.quantum > 1) return std::round(exact / m.quantum) * m.quantum;
  return RoundTo(exact, m.decimals);
}

// All series of one scrape share its timestamp: the host's fixed offset in
// the interval plus a few ms of jitter that depends on (host, step) only.
int64_t ScrapeTimestamp(int64_t start_ms, int64_t interval_ms, int64_t offset_ms, int64_t seed, size_t host,
                        int64_t step) {
  Rng r(static_cast<uint64_t>(seed) * 0x2545f4914f6cdd1dULL ^ (static_cast<uint64_t>(host) << 32) ^
        static_cast<uint64_t>(step));
  return start_ms + step * interval_ms + offset_ms + static_cast<int64_t>(r.Next() % 5);
}

std::string ReadFile(const std::string& path, absl::Status* st) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *st = absl::NotFoundError(fmt::format("cannot open {}", path));
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status Generate(const Flags& flags) {
  STRATA_RETURN_IF_ERROR(flags.CheckKnown({"snapshot", "hosts", "duration", "interval", "seriesPerRequest",
                                           "samplesPerSeries", "out", "seed", "start", "shards"}));
  std::string snapshot_path = flags.GetString("snapshot", "");
  std::string out_path = flags.GetString("out", "");
  if (snapshot_path.empty() || out_path.empty()) return absl::InvalidArgumentError("-snapshot and -out are required");
  STRATA_ASSIGN_OR_RETURN(int64_t hosts, flags.GetInt("hosts", 100));
  STRATA_ASSIGN_OR_RETURN(int64_t duration_ms, flags.GetDurationMs("duration", 2 * 3'600'000));
  STRATA_ASSIGN_OR_RETURN(int64_t interval_ms, flags.GetDurationMs("interval", 15'000));
  STRATA_ASSIGN_OR_RETURN(int64_t per_request, flags.GetInt("seriesPerRequest", 2000));
  STRATA_ASSIGN_OR_RETURN(int64_t per_series, flags.GetInt("samplesPerSeries", 1));
  STRATA_ASSIGN_OR_RETURN(int64_t seed, flags.GetInt("seed", 1));
  STRATA_ASSIGN_OR_RETURN(int64_t shards_flag, flags.GetInt("shards", 4));
  if (hosts < 1 || hosts > 100'000 || interval_ms < 1 || duration_ms < interval_ms || per_request < 1 ||
      per_series < 1 || shards_flag < 1 || shards_flag > 1024) {
    return absl::InvalidArgumentError("need hosts in [1, 100000], interval >= 1ms, duration >= interval, "
                                      "seriesPerRequest >= 1, samplesPerSeries >= 1, shards in [1, 1024]");
  }
  const uint32_t shards = static_cast<uint32_t>(shards_flag);
  const int64_t steps = duration_ms / interval_ms;
  // Default start: ends 5 minutes ago, so queries at the end are not inside
  // any server's "too recent" window.
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  int64_t start_ms = now_ms - steps * interval_ms - 5 * 60'000;
  if (flags.Has("start")) {
    STRATA_ASSIGN_OR_RETURN(int64_t start_s, flags.GetInt("start", 0));
    start_ms = start_s * 1000;
  }
  start_ms -= start_ms % interval_ms;

  absl::Status st;
  std::string text = ReadFile(snapshot_path, &st);
  STRATA_RETURN_IF_ERROR(st);
  absl::StatusOr<Exposition> expo = ParseExposition(text);
  if (!expo.ok()) return Annotate(expo.status(), fmt::format("cannot parse {}", snapshot_path));

  // Uptime of the scraped node: counters grew at value/uptime on average.
  double uptime_s = 3600;
  {
    double now_v = 0, boot_v = 0;
    for (const ExpositionSample& s : expo->samples) {
      if (s.name == "node_time_seconds") now_v = s.value;
      if (s.name == "node_boot_time_seconds") boot_v = s.value;
    }
    if (now_v > boot_v && boot_v > 0) uptime_s = std::max(60.0, now_v - boot_v);
  }

  std::vector<SeriesModel> models;
  for (const ExpositionSample& s : expo->samples) {
    SeriesModel m = Classify(s, expo->TypeOf(s.name));
    m.labels.push_back(Label{std::string(kMetricNameLabel), s.name});
    // Prometheus drops empty-valued labels at scrape time.
    for (const Label& l : s.labels) {
      if (!l.value.empty() && l.name != "instance" && l.name != "job") m.labels.push_back(l);
    }
    models.push_back(std::move(m));
  }
  const size_t n = models.size();
  if (n == 0) return absl::InvalidArgumentError(fmt::format("{} has no samples", snapshot_path));

  Rng rng(static_cast<uint64_t>(seed));
  // Hosts scrape at a fixed offset within the interval; within a step they are
  // sent in scrape order, as one Prometheus would.
  std::vector<int64_t> offsets(static_cast<size_t>(hosts));
  for (auto& o : offsets) o = static_cast<int64_t>(rng.Uniform() * static_cast<double>(interval_ms));
  std::vector<size_t> host_order(static_cast<size_t>(hosts));
  for (size_t h = 0; h < host_order.size(); ++h) host_order[h] = h;
  std::stable_sort(host_order.begin(), host_order.end(), [&](size_t a, size_t b) { return offsets[a] < offsets[b]; });

  std::vector<Labels> labels;  // [host * n + series]
  std::vector<std::vector<LabelView>> views;
  std::vector<SeriesState> state;
  labels.reserve(static_cast<size_t>(hosts) * n);
  state.reserve(static_cast<size_t>(hosts) * n);
  size_t counters = 0, gauges = 0, constants = 0;
  for (int64_t h = 0; h < hosts; ++h) {
    for (const SeriesModel& m : models) {
      std::vector<Label> ls = m.labels;
      ls.push_back(Label{"instance", fmt::format("host-{:03d}:9100", h)});
      ls.push_back(Label{"job", "node"});
      labels.push_back(Labels::FromUnsorted(std::move(ls)));
      SeriesState s;
      switch (m.kind) {
        case Kind::kCounter:
          if (m.v0 > 0) {
            s.exact = m.v0 * rng.Uniform(0.5, 3.0);
            s.rate = m.v0 / uptime_s * rng.Uniform(0.5, 2.0);
          } else if (rng.Uniform() < 0.15) {
            // Most zero counters (errors, drops) stay zero; a few tick slowly.
            s.rate = std::pow(10.0, rng.Uniform(-3, -0.5));
          }
          ++counters;
          break;
        case Kind::kGauge:
          s.mean = m.v0 * rng.Uniform(0.8, 1.2);
          s.exact = s.mean;
          ++gauges;
          break;
        case Kind::kConstant:
        case Kind::kClock:
          s.exact = m.v0;
          ++constants;
          break;
      }
      state.push_back(s);
    }
  }
  views.reserve(labels.size());
  std::vector<uint32_t> shard_of;  // [host * n + series]
  shard_of.reserve(labels.size());
  for (const Labels& ls : labels) {
    std::vector<LabelView> v;
    for (const Label& l : ls) v.push_back(LabelView{l.name, l.value});
    shard_of.push_back(ShardOf(v, shards));
    views.push_back(std::move(v));
  }

  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) return absl::InternalError(fmt::format("cannot create {}", out_path));
  std::vector<char> iobuf(1 << 20);
  std::setvbuf(out, iobuf.data(), _IOFBF, iobuf.size());

  auto t0 = std::chrono::steady_clock::now();
  // One encoder per shard, as a Prometheus remote_write queue has one
  // pending batch per shard: a shard's frames are written as they fill, so
  // each shard's frames are in time order in the file.
  std::vector<RemoteWriteEncoder> encs(shards);
  std::vector<uint64_t> shard_requests(shards);
  uint64_t total_samples = 0, total_series_entries = 0, requests = 0, bytes = 0, raw_bytes = 0;
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
  bool write_failed = false;
  {
    std::string file_hdr(kFrameFileMagic, sizeof(kFrameFileMagic));
    PutFixed32(&file_hdr, kFrameFileVersion);
    PutFixed32(&file_hdr, shards);
    write_failed |= std::fwrite(file_hdr.data(), 1, file_hdr.size(), out) != file_hdr.size();
    bytes += file_hdr.size();
  }
  auto flush = [&](uint32_t shard) {
    RemoteWriteEncoder& enc = encs[shard];
    if (enc.series_count() == 0) return;
    raw_bytes += enc.proto().size();
    std::string body = enc.FinishSnappy();
    std::string hdr;
    PutFixed32(&hdr, static_cast<uint32_t>(body.size()));
    PutFixed32(&hdr, shard);
    write_failed |= std::fwrite(hdr.data(), 1, hdr.size(), out) != hdr.size();
    write_failed |= std::fwrite(body.data(), 1, body.size(), out) != body.size();
    bytes += hdr.size() + body.size();
    ++requests;
    ++shard_requests[shard];
  };

  const double dt_s = static_cast<double>(interval_ms) / 1000.0;
  std::vector<Sample> samples;
  for (int64_t g = 0; g < steps; g += per_series) {
    int64_t g_end = std::min(steps, g + per_series);
    for (size_t h : host_order) {
      for (size_t i = 0; i < n; ++i) {
        const SeriesModel& m = models[i];
        SeriesState& s = state[h * n + i];
        samples.clear();
        for (int64_t k = g; k < g_end; ++k) {
          int64_t ts = ScrapeTimestamp(start_ms, interval_ms, offsets[h], seed, h, k);
          double v = 0;
          switch (m.kind) {
            case Kind::kConstant: v = m.v0; break;
            case Kind::kClock: v = RoundTo(static_cast<double>(ts) / 1000.0 + rng.Uniform() * 1e-3, m.decimals); break;
            case Kind::kCounter:
              if (k > 0) s.exact += s.rate * dt_s * std::max(0.0, 1.0 + 0.25 * rng.Normal());
              v = RoundTo(s.exact, m.decimals);
              break;
            case Kind::kGauge:
              if (k > 0) {
                s.exact += 0.1 * (s.mean - s.exact) + m.rel_vol * std::abs(s.mean) * rng.Normal();
                if (m.v0 >= 0) s.exact = std::max(0.0, s.exact);
              }
              v = Emit(m, s.exact);
              break;
          }
          samples.push_back(Sample{ts, v});
          min_ts = std::min(min_ts, ts);
          max_ts = std::max(max_ts, ts);
        }
        const uint32_t shard = shard_of[h * n + i];
        encs[shard].AddSeries(views[h * n + i], samples);
        total_samples += samples.size();
        ++total_series_entries;
        if (encs[shard].series_count() >= static_cast<size_t>(per_request)) flush(shard);
      }
    }
  }
  for (uint32_t shard = 0; shard < shards; ++shard) flush(shard);
  bool close_failed = std::fclose(out) != 0;
  if (write_failed || close_failed) return absl::InternalError(fmt::format("cannot write {}", out_path));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const size_t series = labels.size();
  std::string per_shard = fmt::format("{}", fmt::join(shard_requests, ","));
  std::string meta = fmt::format(
      "format={}\nshards={}\nshard_requests={}\nhosts={}\nseries={}\nsteps={}\ninterval_ms={}\nsamples={}\n"
      "requests={}\nbytes={}\nraw_bytes={}\nstart_ms={}\nend_ms={}\nseed={}\nseries_per_request={}\n"
      "samples_per_series={}\nsnapshot={}\n",
      kFrameFileVersion, shards, per_shard, hosts, series, steps, interval_ms, total_samples, requests, bytes,
      raw_bytes, min_ts, max_ts, seed, per_request, per_series, snapshot_path);
  std::FILE* mf = std::fopen((out_path + ".meta").c_str(), "w");
  if (mf == nullptr || std::fputs(meta.c_str(), mf) < 0 || std::fclose(mf) != 0) {
    return absl::InternalError(fmt::format("cannot write {}.meta", out_path));
  }
  fmt::print(
      "generated {}: {} hosts x {} series = {} series ({} counters, {} gauges, {} constant), {} steps of {} ms\n"
      "  {} samples in {} requests ({} series entries; per shard: {}), {} bytes on the wire ({} uncompressed, "
      "{:.1f} bytes/sample), {:.1f} s\n",
      out_path, hosts, n, series, counters, gauges, constants, steps, interval_ms, total_samples, requests,
      total_series_entries, per_shard, bytes, raw_bytes, static_cast<double>(bytes) / static_cast<double>(total_samples), secs);
  return absl::OkStatus();
}

}  // namespace

int RunGenerate(const Flags& flags) {
  absl::Status st = Generate(flags);
  if (!st.ok()) {
    fmt::print(stderr, "strata_loadgen generate: {}\n", st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace strata::bench
