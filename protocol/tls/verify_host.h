// Client-side TLS to the control plane: the peer must present a certificate for `host`
// (checked against the pinned CA loaded into the context), and `host` goes out as SNI.
// Shared by the HTTPS client, the simulated agent and the real agent's WebSocket.
#pragma once

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <string>

namespace skiff::tls {

template <typename SslStream>
void verify_host(SslStream& stream, const std::string& host) {
  stream.set_verify_mode(boost::asio::ssl::verify_peer);
  stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  // SSL_set_tlsext_host_name, without its C-style cast.
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(host.c_str()));
}

}  // namespace skiff::tls
