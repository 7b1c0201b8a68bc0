// File: common/net/tls_context.h
//
// OpenSSL contexts for Strata's TLS listeners (HTTPS, RPC) and RPC clients,
// built from PEM files. Internal: include only from the .cc files of
// common/net and common/rpc (it pulls in Asio's SSL headers).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"

namespace strata::net_internal {

// A server context with the certificate chain and key of `cert_file` and
// `key_file`; `min_version` is "TLS12" or "TLS13". InvalidArgument naming
// the file when one cannot be used (missing, not PEM, key not matching).
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> ServerTlsContext(const std::string& cert_file,
                                                                            const std::string& key_file,
                                                                            const std::string& min_version);

// A client context that verifies the server's certificate against
// `ca_file` (empty: the system's trust store), unless `insecure_skip_verify`.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> ClientTlsContext(const std::string& ca_file,
                                                                            bool insecure_skip_verify);

}  // namespace strata::net_internal
