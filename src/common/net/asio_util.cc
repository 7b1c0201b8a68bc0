#include "common/net/asio_util.h"

#include <boost/asio/ip/v6_only.hpp>
#include <fmt/format.h>

#include "common/base/logging.h"
#include "common/base/status.h"
#include "common/net/http_server.h"

namespace strata::net_internal {

namespace asio = boost::asio;
using boost::system::error_code;

absl::Status Listen(asio::ip::tcp::acceptor& acceptor, std::string_view address, std::string_view what) {
  std::string host;
  uint16_t port = 0;
  STRATA_RETURN_IF_ERROR(SplitHostPort(address, &host, &port));
  error_code ec;
  asio::ip::address addr =
      host.empty() ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("cannot parse {} listen address \"{}\": {}", what, address, ec.message()));
  }
  asio::ip::tcp::endpoint endpoint(addr, port);
  acceptor.open(endpoint.protocol(), ec);
  // ":port" means every interface: one dual-stack socket takes IPv4 too.
  if (!ec && host.empty()) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return absl::UnavailableError(fmt::format("cannot listen for {} on \"{}\": {}", what, address, ec.message()));
  }
  return absl::OkStatus();
}

void LogCoroutineException(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    STRATA_LOG(Error, "{} ended with an exception: {}", what, ex.what());
  } catch (...) {
    STRATA_LOG(Error, "{} ended with a non-standard exception", what);
  }
}

}  // namespace strata::net_internal
