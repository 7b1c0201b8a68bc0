// File: common/net/asio_util.h
//
// Asio helpers shared by the HTTP server and the RPC layer. This header
// includes Asio: include it only from the .cc files of common/net and
// common/rpc, never from a widely included header.
#pragma once

#include <exception>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "absl/status/status.h"

namespace strata::net_internal {

// Opens, binds and listens `acceptor` on "host:port" (":port" = every
// interface, IPv4 and IPv6; port 0 = any free port). `what` names the
// listener in messages ("HTTP", "RPC"). InvalidArgument for a malformed
// address, Unavailable when it cannot be bound; the acceptor is closed then.
absl::Status Listen(boost::asio::ip::tcp::acceptor& acceptor, std::string_view address, std::string_view what);

// The completion handler body of every top-level co_spawn: logs a non-null
// exception instead of letting it vanish (STYLE.md §4.5).
void LogCoroutineException(std::string_view what, std::exception_ptr e);

}  // namespace strata::net_internal
