#include "common/net/http.h"

#include <algorithm>

#include <fmt/format.h>

namespace strata {

std::string_view HttpRequest::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status ParsePairs(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    if (!name.ok()) return name.status();
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
      if (!v.ok()) return v.status();
      value = std::move(*v);
    }
    out->emplace_back(std::move(*name), std::move(value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (i + 2 >= s.size() || hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            fmt::format("invalid URL escape \"{}\"", s.substr(i, std::min<size_t>(3, s.size() - i))));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<FormParams> FormParams::ParseQueryString(std::string_view query) {
  FormParams p;
  absl::Status st = ParsePairs(query, &p.items_);
  if (!st.ok()) return st;
  return p;
}

absl::StatusOr<FormParams> FormParams::Parse(const HttpRequest& request) {
  FormParams p;
  absl::Status st;
  if (request.method == "POST") {
    std::string_view ct = request.Header("content-type");
    // Media type match is case-insensitive and ignores parameters (charset).
    std::string media(ct.substr(0, ct.find(';')));
    std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
    media.erase(media.find_last_not_of(" \t") + 1);
    if (media == "application/x-www-form-urlencoded") {
      st = ParsePairs(request.body, &p.items_);
      if (!st.ok()) return st;
    }
  }
  // Body values come first so that Get() prefers them, as Go's
  // Request.FormValue (and so Prometheus) does.
  st = ParsePairs(request.query, &p.items_);
  if (!st.ok()) return st;
  return p;
}

bool FormParams::Has(std::string_view name) const {
  return std::any_of(items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == name; });
}

std::string_view FormParams::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return {};
}

std::vector<std::string_view> FormParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : items_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

void HttpMux::HandleExact(std::string path, HttpHandler handler) {
  exact_.emplace_back(std::move(path), std::move(handler));
}

void HttpMux::HandlePrefix(std::string prefix, HttpHandler handler) {
  prefixes_.emplace_back(std::move(prefix), std::move(handler));
  // Longest prefix first so that Find can stop at the first match.
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const HttpHandler* HttpMux::Find(std::string_view path) const {
  for (const auto& [p, h] : exact_) {
    if (p == path) return &h;
  }
  for (const auto& [p, h] : prefixes_) {
    if (path.substr(0, p.size()) == p) return &h;
  }
  return nullptr;
}

}  // namespace strata
