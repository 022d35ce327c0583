#include "framing/http_upgrade.hpp"

#include <uvwamp/transport_error.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "util/base64.hpp"
#include "util/sha1.hpp"

namespace uvwamp {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// Error messages quote at most this much of a line from the router.
constexpr std::size_t kMaxQuoted = 200;

// The headers the handshake writes itself; a caller's extra header may not repeat them.
constexpr std::string_view kHandshakeHeaders[] = {
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_token_char(char c) {
  if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

bool is_control(char c) {
  const auto octet = static_cast<unsigned char>(c);
  return octet < 0x20 || octet == 0x7f;
}

// Field values may hold tabs but no other control character (RFC 9110, section 5.5).
bool is_field_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return c != '\t' && is_control(c); });
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c == ' ' || is_control(c); });
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string quoted(std::string_view text) {
  if (text.size() <= kMaxQuoted) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMaxQuoted)) + "...\"";
}

// The lines of a complete head, without their terminators; the empty line that ends it is left
// out.
std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const std::size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    head.remove_prefix(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

// "HTTP/1.x 101 Switching Protocols": the status code, or nullopt when the line is not an
// HTTP/1 status line. The reason phrase may be empty, and so may the space before it.
std::optional<int> parse_status_line(std::string_view line) {
  constexpr std::string_view kVersionPrefix = "HTTP/1.";
  if (line.size() < kVersionPrefix.size() + 5 ||
      line.substr(0, kVersionPrefix.size()) != kVersionPrefix)
    return std::nullopt;
  line.remove_prefix(kVersionPrefix.size());
  if (!is_digit(line[0]) || line[1] != ' ') return std::nullopt;
  int status = 0;
  for (std::size_t i = 2; i < 5; ++i) {
    if (!is_digit(line[i])) return std::nullopt;
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 5 && line[5] != ' ') return std::nullopt;
  return status;
}

// Every element of the comma-separated lists in all fields called `name`, trimmed; empty
// elements are skipped, as RFC 9110 (section 5.6.1) asks of recipients.
std::vector<std::string_view> list_elements(const std::vector<HttpHeader>& headers,
                                            std::string_view name) {
  std::vector<std::string_view> elements;
  for (const HttpHeader& header : headers) {
    if (!equals_ignoring_case(header.name, name)) continue;
    std::string_view rest = header.value;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view element = trim(rest.substr(0, comma));
      if (!element.empty()) elements.push_back(element);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return elements;
}

bool list_contains(const std::vector<HttpHeader>& headers, std::string_view name,
                   std::string_view token) {
  const auto elements = list_elements(headers, name);
  return std::any_of(elements.begin(), elements.end(), [&](std::string_view element) {
    return equals_ignoring_case(element, token);
  });
}

std::vector<const HttpHeader*> fields_named(const std::vector<HttpHeader>& headers,
                                            std::string_view name) {
  std::vector<const HttpHeader*> fields;
  for (const HttpHeader& header : headers) {
    if (equals_ignoring_case(header.name, name)) fields.push_back(&header);
  }
  return fields;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

void check_request(const UpgradeRequest& request) {
  if (request.host.empty() || has_space_or_control(request.host))
    throw std::invalid_argument("WebSocket upgrade: host " + quoted(request.host) +
                                " is empty or holds white space or control characters");
  if (request.path.empty() || request.path[0] != '/' || has_space_or_control(request.path))
    throw std::invalid_argument("WebSocket upgrade: path " + quoted(request.path) +
                                " must start with '/' and hold no white space or control "
                                "characters");
  if (request.subprotocols.empty())
    throw std::invalid_argument("WebSocket upgrade: no subprotocol to offer");
  for (const std::string& subprotocol : request.subprotocols) {
    if (!is_token(subprotocol))
      throw std::invalid_argument("WebSocket upgrade: subprotocol " + quoted(subprotocol) +
                                  " is not an HTTP token");
  }
  for (const HttpHeader& header : request.extra_headers) {
    if (!is_token(header.name))
      throw std::invalid_argument("WebSocket upgrade: header name " + quoted(header.name) +
                                  " is not an HTTP token");
    for (std::string_view own : kHandshakeHeaders) {
      if (equals_ignoring_case(header.name, own))
        throw std::invalid_argument("WebSocket upgrade: header " + header.name +
                                    " is written by the handshake itself");
    }
    if (!is_field_value(header.value))
      throw std::invalid_argument("WebSocket upgrade: the value of header " + header.name +
                                  " holds CR, LF or another control character");
  }
}

std::string write_request(const UpgradeRequest& request, const std::string& key) {
  std::string text = "GET " + request.path + " HTTP/1.1\r\n";
  text += "Host: " + request.host + "\r\n";
  text += "Upgrade: websocket\r\n";
  text += "Connection: Upgrade\r\n";
  text += "Sec-WebSocket-Key: " + key + "\r\n";
  text += "Sec-WebSocket-Version: 13\r\n";
  text += "Sec-WebSocket-Protocol: " + joined(request.subprotocols) + "\r\n";
  for (const HttpHeader& header : request.extra_headers)
    text += header.name + ": " + header.value + "\r\n";
  text += "\r\n";
  return text;
}

}  // namespace

std::string websocket_accept(const std::string& key) {
  const std::string input = key + std::string(kWebSocketGuid);
  const sha1::Digest digest =
      sha1::digest(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  return base64::encode(digest.data(), digest.size());
}

HttpUpgrade::HttpUpgrade(const UpgradeRequest& request) : offered_(request.subprotocols) {
  check_request(request);
  const std::string key = base64::encode(request.key_nonce.data(), request.key_nonce.size());
  request_ = write_request(request, key);
  expected_accept_ = websocket_accept(key);
}

Result<std::size_t> HttpUpgrade::feed(const std::uint8_t* data, std::size_t size) {
  if (failure_) return *failure_;
  if (accepted_) return std::size_t{0};
  std::size_t consumed = 0;
  while (consumed < size) {
    const std::uint8_t* rest = data + consumed;
    const auto* newline =
        static_cast<const std::uint8_t*>(std::memchr(rest, '\n', size - consumed));
    const std::size_t take =
        newline ? static_cast<std::size_t>(newline - rest) + 1 : size - consumed;
    if (head_.size() + take > kMaxResponseHead) {
      return fail(transport_errc::bad_handshake, "the router's response head is longer than " +
                                                     std::to_string(kMaxResponseHead) + " octets");
    }
    head_.append(reinterpret_cast<const char*>(rest), take);
    consumed += take;
    if (!newline) break;

    std::string_view line = std::string_view(head_).substr(line_start_);
    line.remove_suffix(1);  // the LF
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      Status checked = check_response();
      if (!checked) return checked.error();
      return consumed;
    }
    line_start_ = head_.size();
  }
  return consumed;
}

Status HttpUpgrade::check_response() {
  const std::vector<std::string_view> lines = split_lines(head_);
  if (lines.empty())
    return fail(transport_errc::bad_handshake, "the router's response has no status line");
  const std::optional<int> status = parse_status_line(lines[0]);
  if (!status)
    return fail(transport_errc::bad_handshake,
                "the router's response is not HTTP/1: " + quoted(lines[0]));
  if (*status != 101)
    return fail(transport_errc::handshake_refused,
                "the router refused the WebSocket upgrade: " + quoted(lines[0]));

  std::vector<HttpHeader> headers;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line[0] == ' ' || line[0] == '\t') {
      if (headers.empty())
        return fail(transport_errc::bad_handshake,
                    "the router's response continues a header before any header: " + quoted(line));
      if (!is_field_value(line))
        return fail(transport_errc::bad_handshake,
                    "a header line from the router holds control characters");
      std::string& value = headers.back().value;
      const std::string_view continuation = trim(line);
      if (!value.empty() && !continuation.empty()) value += ' ';
      value += continuation;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return fail(transport_errc::bad_handshake,
                  "the router's response has a malformed header line: " + quoted(line));
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_field_value(value))
      return fail(transport_errc::bad_handshake,
                  "a header line from the router holds control characters");
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }

  if (!list_contains(headers, "Upgrade", "websocket"))
    return fail(transport_errc::bad_handshake,
                "the router's 101 response lacks \"Upgrade: websocket\"");
  if (!list_contains(headers, "Connection", "upgrade"))
    return fail(transport_errc::bad_handshake,
                "the router's 101 response lacks \"Connection: Upgrade\"");

  const auto accepts = fields_named(headers, "Sec-WebSocket-Accept");
  if (accepts.size() != 1)
    return fail(transport_errc::bad_handshake, "the router's 101 response has " +
                                                   std::to_string(accepts.size()) +
                                                   " Sec-WebSocket-Accept headers, not one");
  if (accepts[0]->value != expected_accept_)
    return fail(transport_errc::bad_handshake, "the router's Sec-WebSocket-Accept is " +
                                                   quoted(accepts[0]->value) + ", not the \"" +
                                                   expected_accept_ + "\" our key asks for");

  if (const auto extensions = fields_named(headers, "Sec-WebSocket-Extensions");
      !extensions.empty())
    return fail(transport_errc::bad_handshake,
                "the router enabled WebSocket extensions, which were not offered: " +
                    quoted(extensions[0]->value));

  const auto chosen = list_elements(headers, "Sec-WebSocket-Protocol");
  if (chosen.empty())
    return fail(transport_errc::bad_handshake,
                "the router chose no WAMP subprotocol (offered: " + joined(offered_) + ")");
  if (chosen.size() > 1)
    return fail(transport_errc::bad_handshake,
                "the router chose more than one subprotocol: " +
                    quoted(joined(std::vector<std::string>(chosen.begin(), chosen.end()))));
  if (std::find(offered_.begin(), offered_.end(), chosen[0]) == offered_.end())
    return fail(transport_errc::bad_handshake, "the router chose the subprotocol " +
                                                   quoted(chosen[0]) + ", which was not offered (" +
                                                   joined(offered_) + ")");

  subprotocol_ = std::string(chosen[0]);
  accepted_ = true;
  head_ = std::string();
  return {};
}

Error HttpUpgrade::fail(std::error_code code, std::string message) {
  failure_ = Error{code, std::move(message)};
  return *failure_;
}

}  // namespace uvwamp
