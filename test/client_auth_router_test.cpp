// uvwamp::Client authenticating to Crossbar.io: the fixture's listeners that require
// authentication (test/fixture/routerctl.py) know a static principal per method
// (test/fixture/auth_principals.hpp). Each method joins over WebSocket and RawSocket, in the
// clear and over TLS; a wrong ticket, secret, password or key is refused with the router's
// reason; several methods offered at once join with the one Crossbar picks, whatever the order;
// cryptosign binds to the TLS channel where there is one and refuses to start where there is not.
//
// What Crossbar does, as these tests pin it:
//   - among several offered methods it takes the first, in the client's order, that the
//     listener has configured;
//   - it spells SCRAM's method "scram" (the spec says "wamp-scram"); uvwamp offers both;
//   - a refusal is ABORT wamp.error.not_authorized with a sentence in Details.message.
#include <gtest/gtest.h>
#include <uv.h>
#include <uvwamp/auth.hpp>
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/signing_key.hpp>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "fixture/auth_principals.hpp"
#include "fixture/router.hpp"
#include "fixture/router_environment.hpp"
#include "interop/client_test_support.hpp"
#include "util/hex.hpp"

namespace uvwamp {
namespace {

namespace principals = test::auth_principals;
using test::auth_url_of;
using test::is_tls;
using test::Routers;
using test::Transport;
using test::transport_name;
using test::url_of;
using test::why;

::testing::Environment* const routers_environment =
    ::testing::AddGlobalTestEnvironment(new Routers);

SigningKey principal_key() {
  auto seed = hex::decode(principals::cryptosign::kPrivateKey);
  std::array<std::uint8_t, SigningKey::seed_size> bytes{};
  if (seed && seed->size() == bytes.size()) std::copy(seed->begin(), seed->end(), bytes.begin());
  return SigningKey::from_seed(bytes);
}

std::string text(std::string_view view) {
  return std::string(view);
}

class Authenticating : public test::ClientTest, public ::testing::WithParamInterface<Transport> {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    endpoints_ = Routers::endpoints("crossbar");
    ASSERT_NE(endpoints_, nullptr);
    url_ = auth_url_of(*endpoints_, GetParam());
    ASSERT_FALSE(url_.empty()) << "Crossbar describes no " << transport_name(GetParam())
                               << " listener with authentication";
    if (is_tls(GetParam())) {
      ca_file_ = Routers::certificate("ca.crt");
      ASSERT_FALSE(ca_file_.empty());
    }
  }

  // The serializer varies with the listener, so that each is met with an authenticating join.
  ClientOptions options(std::string authid, std::vector<std::shared_ptr<Authenticator>> methods) {
    const Serializer* serializer = GetParam() == Transport::websocket   ? &json_serializer()
                                   : GetParam() == Transport::rawsocket ? &msgpack_serializer()
                                                                        : &cbor_serializer();
    ClientOptions options = options_for({url_}, serializer);
    options.tls.ca_file = ca_file_;
    options.auth.authid = std::move(authid);
    options.auth.methods = std::move(methods);
    return options;
  }

  // Joins, checks who WELCOME says the client is, and leaves.
  void expect_joins_as(ClientOptions options, const std::string& authid,
                       const std::string& authmethod) {
    Client& client = add_client(std::move(options));
    auto joined = join(client);
    ASSERT_TRUE(joined.ok()) << why(joined);
    EXPECT_EQ(joined->authid, authid);
    EXPECT_EQ(joined->authrole, principals::kRole);
    EXPECT_EQ(joined->authmethod, authmethod);
    EXPECT_EQ(joined->authprovider, "static");
    auto left = leave(client);
    EXPECT_TRUE(left.ok()) << why(left);
  }

  // Joins and expects Crossbar's refusal.
  void expect_refused(ClientOptions options) {
    Client& client = add_client(std::move(options));
    auto joined = join(client);
    ASSERT_FALSE(joined.ok()) << "joined as " << joined->authid;
    EXPECT_EQ(joined.error().code, make_error_code(client_errc::wamp_error))
        << joined.error().message;
    EXPECT_EQ(joined.error().uri, "wamp.error.not_authorized") << joined.error().message;
    EXPECT_FALSE(joined.error().message.empty());
  }

