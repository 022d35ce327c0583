#include <uvwamp/auth.hpp>
#include <uvwamp/signing_key.hpp>

#include "auth/cryptosign.hpp"
#include "auth/scram.hpp"
#include "auth/wampcra.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uvwamp {
namespace {

using AuthResult = Result<AuthAnswer, std::string>;

// The loop's side of authentication: run_blocking runs at once, tls-unique is what a test sets.
class FakeContext : public AuthContext {
 public:
  std::optional<std::vector<std::uint8_t>> tls_unique() const override { return tls; }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    ++blocking_runs;
    work();
    done();
  }

  std::optional<std::vector<std::uint8_t>> tls;
  int blocking_runs = 0;
};

// answer() takes shared ownership of its context; the tests' contexts outlive every answer.
std::shared_ptr<AuthContext> borrow(FakeContext& context) {
  return std::shared_ptr<AuthContext>(std::shared_ptr<void>(), &context);
}

// The answer of `authenticator`, which must reply exactly once before answer() returns (every
// secret and the fake context answer at once).
AuthResult answer_of(Authenticator& authenticator, AuthChallenge challenge,
                     const Value::Object& hello_details, FakeContext& context) {
  std::optional<AuthResult> got;
  int replies = 0;
  authenticator.answer(challenge, hello_details, borrow(context), [&](AuthResult answer) {
    ++replies;
    got.emplace(std::move(answer));
  });
  EXPECT_EQ(replies, 1);
  if (!got) return std::string("no reply");
  return std::move(*got);
}

std::string signature_of(const AuthResult& answer) {
  if (!answer) return "error: " + answer.error();
  return std::string(answer->signature.reveal());
}

std::string error_of(const AuthResult& answer) {
  return answer ? "no error" : answer.error();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

SecretSource failing_source(std::string why) {
  return SecretSource(SecretCallback([why](SecretReply reply) { reply(why); }));
}

// ---- Secret and SecretSource --------------------------------------------------------------

TEST(AuthSecret, CopyIsAnIndependentBuffer) {
  Secret original("hunter2");
  Secret copy(original);
  EXPECT_EQ(copy.reveal(), "hunter2");
  EXPECT_NE(copy.reveal().data(), original.reveal().data());
  Secret assigned("x");
  assigned = original;
  EXPECT_EQ(assigned.reveal(), "hunter2");
  EXPECT_NE(assigned.reveal().data(), original.reveal().data());
}

TEST(AuthSecret, MoveTakesTheBufferAndLeavesNothing) {
  Secret original("hunter2");
  const char* buffer = original.reveal().data();
  Secret moved(std::move(original));
  EXPECT_TRUE(original.empty());
  EXPECT_EQ(moved.reveal(), "hunter2");
  EXPECT_EQ(moved.reveal().data(), buffer);

  Secret assigned("other");
  assigned = std::move(moved);
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(assigned.reveal(), "hunter2");
  EXPECT_EQ(assigned.reveal().data(), buffer);
}

TEST(AuthSecret, SourceGivesItsValueOrAsksItsCallback) {
  std::optional<Result<Secret, std::string>> got;
  SecretSource("ticket-1").fetch([&](Result<Secret, std::string> s) { got.emplace(std::move(s)); });
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->reveal(), "ticket-1");

  int asked = 0;
  SecretSource callback(SecretCallback([&](SecretReply reply) {
    ++asked;
    reply(Secret("later"));
  }));
  got.reset();
  callback.fetch([&](Result<Secret, std::string> s) { got.emplace(std::move(s)); });
  EXPECT_EQ(asked, 1);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->reveal(), "later");

  got.reset();
  failing_source("the vault is locked").fetch([&](Result<Secret, std::string> s) {
    got.emplace(std::move(s));
  });
  ASSERT_TRUE(got && !*got);
  EXPECT_EQ(got->error(), "the vault is locked");
}

// ---- anonymous and ticket -------------------------------------------------------------------

