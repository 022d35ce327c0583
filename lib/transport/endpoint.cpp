#include "transport/endpoint.hpp"

#include <uvwamp/transport_error.hpp>

#include <arpa/inet.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace uvwamp {
namespace {

constexpr std::string_view kUnixHost = "unix:";

Error invalid(std::string_view url, const std::string& why) {
  return Error{transport_errc::invalid_url,
               "invalid endpoint URL '" + std::string(url) + "': " + why};
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = lower(c);
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// A character shown in a message: printable ASCII as itself, anything else as its code.
std::string quoted_char(char c) {
  const auto octet = static_cast<unsigned char>(c);
  if (octet > 0x20 && octet < 0x7f) return std::string("'") + c + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[octet >> 4] + kHex[octet & 0xf];
}

// The resource name goes into the request line as written, so it must already be percent-
// encoded: printable ASCII without spaces.
std::optional<char> bad_path_char(std::string_view path) {
  for (char c : path) {
    const auto octet = static_cast<unsigned char>(c);
    if (octet <= 0x20 || octet >= 0x7f) return c;
  }
  return std::nullopt;
}

struct Scheme {
  Endpoint::Protocol protocol;
  bool tls;
  std::uint16_t default_port;  // 0: the URL must give one
};

std::optional<Scheme> find_scheme(const std::string& name) {
  if (name == "ws") return Scheme{Endpoint::Protocol::websocket, false, 80};
  if (name == "wss") return Scheme{Endpoint::Protocol::websocket, true, 443};
  if (name == "rs") return Scheme{Endpoint::Protocol::rawsocket, false, 0};
  if (name == "rss") return Scheme{Endpoint::Protocol::rawsocket, true, 0};
  return std::nullopt;
}

// The digits after the host's colon, at least one.
Result<std::uint16_t> parse_port(std::string_view url, std::string_view digits) {
  unsigned long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return invalid(url, "the port '" + std::string(digits) + "' is not a number");
    }
    // Stop counting once out of range, so that a long run of digits cannot overflow.
    if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value < 1 || value > 65535) {
    return invalid(url, "the port " + std::string(digits) + " is out of the range 1..65535");
  }
  return static_cast<std::uint16_t>(value);
}

Result<Endpoint> parse_unix(std::string_view url, const Scheme& scheme, std::string_view rest) {
  std::string_view path = rest.substr(kUnixHost.size());
  if (scheme.tls) {
    return invalid(url, "TLS over a Unix socket is not supported");
  }
  if (path.find('?') != std::string_view::npos) {
    return invalid(url, "a Unix socket URL has no query ('?')");
  }
  if (path.empty()) {
    return invalid(url, "the Unix socket path after 'unix:' is missing");
  }
  Endpoint endpoint;
  endpoint.protocol = scheme.protocol;
  endpoint.unix_path = std::string(path);
  if (scheme.protocol == Endpoint::Protocol::websocket) endpoint.http_host = "localhost";
  return endpoint;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view url) {
  if (url.empty()) return invalid(url, "the URL is empty");
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return invalid(url, "no scheme; expected ws://, wss://, rs:// or rss://");
  }
  const std::string scheme_name = lowercase(url.substr(0, scheme_end));
  const std::optional<Scheme> scheme = find_scheme(scheme_name);
  if (!scheme) {
    const std::size_t plus = scheme_name.find("+unix");
    if (plus != std::string::npos && find_scheme(scheme_name.substr(0, plus))) {
      return invalid(url, "unknown scheme '" + scheme_name + "'; a Unix socket is written " +
                              scheme_name.substr(0, plus) + "://unix:/path/to.sock");
    }
    return invalid(url, "unknown scheme '" + scheme_name + "'; expected ws, wss, rs or rss");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) {
    return invalid(url, "a fragment ('#') is not allowed");
  }
  if (starts_with_ignoring_case(rest, kUnixHost)) return parse_unix(url, *scheme, rest);

  const bool websocket = scheme->protocol == Endpoint::Protocol::websocket;
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view resource =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return invalid(url, "user information ('user@') is not supported");
  }

  Endpoint endpoint;
  endpoint.protocol = scheme->protocol;
  endpoint.tls = scheme->tls;
  std::string_view after_host;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid(url, "the '[' of an IPv6 host has no ']'");
    endpoint.host = std::string(authority.substr(1, close - 1));
    in6_addr address;
    if (inet_pton(AF_INET6, endpoint.host.c_str(), &address) != 1) {
      return invalid(url, "'" + endpoint.host + "' is not an IPv6 address");
    }
    ipv6 = true;
    after_host = authority.substr(close + 1);
    if (!after_host.empty() && after_host.front() != ':') {
      return invalid(url, "the IPv6 host must be followed by ':port' or a path");
    }
  } else {
    const std::size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) after_host = authority.substr(colon);
    if (after_host.find(':', 1) != std::string_view::npos) {
      return invalid(url, "an IPv6 address must be written in brackets, as [::1]");
    }
    for (char c : endpoint.host) {
      if (!is_host_char(c)) return invalid(url, "the host may not contain " + quoted_char(c));
    }
  }
  if (endpoint.host.empty()) return invalid(url, "the host is missing");

  const bool has_port = after_host.size() > 1;
  if (has_port) {
    auto port = parse_port(url, after_host.substr(1));
    if (!port) return port.error();
    endpoint.port = port.value();
  } else if (scheme->default_port != 0) {
    endpoint.port = scheme->default_port;
  } else {
    return invalid(url, "a RawSocket URL needs a port, as " + scheme_name + "://host:port");
  }

  if (!websocket) {
    if (!resource.empty() && resource.front() == '?') {
      return invalid(url, "a RawSocket URL has no query ('?')");
    }
    if (!resource.empty()) return invalid(url, "a RawSocket URL has no path");
    return endpoint;
  }
  if (const auto c = bad_path_char(resource)) {
    return invalid(url, "the path may not contain " + quoted_char(*c) + "; percent-encode it");
  }
  if (resource.empty()) {
    endpoint.http_path = "/";
  } else if (resource.front() == '?') {
    endpoint.http_path = "/" + std::string(resource);
  } else {
    endpoint.http_path = std::string(resource);
  }
  endpoint.http_host = ipv6 ? "[" + endpoint.host + "]" : endpoint.host;
  if (endpoint.port != scheme->default_port) {
    endpoint.http_host += ":" + std::to_string(endpoint.port);
  }
  return endpoint;
}

}  // namespace uvwamp