  const test::RouterEndpoints* endpoints_ = nullptr;
  std::string url_;
  std::string ca_file_;
};

TEST_P(Authenticating, WithATicket) {
  expect_joins_as(
      options(text(principals::ticket::kAuthid), {auth::ticket(principals::ticket::kTicket)}),
      text(principals::ticket::kAuthid), "ticket");
}

TEST_P(Authenticating, WithWampCra) {
  expect_joins_as(
      options(text(principals::wampcra::kAuthid), {auth::wampcra(principals::wampcra::kSecret)}),
      text(principals::wampcra::kAuthid), "wampcra");
}

TEST_P(Authenticating, WithWampCraAndASaltedSecret) {
  expect_joins_as(options(text(principals::wampcra_salted::kAuthid),
                          {auth::wampcra(principals::wampcra_salted::kSecret)}),
                  text(principals::wampcra_salted::kAuthid), "wampcra");
}

TEST_P(Authenticating, WithCryptosign) {
  expect_joins_as(
      options(text(principals::cryptosign::kAuthid), {auth::cryptosign(principal_key())}),
      text(principals::cryptosign::kAuthid), "cryptosign");
}

TEST_P(Authenticating, WithCryptosignAndNoAuthidTheKeyNamesThePrincipal) {
  expect_joins_as(options("", {auth::cryptosign(principal_key())}),
                  text(principals::cryptosign::kAuthid), "cryptosign");
}

TEST_P(Authenticating, WithCryptosignBoundToTheTlsChannelWhereThereIsOne) {
  auth::CryptosignOptions bound;
  bound.channel_binding = true;
  ClientOptions with_binding =
      options(text(principals::cryptosign::kAuthid), {auth::cryptosign(principal_key(), bound)});
  if (is_tls(GetParam())) {
    return expect_joins_as(std::move(with_binding), text(principals::cryptosign::kAuthid),
                           "cryptosign");
  }
  Client& client = add_client(std::move(with_binding));
  auto joined = join(client);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code, make_error_code(client_errc::authentication_failed));
  EXPECT_NE(joined.error().message.find("TLS"), std::string::npos) << joined.error().message;
}

TEST_P(Authenticating, WithScramAndArgon2id) {
  expect_joins_as(options(text(principals::scram_argon2id::kAuthid),
                          {auth::scram(principals::scram_argon2id::kPassword)}),
                  text(principals::scram_argon2id::kAuthid), "scram");
}

TEST_P(Authenticating, WithScramAndPbkdf2) {
  expect_joins_as(options(text(principals::scram_pbkdf2::kAuthid),
                          {auth::scram(principals::scram_pbkdf2::kPassword)}),
                  text(principals::scram_pbkdf2::kAuthid), "scram");
}

TEST_P(Authenticating, WithASecretFetchedWhenTheRouterAsks) {
  auto asked = std::make_shared<int>(0);
  uv_loop_t* loop = &loop_;
  SecretSource late([asked, loop](SecretReply reply) {
    ++*asked;
    // Answer on a later turn of the loop, as a program fetching it elsewhere would.
    auto* timer = new uv_timer_t;
    timer->data = new SecretReply(std::move(reply));
    uv_timer_init(loop, timer);
    uv_timer_start(
        timer,
        [](uv_timer_t* fired) {
          auto* pending = static_cast<SecretReply*>(fired->data);
          (*pending)(Secret(principals::wampcra::kSecret));
          delete pending;
          uv_close(reinterpret_cast<uv_handle_t*>(fired),
                   [](uv_handle_t* closed) { delete reinterpret_cast<uv_timer_t*>(closed); });
        },
        20, 0);
  });
  expect_joins_as(options(text(principals::wampcra::kAuthid), {auth::wampcra(late)}),
                  text(principals::wampcra::kAuthid), "wampcra");
  EXPECT_EQ(*asked, 1);
}

TEST_P(Authenticating, ASecretThatCannotBeHadFailsTheJoinLocally) {
  SecretSource missing([](SecretReply reply) { reply(std::string("the vault is locked")); });
  Client& client = add_client(options(text(principals::ticket::kAuthid), {auth::ticket(missing)}));
  auto joined = join(client);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code, make_error_code(client_errc::authentication_failed));
  EXPECT_NE(joined.error().message.find("the vault is locked"), std::string::npos)
      << joined.error().message;
}

TEST_P(Authenticating, AWrongTicketIsRefused) {
  expect_refused(options(text(principals::ticket::kAuthid), {auth::ticket("not-the-ticket")}));
}