TEST(AuthAnonymous, OffersNothingAndRefusesAChallenge) {
  FakeContext context;
  auto anonymous = auth::anonymous();
  EXPECT_EQ(anonymous->methods(), std::vector<std::string>{"anonymous"});
  auto extra = anonymous->hello_authextra(context);
  ASSERT_TRUE(extra);
  EXPECT_TRUE(extra->empty());
  EXPECT_TRUE(
      contains(error_of(answer_of(*anonymous, {"anonymous", {}}, {}, context)), "anonymous"));
}

TEST(AuthTicket, AnswersWithTheTicket) {
  FakeContext context;
  auto ticket = auth::ticket("secret-ticket");
  EXPECT_EQ(ticket->methods(), std::vector<std::string>{"ticket"});
  auto extra = ticket->hello_authextra(context);
  ASSERT_TRUE(extra);
  EXPECT_TRUE(extra->empty());
  auto answer = answer_of(*ticket, {"ticket", {}}, {}, context);
  EXPECT_EQ(signature_of(answer), "secret-ticket");
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->extra.empty());
  EXPECT_FALSE(answer->check_welcome);
}

TEST(AuthTicket, WaitsForACallbackThatRepliesLater) {
  FakeContext context;
  SecretReply pending;
  auto ticket = auth::ticket(SecretCallback([&](SecretReply reply) { pending = reply; }));
  std::optional<AuthResult> got;
  ticket->answer({"ticket", {}}, {}, borrow(context),
                 [&](AuthResult a) { got.emplace(std::move(a)); });
  EXPECT_FALSE(got);
  ASSERT_TRUE(pending);
  ticket.reset();  // the reply does not need the authenticator
  pending(Secret("late-ticket"));
  ASSERT_TRUE(got);
  EXPECT_EQ(signature_of(*got), "late-ticket");
}

TEST(AuthTicket, ACallbackFailureBecomesTheError) {
  FakeContext context;
  auto ticket = auth::ticket(failing_source("no ticket in the keyring"));
  EXPECT_EQ(error_of(answer_of(*ticket, {"ticket", {}}, {}, context)), "no ticket in the keyring");
}

// ---- WAMP-CRA -------------------------------------------------------------------------------
// The expected values are autobahn-python's (compute_wcs, derive_key), printed by
// test/vectors/autobahn_auth_vectors.py.

constexpr std::string_view cra_challenge =
    R"({"authid": "alice", "nonce": "8EHpI3Ic7bWaigZB", "timestamp": "2024-01-01T00:00:00.000Z"})";

TEST(AuthWampCra, ComputesAutobahnsSignatureAndDerivedKey) {
  EXPECT_EQ(wampcra::sign("secret123", cra_challenge),
            "eztYvIF9Hq/6ng9tph7Bkulix7vBXmMYDe2U//mDAkk=");
  EXPECT_EQ(wampcra::derive_key("secret123", "salt123", 100, 16).reveal(),
            "DpHHRlQ6UNULJlP9J8WkPw==");
  EXPECT_EQ(wampcra::derive_key("secret123", "salt123", 1000, 32).reveal(),
            "Eu7CQLfR+/Ffb+275A4s9/6H/RGKYxM4s6IMrsNKzC8=");
  EXPECT_EQ(wampcra::sign("DpHHRlQ6UNULJlP9J8WkPw==", cra_challenge),
            "QolJ5B/6kFsQVGtzpTyLjHc0rPNjuMmZeovZQbBGmMI=");
}

TEST(AuthWampCra, AnswersAPlainChallengeOnTheLoop) {
  FakeContext context;
  auto cra = auth::wampcra("secret123");
  EXPECT_EQ(cra->methods(), std::vector<std::string>{"wampcra"});
  auto extra = cra->hello_authextra(context);
  ASSERT_TRUE(extra);
  EXPECT_TRUE(extra->empty());
  auto answer = answer_of(*cra, {"wampcra", {{"challenge", cra_challenge}}}, {}, context);
  EXPECT_EQ(signature_of(answer), "eztYvIF9Hq/6ng9tph7Bkulix7vBXmMYDe2U//mDAkk=");
  EXPECT_EQ(context.blocking_runs, 0);
}

