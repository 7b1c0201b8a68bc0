#include "common/net/http_fetch.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "common/base/ascii.h"


namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

absl::StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return absl::InvalidArgumentError(fmt::format("unsupported URL \"{}\": only http:// is supported", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, slash);
  Url out;
  if (slash != std::string_view::npos) {
    out.target = rest[slash] == '?' ? "/" + std::string(rest.substr(slash)) : std::string(rest.substr(slash));
  }
  if (authority.starts_with('[')) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError(fmt::format("malformed URL \"{}\"", url));
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) out.port = std::string(authority.substr(1));
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty() ||
      !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(fmt::format("malformed URL \"{}\"", url));
  }
  return out;
}

// A socket closed on destruction.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

// Waits for `events` on `fd` until the deadline.
absl::Status Wait(int fd, short events, Clock::time_point deadline, std::string_view what) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return absl::OkStatus();
    if (n == 0) return absl::DeadlineExceededError(fmt::format("timed out {}", what));
    if (errno != EINTR) return absl::UnavailableError(fmt::format("poll: {}", std::strerror(errno)));
  }
}

absl::StatusOr<int> Connect(const Url& url, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(fmt::format("cannot resolve {}: {}", url.host, gai_strerror(rc)));
  }
  std::string last_error = "no addresses";
  int connected = -1;
  for (addrinfo* ai = res; ai != nullptr && connected < 0; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = fd;
      break;
    }
    if (errno == EINPROGRESS) {
      absl::Status waited = Wait(fd, POLLOUT, deadline, "connecting");
      int err = 0;
      socklen_t len = sizeof(err);
      if (waited.ok() && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        connected = fd;
        break;
      }
      last_error = waited.ok() ? std::strerror(err) : std::string(waited.message());
    } else {
      last_error = std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(res);
  if (connected < 0) {
    return absl::UnavailableError(fmt::format("cannot connect to {}:{}: {}", url.host, url.port, last_error));
  }
  return connected;
}

absl::Status SendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (absl::Status s = Wait(fd, POLLOUT, deadline, "sending"); !s.ok()) return s;
    } else {
      return absl::UnavailableError(fmt::format("send: {}", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

// Reads until the peer closes (the request said Connection: close).
absl::StatusOr<std::string> ReadAll(int fd, Clock::time_point deadline, size_t limit) {
  std::string data;
  char buf[16384];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
      if (data.size() > limit) return absl::ResourceExhaustedError(fmt::format("response exceeds {} bytes", limit));
    } else if (n == 0) {
      return data;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (absl::Status s = Wait(fd, POLLIN, deadline, "waiting for the response"); !s.ok()) return s;
    } else {
      return absl::UnavailableError(fmt::format("recv: {}", std::strerror(errno)));
    }
  }
}

absl::StatusOr<std::string> Dechunk(std::string_view body) {
  std::string out;
  while (true) {
    const size_t eol = body.find("\r\n");
    if (eol == std::string_view::npos) return absl::UnavailableError("truncated chunked body");
    std::string_view size_text = body.substr(0, std::min(eol, body.find(';')));
    size_t size = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size()) {
      return absl::UnavailableError("malformed chunk size");
    }
    body.remove_prefix(eol + 2);
    if (size == 0) return out;  // trailers, if any, are ignored
    if (body.size() < size + 2) return absl::UnavailableError("truncated chunked body");
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
}

absl::StatusOr<HttpResponse> ParseResponse(std::string_view raw) {
  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return absl::UnavailableError("malformed HTTP response: no header end");
  std::string_view head = raw.substr(0, header_end);
  std::string_view body = raw.substr(header_end + 4);
  const size_t first_eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, first_eol);
  // HTTP/1.x <code> <reason>
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') {
    return absl::UnavailableError(fmt::format("malformed HTTP status line \"{}\"", status_line));
  }
  HttpResponse out;
  out.content_type.clear();
  auto [ptr, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, out.status);
  if (ec != std::errc() || ptr != status_line.data() + 12) {
    return absl::UnavailableError(fmt::format("malformed HTTP status line \"{}\"", status_line));
  }
  bool chunked = false;
  int64_t content_length = -1;
  std::string_view rest = first_eol == std::string_view::npos ? std::string_view() : head.substr(first_eol + 2);
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (EqualsIgnoreCase(name, "content-type")) {
      out.content_type = std::string(value);
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = value.find("chunked") != std::string_view::npos;
    } else if (EqualsIgnoreCase(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), content_length);
    } else if (!EqualsIgnoreCase(name, "connection")) {
      out.headers.emplace_back(std::string(name), std::string(value));
    }
  }
  if (chunked) {
    auto decoded = Dechunk(body);
    if (!decoded.ok()) return decoded.status();
    out.body = *std::move(decoded);
  } else if (content_length >= 0) {
    if (body.size() < static_cast<size_t>(content_length)) return absl::UnavailableError("truncated HTTP body");
    out.body = std::string(body.substr(0, static_cast<size_t>(content_length)));
  } else {
    out.body = std::string(body);
  }
  return out;
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(std::string_view url, const HttpFetchOptions& options) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  const Clock::time_point deadline = Clock::now() + options.timeout;
  auto fd = Connect(*parsed, deadline);
  if (!fd.ok()) return fd.status();
  Socket socket(*fd);
  const bool v6 = parsed->host.find(':') != std::string::npos;
  const std::string host = v6 ? fmt::format("[{}]", parsed->host) : parsed->host;
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: strata\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
      parsed->target, host, parsed->port);
  if (absl::Status s = SendAll(socket.fd(), request, deadline); !s.ok()) return s;
  // Headers are small; the limit is for the body.
  auto raw = ReadAll(socket.fd(), deadline, options.max_body_bytes + (size_t{64} << 10));
  if (!raw.ok()) return raw.status();
  return ParseResponse(*raw);
}

}  // namespace strata
