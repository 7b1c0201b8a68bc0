#include "bench/load/http_post.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "common/base/status.h"

namespace strata::bench {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(fmt::format("cannot {}: {}", what, std::strerror(errno)));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return absl::InvalidArgumentError(fmt::format("unsupported url {:?}: want http://", url));
  url.remove_prefix(kScheme.size());
  size_t slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = std::string(hostport);
  } else {
    out.host = std::string(hostport.substr(0, colon));
    std::string port(hostport.substr(colon + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
      return absl::InvalidArgumentError(fmt::format("invalid port in url: {:?}", port));
    }
    out.port = static_cast<uint16_t>(p);
  }
  if (out.host.empty()) return absl::InvalidArgumentError("url has no host");
  return out;
}

HttpPostClient::HttpPostClient(std::string host, uint16_t port, std::chrono::milliseconds io_timeout)
    : host_(std::move(host)), port_(port), io_timeout_(io_timeout) {}

HttpPostClient::~HttpPostClient() { Close(); }

void HttpPostClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

absl::Status HttpPostClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(fmt::format("cannot resolve {}: {}", host_, gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError("no address");
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = Errno("create socket");
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last = Errno(fmt::format("connect to {}:{}", host_, port_));
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{};
    tv.tv_sec = io_timeout_.count() / 1000;
    tv.tv_usec = (io_timeout_.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    fd_ = fd;
    ++connects_;
    last = absl::OkStatus();
    break;
  }
  ::freeaddrinfo(res);
  return last;
}

absl::Status HttpPostClient::WriteAll(std::string_view a, std::string_view b) {
  iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  int first = 0;
  while (first < 2) {
    msghdr msg{};
    msg.msg_iov = &iov[first];
    msg.msg_iovlen = static_cast<size_t>(2 - first);
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("send request");
    }
    auto left = static_cast<size_t>(n);
    while (first < 2 && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> HttpPostClient::Fill() {
  char tmp[16384];
  while (true) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read response");
    buf_.append(tmp, static_cast<size_t>(n));
    return static_cast<size_t>(n);
  }
}

absl::StatusOr<HttpResult> HttpPostClient::ReadResponse(bool* got_bytes, bool* keep_alive) {
  *got_bytes = !buf_.empty();
  size_t header_end;
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    STRATA_ASSIGN_OR_RETURN(size_t n, Fill());
    if (n == 0) return absl::UnavailableError("connection closed before the response headers");
    *got_bytes = true;
    if (buf_.size() > (1 << 20)) return absl::InternalError("response headers exceed 1 MiB");
  }
  std::string_view head(buf_.data(), header_end);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  HttpResult result;
  // "HTTP/1.1 204 No Content"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    return absl::InternalError(fmt::format("malformed status line {:?}", status_line));
  }
  result.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  *keep_alive = status_line.starts_with("HTTP/1.1");
  std::optional<size_t> content_length;
  bool chunked = false;
  std::string_view headers = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!headers.empty()) {
    size_t e = headers.find("\r\n");
    std::string_view line = headers.substr(0, e);
    headers = e == std::string_view::npos ? std::string_view() : headers.substr(e + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      content_length = static_cast<size_t>(std::strtoull(std::string(value).c_str(), nullptr, 10));
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = value.find("chunked") != std::string_view::npos;
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(value, "close")) *keep_alive = false;
      if (EqualsIgnoreCase(value, "keep-alive")) *keep_alive = true;
    }
  }
  buf_.erase(0, header_end + 4);

  if (result.status == 204 || result.status == 304 || result.status / 100 == 1) {
    content_length = 0;
    chunked = false;
  }
  if (chunked) {
    while (true) {
      size_t e;
      while ((e = buf_.find("\r\n")) == std::string::npos) {
        STRATA_ASSIGN_OR_RETURN(size_t n, Fill());
        if (n == 0) return absl::UnavailableError("connection closed inside a chunked body");
      }
      size_t chunk = std::strtoull(buf_.substr(0, e).c_str(), nullptr, 16);
      while (buf_.size() < e + 2 + chunk + 2) {
        STRATA_ASSIGN_OR_RETURN(size_t n, Fill());
        if (n == 0) return absl::UnavailableError("connection closed inside a chunked body");
      }
      result.body.append(buf_, e + 2, chunk);
      buf_.erase(0, e + 2 + chunk + 2);
      // The last chunk has size 0; trailers are not expected from our servers.
      if (chunk == 0) break;
    }
  } else if (content_length) {
    while (buf_.size() < *content_length) {
      STRATA_ASSIGN_OR_RETURN(size_t n, Fill());
      if (n == 0) return absl::UnavailableError("connection closed inside the response body");
    }
    result.body = buf_.substr(0, *content_length);
    buf_.erase(0, *content_length);
  } else {
    // No length: the body runs to the end of the connection.
    while (true) {
      STRATA_ASSIGN_OR_RETURN(size_t n, Fill());
      if (n == 0) break;
    }
    result.body = std::move(buf_);
    buf_.clear();
    *keep_alive = false;
  }
  return result;
}

absl::StatusOr<HttpResult> HttpPostClient::Post(std::string_view path,
                                                const std::vector<std::pair<std::string, std::string>>& headers,
                                                std::string_view body) {
  std::string head = fmt::format("POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n", path, host_, port_,
                                 body.size());
  for (const auto& [name, value] : headers) head += fmt::format("{}: {}\r\n", name, value);
  head += "\r\n";

  for (int attempt = 0;; ++attempt) {
    bool reused = fd_ >= 0;
    if (!reused) STRATA_RETURN_IF_ERROR(Connect());
    absl::Status st = WriteAll(head, body);
    bool got_bytes = false;
    bool keep_alive = false;
    absl::StatusOr<HttpResult> result = st.ok() ? ReadResponse(&got_bytes, &keep_alive) : st;
    if (result.ok()) {
      if (!keep_alive) Close();
      return result;
    }
    Close();
    // A stale keep-alive socket fails before any response byte: retry once.
    if (reused && !got_bytes && attempt == 0) continue;
    return result.status();
  }
}

}  // namespace strata::bench