TEST(AuthWampCra, DerivesTheKeyOffTheLoopForASaltedChallenge) {
  FakeContext context;
  auto cra = auth::wampcra("secret123");
  auto answer = answer_of(
      *cra,
      {"wampcra",
       {{"challenge", cra_challenge}, {"salt", "salt123"}, {"iterations", 100}, {"keylen", 16}}},
      {}, context);
  EXPECT_EQ(signature_of(answer), "QolJ5B/6kFsQVGtzpTyLjHc0rPNjuMmZeovZQbBGmMI=");
  EXPECT_EQ(context.blocking_runs, 1);

  // Without iterations and keylen, autobahn's defaults: 1000 and 32.
  auto defaults = answer_of(*cra, {"wampcra", {{"challenge", cra_challenge}, {"salt", "salt123"}}},
                            {}, context);
  EXPECT_EQ(signature_of(defaults),
            wampcra::sign("Eu7CQLfR+/Ffb+275A4s9/6H/RGKYxM4s6IMrsNKzC8=", cra_challenge));
}

TEST(AuthWampCra, RefusesMalformedChallengesAndAFailingSecret) {
  FakeContext context;
  auto cra = auth::wampcra("secret123");
  EXPECT_EQ(error_of(answer_of(*cra, {"wampcra", {}}, {}, context)),
            "CHALLENGE for wampcra: 'challenge' is missing");
  EXPECT_EQ(error_of(answer_of(*cra, {"wampcra", {{"challenge", 5}}}, {}, context)),
            "CHALLENGE for wampcra: 'challenge' must be a string, got integer");
  EXPECT_EQ(
      error_of(answer_of(*cra, {"wampcra", {{"challenge", "c"}, {"salt", "s"}, {"iterations", 0}}},
                         {}, context)),
      "CHALLENGE for wampcra: 'iterations' must be from 1 to 10000000, got 0");
  EXPECT_EQ(
      error_of(answer_of(*cra, {"wampcra", {{"challenge", "c"}, {"salt", "s"}, {"keylen", "32"}}},
                         {}, context)),
      "CHALLENGE for wampcra: 'keylen' must be an integer from 1 to 1024, got string");
  auto failing = auth::wampcra(failing_source("no WAMP-CRA secret configured"));
  EXPECT_EQ(error_of(answer_of(*failing, {"wampcra", {{"challenge", "c"}}}, {}, context)),
            "no WAMP-CRA secret configured");
}

// ---- SCRAM ----------------------------------------------------------------------------------

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view rfc7677_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc7677_server_nonce =
    "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view rfc7677_salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view rfc7677_proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc7677_verifier = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

Value::Object rfc7677_challenge() {
  return {{"nonce", rfc7677_server_nonce},
          {"salt", rfc7677_salt},
          {"kdf", "pbkdf2"},
          {"iterations", 4096},
          {"memory", nullptr}};
}

TEST(AuthScram, Rfc7677ExampleThroughTheSpecDialect) {
  auto challenge = scram::read_challenge(rfc7677_challenge(), rfc7677_client_nonce);
  ASSERT_TRUE(challenge) << challenge.error();
  const std::string message =
      scram::auth_message(scram::Dialect::wamp_scram, "user", rfc7677_client_nonce,
                          challenge->server_nonce, challenge->salt_base64, challenge->iterations);
  // The RFC's client-first-message-bare, server-first-message and client-final-message without
  // its proof, joined by commas.
  EXPECT_EQ(message,
            "n=user,r=rOprNGfwEbeRWgbNEkqO,"
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  auto salted = scram::salted_password(scram::Dialect::wamp_scram, *challenge, "pencil");
  ASSERT_TRUE(salted) << salted.error();
  auto proofs = scram::prove(salted->reveal(), message);
  EXPECT_EQ(base64::encode(proofs.client_proof.data(), proofs.client_proof.size()), rfc7677_proof);
  EXPECT_EQ(base64::encode(proofs.server_signature.data(), proofs.server_signature.size()),
            rfc7677_verifier);
}

TEST(AuthScram, SpecDialectEscapesTheNameAndCrossbarsDoesNot) {
  EXPECT_EQ(scram::auth_message(scram::Dialect::wamp_scram, "a,b=c", "cn", "cnsn", "c2E=", 1),
            "n=a=2Cb=3Dc,r=cn,r=cnsn,s=c2E=,i=1,c=biws,r=cnsn");
  EXPECT_EQ(scram::auth_message(scram::Dialect::crossbar, "a,b=c", "cn", "cnsn", "c2E=", 1),
            "n=a,b=c,r=cn,r=cnsn,s=c2E=,i=1,c=,r=cnsn");
}

TEST(AuthScram, SaslprepPassesPrintableAsciiAndRefusesTheRest) {
  EXPECT_TRUE(scram::check_saslprep("user name ~!@#", "authid"));
  auto control = scram::check_saslprep("pass\tword", "password");
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error(),
            "SCRAM: the password holds an ASCII control character, which SASLprep (RFC 4013) "
            "prohibits");
  auto accented = scram::check_saslprep("p\xc3\xa4ss", "password");
  ASSERT_FALSE(accented);
  EXPECT_TRUE(contains(accented.error(), "does not implement SASLprep"));
  EXPECT_FALSE(contains(accented.error(), "p\xc3\xa4ss"));
}

