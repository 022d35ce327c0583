// TLS options for wss:// and rss:// endpoints (in a build with TLS, see the 'tls' option).
#pragma once

#include <string>

namespace uvwamp {

struct TlsOptions {
  // The name the server's certificate must be valid for, also sent as SNI. An IP address is
  // matched against the certificate's IP address entries and not sent as SNI. Required unless
  // verification is off; TlsConnector fills in the host it connects to.
  std::string server_name;
  // Trusted CAs: a PEM or DER file, and/or a directory of such files (as /etc/ssl/certs). With
  // neither, the system bundle /etc/ssl/certs/ca-certificates.crt.
  std::string ca_file;
  std::string ca_directory;
  // A client certificate (PEM or DER, the chain after it) and its unencrypted private key,
  // presented when the server asks for one. Both or neither.
  std::string certificate_file;
  std::string private_key_file;
  // Accepts any certificate for any name: for tests against throwaway certificates only, since
  // anyone on the path can then read and change the traffic.
  bool dangerously_skip_certificate_verification = false;
};

}  // namespace uvwamp
