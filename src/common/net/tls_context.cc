#include "common/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fmt/format.h>

namespace strata::net_internal {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

absl::StatusOr<std::unique_ptr<ssl::context>> ServerTlsContext(const std::string& cert_file,
                                                               const std::string& key_file,
                                                               const std::string& min_version) {
  if (cert_file.empty() || key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file (-tlsCertFile) and a key file (-tlsKeyFile)");
  }
  int version;
  if (min_version == "TLS12") {
    version = TLS1_2_VERSION;
  } else if (min_version == "TLS13") {
    version = TLS1_3_VERSION;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("unsupported TLS minimum version \"{}\": want TLS12 or TLS13", min_version));
  }
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), version);
  // SSLv2/3 are below the minimum version set above.
  ctx->set_options(ssl::context::default_workarounds);
  error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(fmt::format("cannot load TLS certificate \"{}\": {}", cert_file, ec.message()));
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(fmt::format("cannot load TLS key \"{}\": {}", key_file, ec.message()));
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        fmt::format("TLS key \"{}\" does not match the certificate \"{}\"", key_file, cert_file));
  }
  return ctx;
}

absl::StatusOr<std::unique_ptr<ssl::context>> ClientTlsContext(const std::string& ca_file,
                                                               bool insecure_skip_verify) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(fmt::format("cannot load TLS CA file \"{}\": {}", ca_file, ec.message()));
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

}  // namespace strata::net_internal