const auth::ScramOptions spec_dialect{auth::ScramDialect::spec};

TEST(AuthScram, OffersAFreshNonceUnderItsDialectsName) {
  FakeContext context;
  EXPECT_EQ(auth::scram("pencil", spec_dialect)->methods(),
            (std::vector<std::string>{"wamp-scram"}));
  auto method = auth::scram("pencil");
  EXPECT_EQ(method->methods(), (std::vector<std::string>{"scram"}));
  auto first = method->hello_authextra(context);
  auto second = method->hello_authextra(context);
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->size(), 1u);
  const std::string* nonce = first->at("nonce").if_string();
  ASSERT_TRUE(nonce);
  auto bytes = base64::decode(*nonce);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 16u);
  EXPECT_NE(first->at("nonce"), second->at("nonce"));
}

Value::Object hello_with(std::string_view authid, std::string_view nonce) {
  return {{"authid", authid}, {"authextra", Value::Object{{"nonce", nonce}}}};
}

TEST(AuthScram, AnswersTheSpecDialectWithTheRfc7677Proof) {
  FakeContext context;
  auto method = auth::scram("pencil", spec_dialect);
  auto answer = answer_of(*method, {"wamp-scram", rfc7677_challenge()},
                          hello_with("user", rfc7677_client_nonce), context);
  EXPECT_EQ(signature_of(answer), rfc7677_proof);
  EXPECT_EQ(context.blocking_runs, 1);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->extra, (Value::Object{{"nonce", rfc7677_server_nonce}}));
  ASSERT_TRUE(answer->check_welcome);
  const std::string verifier = "v=" + std::string(rfc7677_verifier);
  EXPECT_TRUE(answer->check_welcome({{"authextra", Value::Object{{"verifier", verifier}}}}));
}

// autobahn-python's AuthScram against a Crossbar-shaped challenge for a principal made by
// derive_scram_credential; printed by test/vectors/autobahn_auth_vectors.py.
constexpr std::string_view autobahn_client_nonce = "AAECAwQFBgcICQoLDA0ODw==";
constexpr std::string_view autobahn_proof = "adYPZVzUXERqC+f58Fwdd1z1TjKW7SBXf+RSjRURFy0=";
constexpr std::string_view autobahn_server_signature =
    "M7sDVo7l75TKdYV9B4zbN6za6Qlg4YngZ5n1nm9nrCU=";

Value::Object autobahn_challenge() {
  return {{"nonce", "AAECAwQFBgcICQoLDA0OD2RlZmdoaWprbG1ub3BxcnM="},
          {"kdf", "argon2id-13"},
          {"salt", "yMnKy8zNzs/Q0dLT1NXW1w=="},
          {"iterations", 4096},
          {"memory", 512}};
}