TEST_P(Authenticating, AWrongWampCraSecretIsRefused) {
  expect_refused(options(text(principals::wampcra::kAuthid), {auth::wampcra("not-the-secret")}));
  expect_refused(
      options(text(principals::wampcra_salted::kAuthid), {auth::wampcra("not-the-secret")}));
}

TEST_P(Authenticating, AWrongScramPasswordIsRefused) {
  expect_refused(
      options(text(principals::scram_argon2id::kAuthid), {auth::scram("not-the-password")}));
}

TEST_P(Authenticating, AnUnknownKeyIsRefused) {
  std::array<std::uint8_t, SigningKey::seed_size> other{};
  other.fill(7);
  expect_refused(options(text(principals::cryptosign::kAuthid),
                         {auth::cryptosign(SigningKey::from_seed(other))}));
}

TEST_P(Authenticating, AnUnknownAuthidIsRefused) {
  expect_refused(options("nobody", {auth::ticket(principals::ticket::kTicket)}));
}

TEST_P(Authenticating, SeveralMethodsJoinWithTheOneTheRouterPicks) {
  using namespace principals::multi;
  const std::vector<std::pair<std::string, std::vector<std::shared_ptr<Authenticator>>>> orders = {
      {"scram",
       {auth::scram(kScramPassword), auth::ticket(kTicket), auth::wampcra(kWampcraSecret)}},
      {"ticket",
       {auth::ticket(kTicket), auth::wampcra(kWampcraSecret), auth::scram(kScramPassword)}},
      {"wampcra",
       {auth::wampcra(kWampcraSecret), auth::scram(kScramPassword), auth::ticket(kTicket)}},
  };
  for (const auto& [picked, methods] : orders) {
    SCOPED_TRACE(picked);
    expect_joins_as(options(text(kAuthid), methods), text(kAuthid), picked);
  }
}

TEST_P(Authenticating, AKeyFileLoadsAndJoins) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("uvwamp-auth-key-" + std::to_string(::getpid()) + "-" + transport_name(GetParam()));
  {
    std::ofstream out(file);
    out << principals::cryptosign::kPrivateKey << "\n";
  }
  auto key = SigningKey::load_file(file.string());
  std::filesystem::remove(file);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->public_key_hex(), principals::cryptosign::kPublicKey);
  expect_joins_as(options(text(principals::cryptosign::kAuthid), {auth::cryptosign(*key)}),
                  text(principals::cryptosign::kAuthid), "cryptosign");
}

// The listeners without authentication admit anonymous only: a method they do not configure is
// passed over, and anonymous offered last is the fallback.
TEST_P(Authenticating, AnonymousOfferedLastIsTheFallbackWhereNothingElseIsConfigured) {
  const std::string open_url = url_of(*endpoints_, GetParam());
  ASSERT_FALSE(open_url.empty());
  ClientOptions fallback = options(text(principals::ticket::kAuthid),
                                   {auth::ticket(principals::ticket::kTicket), auth::anonymous()});
  fallback.urls = {open_url};
  Client& client = add_client(fallback);
  auto joined = join(client);
  ASSERT_TRUE(joined.ok()) << why(joined);
  EXPECT_EQ(joined->authmethod, "anonymous");
  EXPECT_EQ(joined->authrole, "anonymous");

  ClientOptions ticket_only =
      options(text(principals::ticket::kAuthid), {auth::ticket(principals::ticket::kTicket)});
  ticket_only.urls = {open_url};
  Client& refused = add_client(ticket_only);
  auto refusal = join(refused);
  ASSERT_FALSE(refusal.ok());
  EXPECT_EQ(refusal.error().uri, "wamp.error.no_auth_method") << refusal.error().message;

  // The same list on the authenticating listener joins with the ticket.
  expect_joins_as(options(text(principals::ticket::kAuthid),
                          {auth::ticket(principals::ticket::kTicket), auth::anonymous()}),
                  text(principals::ticket::kAuthid), "ticket");
}

INSTANTIATE_TEST_SUITE_P(Crossbar, Authenticating,
                         ::testing::Values(Transport::websocket, Transport::rawsocket,
                                           Transport::websocket_tls, Transport::rawsocket_tls),
                         [](const ::testing::TestParamInfo<Transport>& info) {
                           return std::string(transport_name(info.param));
                         });

}  // namespace
}  // namespace uvwamp
