// The names the spec gives CANCEL's modes and REGISTER's match and invoke policies, one table
// each, read both ways.
#include <uvwamp/rpc.hpp>

#include <iterator>
#include <utility>

namespace uvwamp {
namespace {

template <class Enum>
using Names = std::pair<Enum, std::string_view>;

constexpr Names<CancelMode> cancel_modes[] = {
    {CancelMode::skip, "skip"}, {CancelMode::kill, "kill"}, {CancelMode::killnowait, "killnowait"}};
constexpr Names<MatchPolicy> match_policies[] = {{MatchPolicy::exact, "exact"},
                                                 {MatchPolicy::prefix, "prefix"},
                                                 {MatchPolicy::wildcard, "wildcard"}};
constexpr Names<InvokePolicy> invoke_policies[] = {{InvokePolicy::single, "single"},
                                                   {InvokePolicy::roundrobin, "roundrobin"},
                                                   {InvokePolicy::random, "random"},
                                                   {InvokePolicy::first, "first"},
                                                   {InvokePolicy::last, "last"}};

template <class Enum, std::size_t N>
std::string_view name_in(const Names<Enum> (&table)[N], Enum value) noexcept {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return {};
}

template <class Enum, std::size_t N>
std::optional<Enum> value_in(const Names<Enum> (&table)[N], std::string_view name) noexcept {
  for (const auto& [entry, entry_name] : table) {
    if (entry_name == name) return entry;
  }
  return std::nullopt;
}

}  // namespace

std::string_view wamp_name(CancelMode mode) noexcept {
  return name_in(cancel_modes, mode);
}
std::string_view wamp_name(MatchPolicy match) noexcept {
  return name_in(match_policies, match);
}
std::string_view wamp_name(InvokePolicy invoke) noexcept {
  return name_in(invoke_policies, invoke);
}
std::optional<CancelMode> parse_cancel_mode(std::string_view name) noexcept {
  return value_in(cancel_modes, name);
}
std::optional<MatchPolicy> parse_match_policy(std::string_view name) noexcept {
  return value_in(match_policies, name);
}
std::optional<InvokePolicy> parse_invoke_policy(std::string_view name) noexcept {
  return value_in(invoke_policies, name);
}

}  // namespace uvwamp