TEST(AuthScram, AnswersCrossbarsDialectAsAutobahnDoes) {
  FakeContext context;
  auto method = auth::scram("correct horse");
  auto answer = answer_of(*method, {"scram", autobahn_challenge()},
                          hello_with("alice", autobahn_client_nonce), context);
  EXPECT_EQ(signature_of(answer), autobahn_proof);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->extra.empty());
  ASSERT_TRUE(answer->check_welcome);
  auto welcome = [](std::string_view signature) {
    return Value::Object{{"authextra", Value::Object{{"scram_server_signature", signature}}}};
  };
  EXPECT_TRUE(answer->check_welcome(welcome(autobahn_server_signature)));

  auto forged = answer->check_welcome(welcome(rfc7677_verifier));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error(),
            "the router's SCRAM server signature is wrong: the router does not know the password");
  auto missing = answer->check_welcome({{"authid", "alice"}});
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error(), "WELCOME carries no SCRAM server signature"));
  auto short_signature = answer->check_welcome(welcome("c2hvcnQ="));
  ASSERT_FALSE(short_signature);
  EXPECT_EQ(short_signature.error(),
            "the router's SCRAM server signature is not base64 of 32 bytes");
}

std::string scram_refusal(Value::Object challenge_extra, std::string_view authid = "user",
                          SecretSource password = "pencil", std::string method = "wamp-scram") {
  FakeContext context;
  auto scram = auth::scram(
      std::move(password),
      {method == "wamp-scram" ? auth::ScramDialect::spec : auth::ScramDialect::crossbar});
  Value::Object hello = hello_with(authid, rfc7677_client_nonce);
  if (authid.empty()) hello.erase("authid");
  return error_of(
      answer_of(*scram, {std::move(method), std::move(challenge_extra)}, hello, context));
}

Value::Object rfc7677_with(std::string key, Value value) {
  Value::Object extra = rfc7677_challenge();
  if (value.is_null()) {
    extra.erase(key);
  } else {
    extra[key] = std::move(value);
  }
  return extra;
}

TEST(AuthScram, RefusesANonceThatDoesNotExtendOurs) {
  EXPECT_EQ(scram_refusal(rfc7677_with("nonce", "someone-elses-nonce")),
            "SCRAM CHALLENGE: the router's nonce does not extend the client's nonce");
  // Echoing our nonce without adding to it is no server nonce either.
  EXPECT_EQ(scram_refusal(rfc7677_with("nonce", rfc7677_client_nonce)),
            "SCRAM CHALLENGE: the router's nonce does not extend the client's nonce");
  EXPECT_EQ(scram_refusal(rfc7677_with("nonce", "rOprNGfwEbeRWgbNEkqO,x")),
            "SCRAM CHALLENGE: 'nonce' holds a character a SCRAM nonce cannot hold");
}

TEST(AuthScram, RefusesUnknownKdfsMissingFieldsAndAbsurdCosts) {
  EXPECT_EQ(scram_refusal(rfc7677_with("kdf", "scrypt")),
            "SCRAM CHALLENGE: unknown key derivation function 'scrypt' (uvwamp knows argon2id13, "
            "argon2id-13 and pbkdf2)");
  EXPECT_EQ(scram_refusal(rfc7677_with("salt", nullptr)), "SCRAM CHALLENGE: 'salt' is missing");
  EXPECT_EQ(scram_refusal(rfc7677_with("salt", "not base64!")),
            "SCRAM CHALLENGE: 'salt' is not base64");
  EXPECT_EQ(scram_refusal(rfc7677_with("iterations", 0)),
            "SCRAM CHALLENGE: 'iterations' must be from 1 to 10000000, got 0");
  EXPECT_EQ(scram_refusal(rfc7677_with("iterations", 20'000'000)),
            "SCRAM CHALLENGE: 'iterations' must be from 1 to 10000000, got 20000000");
  Value::Object argon2 = rfc7677_with("kdf", "argon2id13");
  EXPECT_EQ(scram_refusal(argon2), "SCRAM CHALLENGE: 'memory' is missing");
  argon2["memory"] = 4 * 1024 * 1024;
  EXPECT_EQ(scram_refusal(argon2),
            "SCRAM CHALLENGE: 'memory' must be from 8 to 1048576, got 4194304");
  EXPECT_EQ(scram_refusal(rfc7677_challenge(), "user", "pencil", "wampcra"),
            "SCRAM cannot answer a CHALLENGE for 'wampcra'");
}

TEST(AuthScram, RefusesWithoutAuthidOrWithAPasswordItCannotPrepare) {
  EXPECT_EQ(scram_refusal(rfc7677_challenge(), ""),
            "SCRAM needs an authid: set AuthOptions::authid to the user's name");
  EXPECT_EQ(scram_refusal(rfc7677_challenge(), "user", "p\xc3\xa4ss"),
            "SCRAM: the password is not ASCII, and uvwamp does not implement SASLprep (RFC 4013) "
            "of non-ASCII text");
  EXPECT_EQ(scram_refusal(rfc7677_challenge(), "user", failing_source("the user cancelled")),
            "the user cancelled");
}

// ---- cryptosign -----------------------------------------------------------------------------

std::array<std::uint8_t, SigningKey::seed_size> seed_of(std::string_view hex_text) {
  auto bytes = hex::decode(hex_text);
  std::array<std::uint8_t, SigningKey::seed_size> seed{};
  EXPECT_TRUE(bytes && bytes->size() == seed.size());
  if (bytes && bytes->size() == seed.size()) std::copy(bytes->begin(), bytes->end(), seed.begin());
  return seed;
}

std::optional<crypto::Sha256> channel_id_of(std::string_view hex_text) {
  if (hex_text.empty()) return std::nullopt;
  auto bytes = hex::decode(hex_text);
  crypto::Sha256 id{};
  EXPECT_TRUE(bytes && bytes->size() == id.size());
  if (bytes && bytes->size() == id.size()) std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

struct CryptosignVector {
  std::string_view channel_id;
  std::string_view private_key;
  std::string_view challenge;
  std::string_view signature;
};

// The WAMP spec's test vectors (authentication_cryptosign.md, "Test Vectors"); private_key is
// the 32-byte seed.
constexpr CryptosignVector cryptosign_vectors[] = {
    {"", "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464"
     "e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffffffff"},
    {"", "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
     "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
     "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd6"
     "4ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd0"
     "5bfb607d"},
    {"", "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
     "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
     "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711"
     "d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f11"
     "92d562d2"},
    {"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
     "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec"
     "93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac"
     "6fd80d00"},
    {"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
     "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
     "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
     "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920"
     "223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083"
     "cbdc9282"},
    {"62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff",
     "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
     "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
     "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31"
     "602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a442"
     "02f2902d"},
};

TEST(AuthCryptosign, SignsTheSpecsTestVectors) {
  for (const auto& vector : cryptosign_vectors) {
    SigningKey key = SigningKey::from_seed(seed_of(vector.private_key));
    auto signature =
        cryptosign::sign_challenge(key, vector.challenge, channel_id_of(vector.channel_id));
    ASSERT_TRUE(signature) << signature.error();
    EXPECT_EQ(signature->reveal(), vector.signature) << "challenge " << vector.challenge;
  }
}

const SigningKey& test_key() {
  static const SigningKey key = SigningKey::from_seed(seed_of(cryptosign_vectors[0].private_key));
  return key;
}

TEST(AuthCryptosign, OffersThePublicKey) {
  FakeContext context;
  auto method = auth::cryptosign(test_key());
  EXPECT_EQ(method->methods(), std::vector<std::string>{"cryptosign"});
  auto extra = method->hello_authextra(context);
  ASSERT_TRUE(extra) << extra.error();
  EXPECT_EQ(*extra, (Value::Object{{"pubkey", test_key().public_key_hex()}}));
}

TEST(AuthCryptosign, AnswersWithSignatureAndChallenge) {
  FakeContext context;
  auto method = auth::cryptosign(test_key());
  auto answer = answer_of(*method, {"cryptosign", {{"challenge", cryptosign_vectors[0].challenge}}},
                          {}, context);
  EXPECT_EQ(signature_of(answer), cryptosign_vectors[0].signature);
}

TEST(AuthCryptosign, ChannelBindingNeedsTls) {
  FakeContext context;
  auto method = auth::cryptosign(test_key(), {true});
  auto extra = method->hello_authextra(context);
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error(),
            "cryptosign: channel binding (tls-unique) was asked for, but the connection has no "
            "TLS; use a wss:// or rss:// URL");
  context.tls = std::vector<std::uint8_t>{'a', 'b', 'c'};
  extra = method->hello_authextra(context);
  ASSERT_TRUE(extra) << extra.error();
  EXPECT_EQ(*extra, (Value::Object{{"pubkey", test_key().public_key_hex()},
                                   {"channel_binding", "tls-unique"}}));
}

TEST(AuthCryptosign, SignsTheChallengeXorTheHashOfTlsUnique) {
  FakeContext context;
  // tls-unique "abc", whose SHA-256 is FIPS 180-2's example ba7816bf...; the challenge is all
  // ones, so the signed message is that hash inverted.
  context.tls = std::vector<std::uint8_t>{'a', 'b', 'c'};
  const std::string message = "4587e94070fe3015bebebf21a251dddc4ffc9e5c69e885634bef009e0dffea52";
  auto method = auth::cryptosign(test_key(), {true});
  auto answer = answer_of(
      *method,
      {"cryptosign",
       {{"challenge", cryptosign_vectors[0].challenge}, {"channel_binding", "tls-unique"}}},
      {}, context);
  const std::string hex_answer = signature_of(answer);
  ASSERT_EQ(hex_answer.size(), 192u) << hex_answer;
  EXPECT_EQ(hex_answer.substr(128), message);
  auto signature = hex::decode(hex_answer.substr(0, 128));
  auto signed_message = hex::decode(message);
  ASSERT_TRUE(signature && signed_message);
  EXPECT_EQ(crypto_sign_verify_detached(signature->data(), signed_message->data(),
                                        signed_message->size(), test_key().public_key().data()),
            0);
}

TEST(AuthCryptosign, RefusesAChallengeThatDropsOrChangesTheBinding) {
  FakeContext context;
  context.tls = std::vector<std::uint8_t>{'a', 'b', 'c'};
  auto bound = auth::cryptosign(test_key(), {true});
  EXPECT_EQ(
      error_of(answer_of(*bound, {"cryptosign", {{"challenge", cryptosign_vectors[0].challenge}}},
                         {}, context)),
      "CHALLENGE for cryptosign: the router did not confirm the tls-unique channel binding "
      "that was asked for");
  EXPECT_EQ(error_of(answer_of(*bound,
                               {"cryptosign",
                                {{"challenge", cryptosign_vectors[0].challenge},
                                 {"channel_binding", "tls-exporter"}}},
                               {}, context)),
            "CHALLENGE for cryptosign: unsupported channel binding 'tls-exporter'");
  FakeContext plain;
  auto unbound = auth::cryptosign(test_key());
  EXPECT_EQ(error_of(answer_of(*unbound,
                               {"cryptosign",
                                {{"challenge", cryptosign_vectors[0].challenge},
                                 {"channel_binding", "tls-unique"}}},
                               {}, plain)),
            "CHALLENGE for cryptosign: the router asks for tls-unique channel binding on a "
            "connection without TLS");
}

TEST(AuthCryptosign, RefusesAChallengeThatIsNot32HexBytes) {
  FakeContext context;
  auto method = auth::cryptosign(test_key());
  const std::string bad_challenges[] = {"", "ff", "zz" + std::string(62, 'f'),
                                        std::string(128, 'f')};
  for (const std::string& bad : bad_challenges) {
    EXPECT_EQ(error_of(answer_of(*method, {"cryptosign", {{"challenge", bad}}}, {}, context)),
              "CHALLENGE for cryptosign: 'challenge' must be 64 hex digits")
        << bad;
  }
  EXPECT_EQ(error_of(answer_of(*method, {"cryptosign", {}}, {}, context)),
            "CHALLENGE for cryptosign: 'challenge' is missing");
}

}  // namespace
}  // namespace uvwamp
