#include <uvwamp/signing_key.hpp>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "auth/pem.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"

namespace uvwamp {
namespace {

// The key tools, found when the build was configured (test/meson.build); empty when missing.
const std::string ssh_keygen = UVWAMP_TEST_SSH_KEYGEN;
const std::string puttygen = UVWAMP_TEST_PUTTYGEN;
const std::string openssl = UVWAMP_TEST_OPENSSL;

#define REQUIRE_TOOL(path, name)                                                    \
  do {                                                                              \
    if ((path).empty()) GTEST_SKIP() << name << " was not found at configure time"; \
  } while (false)

// Every encrypted file in these tests uses it; no error message may contain any of it.
constexpr char passphrase[] = "correct horse battery";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  return text;
}

// The "ssh-ed25519 AAAA..." part of an authorized_keys line, without its comment.
std::string without_comment(const std::string& line) {
  const std::size_t first = line.find(' ');
  const std::size_t second = line.find_first_of(" \n", first + 1);
  return line.substr(0, second);
}

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

// RFC 8032, section 7.1, TEST 1.
constexpr char rfc8032_seed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr char rfc8032_public[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char rfc8032_signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";

TEST(SigningKey, FromSeedMatchesRfc8032) {
  std::array<std::uint8_t, SigningKey::seed_size> seed;
  const auto seed_bytes = hex::decode(rfc8032_seed).value();
  std::copy(seed_bytes.begin(), seed_bytes.end(), seed.begin());
  const SigningKey key = SigningKey::from_seed(seed);
  EXPECT_EQ(key.public_key_hex(), rfc8032_public);
  const auto signature = key.sign(nullptr, 0);
  EXPECT_EQ(hex::encode(signature.data(), signature.size()), rfc8032_signature);

  SigningKey copy = key;
  EXPECT_EQ(copy.public_key_hex(), rfc8032_public);
  copy = SigningKey::from_seed({});
  EXPECT_NE(copy.public_key_hex(), rfc8032_public);
  EXPECT_EQ(key.public_key_hex(), rfc8032_public);
}

TEST(SigningKey, ReadsASeedAloneInHexOrBase64) {
  const auto seed = hex::decode(rfc8032_seed).value();
  for (const std::string& text :
       {std::string(rfc8032_seed), "  \n" + std::string(rfc8032_seed) + "\r\n",
        base64::encode(seed.data(), seed.size()) + "\n"}) {
    auto key = SigningKey::parse(text);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_hex(), rfc8032_public);
  }
  std::string upper = rfc8032_seed;
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(SigningKey::parse(upper));
  EXPECT_EQ(SigningKey::parse(upper)->public_key_hex(), rfc8032_public);

  const std::string short_hex(rfc8032_seed, 62);
  const std::string spaced = short_hex.substr(0, 30) + " " + short_hex.substr(30) + "60";
  const std::vector<std::uint8_t> seed33(33, 7);
  for (const std::string& text :
       {short_hex, spaced, std::string(rfc8032_seed) + "00", base64::encode(seed33.data(), 33)}) {
    const auto key = SigningKey::parse(text);
    ASSERT_FALSE(key) << text;
    EXPECT_EQ(key.error().code, key_errc::unknown_format) << text;
  }
}

// RFC 8410, section 10.3: a version 2 OneAsymmetricKey with an attribute and the public key.
TEST(SigningKey, ReadsRfc8410ExampleWithPublicKey) {
  const auto key = SigningKey::parse(
      "-----BEGIN PRIVATE KEY-----\n"
      "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
      "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n"
      "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n"
      "-----END PRIVATE KEY-----\n");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key_hex(),
            "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1");
}

TEST(SigningKey, JunkIsUnknownFormat) {
  std::mt19937 random(20240521);
  std::vector<std::string> inputs = {"", "hello world\n", "-----BEGIN CERTIFICATE-----\nAAAA\n",
                                     "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n"};
  for (std::size_t size : {1, 2, 16, 100, 5000}) {
    std::string junk(size, '\0');
    for (char& c : junk)
      c = static_cast<char>(random());
    // Junk that happens to begin like DER or PEM would rightly be called damaged instead.
    junk[0] = 'x';
    inputs.push_back(junk);
  }
  for (const auto& input : inputs) {
    const auto key = SigningKey::parse(input);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, key_errc::unknown_format) << key.error().message;
    EXPECT_STREQ(key.error().code.category().name(), "uvwamp.key");
  }
}

TEST(SigningKey, MissingFileOrDirectoryIsUnreadable) {
  const std::string missing = "/nonexistent/uvwamp/key";
  auto key = SigningKey::load_file(missing);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, key_errc::unreadable);
  EXPECT_EQ(key.error().message, missing + ": " + std::strerror(ENOENT));

  key = SigningKey::load_file("/");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, key_errc::unreadable);
  EXPECT_EQ(key.error().message, std::string("/: ") + std::strerror(EISDIR));
}

// Each test gets a temporary directory to make its key files in with the real tools.
class KeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/uvwamp-keys-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr) << std::strerror(errno);
    directory_ = pattern;
    std::ofstream(path("passphrase"), std::ios::binary) << passphrase;
    std::ofstream(path("empty"), std::ios::binary);
  }
  void TearDown() override {
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  std::string path(const std::string& name) const { return directory_ + "/" + name; }
  std::string file(const std::string& name) const { return quoted(path(name)); }

  // Runs `command` in the shell and returns its standard output; the test fails, with the
  // command's standard error, when it does not exit with status 0.
  std::string run(const std::string& command) {
    const std::string full = command + " </dev/null 2>" + file("stderr");
    std::FILE* pipe = popen(full.c_str(), "r");
    if (!pipe) {
      ADD_FAILURE() << "could not run " << command;
      return {};
    }
    std::string output;
    char buffer[4096];
    std::size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      output.append(buffer, got);
    const int status = pclose(pipe);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      ADD_FAILURE() << command << " failed:\n" << read("stderr");
    return output;
  }

  std::string read(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream(path(name), std::ios::binary) << contents;
  }

  Result<SigningKey> load(const std::string& name, const Secret& secret = {}) const {
    return SigningKey::load_file(path(name), secret);
  }

  // Loading `name` fails with `code`, and the message names the file but not the passphrase.
  void expect_error(const std::string& name, const Secret& secret, key_errc code) const {
    const auto key = load(name, secret);
    ASSERT_FALSE(key) << name;
    EXPECT_EQ(key.error().code, code) << name << ": " << key.error().message;
    EXPECT_NE(key.error().message.find(path(name)), std::string::npos) << key.error().message;
    EXPECT_EQ(key.error().message.find("horse"), std::string::npos) << key.error().message;
  }

  // Every proper prefix of the file from `from` bytes on is refused as damaged.
  void expect_prefixes_damaged(const std::string& name, std::size_t from) const {
    const std::string contents = read(name);
    ASSERT_LT(from, contents.size());
    for (std::size_t size = from; size + 1 < contents.size(); ++size) {
      const auto key = SigningKey::parse(contents.substr(0, size));
      ASSERT_FALSE(key) << name << " cut to " << size << " bytes";
      EXPECT_EQ(key.error().code, key_errc::damaged)
          << name << " cut to " << size << " bytes: " << key.error().message;
    }
  }

  std::string signature_hex(const SigningKey& key) const {
    const auto message = bytes_of("the same message for every format");
    const auto signature = key.sign(message.data(), message.size());
    return hex::encode(signature.data(), signature.size());
  }

  std::string directory_;
};

// ---- OpenSSH (ssh-keygen)

TEST_F(KeyFiles, OpenSshUnencrypted) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  run(ssh_keygen + " -q -t ed25519 -N '' -C alice@example -f " + file("k"));
  const auto key = load("k");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key_openssh(), without_comment(run(ssh_keygen + " -y -f " + file("k"))));
  EXPECT_EQ(key->public_key_openssh("alice@example"), trimmed(read("k.pub")));
  EXPECT_EQ(SigningKey::load_file(path("k"), passphrase)->public_key(), key->public_key());
}

TEST_F(KeyFiles, OpenSshEncryptedWithEitherCipher) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  // aes256-ctr is ssh-keygen's default; -a 16 is its default number of bcrypt rounds.
  for (const std::string cipher : {"aes256-ctr", "aes256-cbc"}) {
    SCOPED_TRACE(cipher);
    const std::string name = "k-" + cipher;
    run(ssh_keygen + " -q -t ed25519 -a 16 -Z " + cipher + " -N " + quoted(passphrase) + " -f " +
        file(name));
    const auto key = load(name, passphrase);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_openssh(), without_comment(read(name + ".pub")));
    expect_error(name, {}, key_errc::passphrase_required);
    expect_error(name, "correct horse batterY", key_errc::wrong_passphrase);
  }
}

TEST_F(KeyFiles, OpenSshOtherCiphersAreUnsupported) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  for (const std::string cipher : {"aes128-ctr", "chacha20-poly1305@openssh.com"}) {
    run(ssh_keygen + " -q -t ed25519 -a 1 -Z " + cipher + " -N " + quoted(passphrase) + " -f " +
        file(cipher));
    expect_error(cipher, passphrase, key_errc::unsupported_encryption);
  }
}

TEST_F(KeyFiles, OpenSshRsaAndEcdsaAreWrongKeyType) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  run(ssh_keygen + " -q -t rsa -b 1024 -N '' -f " + file("rsa"));
  run(ssh_keygen + " -q -t ecdsa -N " + quoted(passphrase) + " -f " + file("ecdsa"));
  expect_error("rsa", {}, key_errc::wrong_key_type);
  // The type is in the unencrypted part: no passphrase needed to tell.
  expect_error("ecdsa", {}, key_errc::wrong_key_type);
}

TEST_F(KeyFiles, OpenSshCutShortIsDamaged) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  run(ssh_keygen + " -q -t ed25519 -N '' -f " + file("k"));
  const std::string begin_line = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  expect_prefixes_damaged("k", begin_line.size());

  // The same inside the PEM armour: every prefix of the key's bytes, encoded whole.
  const auto blob = pem::decode_block(read("k"), "OPENSSH PRIVATE KEY");
  ASSERT_TRUE(blob);
  for (std::size_t size = 0; size < blob->size(); ++size) {
    const auto key = SigningKey::parse(begin_line + base64::encode(blob->data(), size) +
                                       "\n-----END OPENSSH PRIVATE KEY-----\n");
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, key_errc::damaged) << size << ": " << key.error().message;
  }
}

// ---- PuTTY (puttygen)

TEST_F(KeyFiles, PuttyVersion3Unencrypted) {
  REQUIRE_TOOL(puttygen, "puttygen");
  run(puttygen + " -t ed25519 -q -C bob --new-passphrase " + file("empty") + " -o " +
      file("k.ppk"));
  ASSERT_EQ(read("k.ppk").rfind("PuTTY-User-Key-File-3: ssh-ed25519\n", 0), 0u);
  const auto key = load("k.ppk");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key_openssh(),
            without_comment(run(puttygen + " " + file("k.ppk") + " -L")));

  // As PuTTY on Windows writes it, with CRLF line ends.
  std::string crlf;
  for (char c : read("k.ppk"))
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write("crlf.ppk", crlf);
  const auto same = load("crlf.ppk");
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->public_key(), key->public_key());
}

TEST_F(KeyFiles, PuttyVersion3EncryptedWithEachArgon2) {
  REQUIRE_TOOL(puttygen, "puttygen");
  for (const std::string kdf : {"argon2id", "argon2i", "argon2d"}) {
    SCOPED_TRACE(kdf);
    const std::string name = kdf + ".ppk";
    run(puttygen + " -t ed25519 -q --new-passphrase " + file("passphrase") +
        " --ppk-param kdf=" + kdf + ",memory=8192,passes=2,parallelism=2 -o " + file(name));
    const auto key = load(name, passphrase);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_openssh(), without_comment(run(puttygen + " " + file(name) + " -L")));
    expect_error(name, {}, key_errc::passphrase_required);
    expect_error(name, "correct horse batterY", key_errc::mac_mismatch);
  }
}

TEST_F(KeyFiles, PuttyVersion2EncryptedAndNot) {
  REQUIRE_TOOL(puttygen, "puttygen");
  run(puttygen + " -t ed25519 -q --new-passphrase " + file("empty") + " --ppk-param version=2 -o " +
      file("plain.ppk"));
  run(puttygen + " -t ed25519 -q --new-passphrase " + file("passphrase") +
      " --ppk-param version=2 -o " + file("encrypted.ppk"));
  for (const std::string name : {"plain.ppk", "encrypted.ppk"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(read(name).rfind("PuTTY-User-Key-File-2: ssh-ed25519\n", 0), 0u);
    const auto key = load(name, passphrase);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_openssh(), without_comment(run(puttygen + " " + file(name) + " -L")));
  }
  expect_error("encrypted.ppk", {}, key_errc::passphrase_required);
  expect_error("encrypted.ppk", "correct horse batterY", key_errc::mac_mismatch);
}

TEST_F(KeyFiles, PuttyChangedPrivateLineFailsMac) {
  REQUIRE_TOOL(puttygen, "puttygen");
  for (const std::string version : {"2", "3"}) {
    SCOPED_TRACE(version);
    const std::string name = "v" + version + ".ppk";
    run(puttygen + " -t ed25519 -q --new-passphrase " + file("empty") +
        " --ppk-param version=" + version + " -o " + file(name));
    std::string contents = read(name);
    // A letter in the middle of the private line, swapped for another: still valid base64.
    const std::size_t line = contents.find("Private-Lines: 1\n");
    ASSERT_NE(line, std::string::npos);
    char& byte = contents[line + std::strlen("Private-Lines: 1\n") + 20];
    byte = byte == 'A' ? 'B' : 'A';
    write(name, contents);
    expect_error(name, {}, key_errc::mac_mismatch);
  }
}

TEST_F(KeyFiles, PuttyRsaAndEcdsaAreWrongKeyType) {
  REQUIRE_TOOL(puttygen, "puttygen");
  run(puttygen + " -t rsa -b 1024 -q --new-passphrase " + file("empty") + " -o " + file("rsa.ppk"));
  run(puttygen + " -t ecdsa -q --new-passphrase " + file("passphrase") + " -o " +
      file("ecdsa.ppk"));
  expect_error("rsa.ppk", {}, key_errc::wrong_key_type);
  expect_error("ecdsa.ppk", {}, key_errc::wrong_key_type);
}

TEST_F(KeyFiles, PuttyCutShortIsDamaged) {
  REQUIRE_TOOL(puttygen, "puttygen");
  run(puttygen + " -t ed25519 -q --new-passphrase " + file("empty") + " -o " + file("k.ppk"));
  expect_prefixes_damaged("k.ppk", std::strlen("PuTTY-User-Key-File-3: ssh-ed25519\n"));
}

// ---- PKCS#8 (openssl)

// The Ed25519 public key openssl derives: the last 32 bytes of its SubjectPublicKeyInfo.
std::string openssl_public_key_hex(const std::string& der) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(der.data());
  return der.size() < 32 ? "" : hex::encode(bytes + der.size() - 32, 32);
}

TEST_F(KeyFiles, Pkcs8UnencryptedPemAndDer) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm ed25519 -out " + file("k.pem"));
  run(openssl + " pkey -in " + file("k.pem") + " -outform DER -out " + file("k.der"));
  run(openssl + " pkey -in " + file("k.pem") + " -pubout -outform DER -out " + file("pub.der"));
  const std::string message = "a message for openssl to sign";
  write("message", message);
  run(openssl + " pkeyutl -sign -rawin -inkey " + file("k.pem") + " -in " + file("message") +
      " -out " + file("signature"));
  const auto expected_signature = bytes_of(read("signature"));
  for (const std::string name : {"k.pem", "k.der"}) {
    SCOPED_TRACE(name);
    const auto key = load(name);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_hex(), openssl_public_key_hex(read("pub.der")));
    // Ed25519 signatures are deterministic: the same key signs exactly as openssl does.
    const auto signature =
        key->sign(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
    EXPECT_EQ(std::vector<std::uint8_t>(signature.begin(), signature.end()), expected_signature);
  }
}

TEST_F(KeyFiles, Pkcs8EncryptedWithPbes2) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm ed25519 -out " + file("k.pem"));
  run(openssl + " pkey -in " + file("k.pem") + " -pubout -outform DER -out " + file("pub.der"));
  const std::string pass = " -passout " + quoted(std::string("pass:") + passphrase);
  // OpenSSL 3 writes hmacWithSHA256 unless told otherwise; hmacWithSHA1 is PBKDF2's default and
  // then left out of the file.
  const std::pair<std::string, std::string> variants[] = {
      {"aes256-sha256.pem", "-v2 aes-256-cbc"},
      {"aes128-sha1.pem", "-v2 aes-128-cbc -v2prf hmacWithSHA1"},
      {"aes192-sha256.pem", "-v2 aes-192-cbc -v2prf hmacWithSHA256"},
      {"aes256-sha1.der", "-v2 aes-256-cbc -v2prf hmacWithSHA1 -outform DER"},
  };
  for (const auto& [name, options] : variants) {
    SCOPED_TRACE(name);
    run(openssl + " pkcs8 -topk8 -in " + file("k.pem") + " " + options + pass + " -out " +
        file(name));
    const auto key = load(name, passphrase);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_hex(), openssl_public_key_hex(read("pub.der")));
    expect_error(name, {}, key_errc::passphrase_required);
    expect_error(name, "correct horse batterY", key_errc::wrong_passphrase);
  }
}

TEST_F(KeyFiles, Pkcs8OtherEncryptionIsUnsupported) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm ed25519 -out " + file("k.pem"));
  const std::string pass = " -passout " + quoted(std::string("pass:") + passphrase);
  const std::pair<std::string, std::string> variants[] = {
      {"scrypt.pem", "-scrypt"},
      {"des3.pem", "-v2 des3"},
      {"pbes1.pem", "-v1 PBE-SHA1-3DES"},
  };
  for (const auto& [name, options] : variants) {
    run(openssl + " pkcs8 -topk8 -in " + file("k.pem") + " " + options + pass + " -out " +
        file(name));
    expect_error(name, passphrase, key_errc::unsupported_encryption);
  }
}

TEST_F(KeyFiles, Pkcs8OtherKeyTypesAreWrongKeyType) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " + file("rsa.pem"));
  run(openssl + " genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + file("ec.pem"));
  run(openssl + " genpkey -algorithm X25519 -out " + file("x25519.pem"));
  run(openssl + " pkey -in " + file("rsa.pem") + " -traditional -out " + file("rsa-old.pem"));
  run(openssl + " pkcs8 -topk8 -in " + file("rsa.pem") + " -v2 aes-256-cbc -passout " +
      quoted(std::string("pass:") + passphrase) + " -out " + file("rsa-encrypted.pem"));
  for (const std::string name : {"rsa.pem", "ec.pem", "x25519.pem", "rsa-old.pem"})
    expect_error(name, {}, key_errc::wrong_key_type);
  expect_error("rsa-encrypted.pem", passphrase, key_errc::wrong_key_type);
}

TEST_F(KeyFiles, Pkcs8CutShortIsDamaged) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm ed25519 -out " + file("k.pem"));
  run(openssl + " pkey -in " + file("k.pem") + " -outform DER -out " + file("k.der"));
  run(openssl + " pkcs8 -topk8 -in " + file("k.pem") + " -v2 aes-256-cbc -outform DER " +
      "-passout " + quoted(std::string("pass:") + passphrase) + " -out " + file("e.der"));
  expect_prefixes_damaged("k.pem", std::strlen("-----BEGIN PRIVATE KEY-----\n"));
  // From the first byte of the first element on, the DER is recognised and then cut short.
  expect_prefixes_damaged("k.der", 3);
  expect_prefixes_damaged("e.der", 4);
}

// ---- One key through several tools and formats

TEST_F(KeyFiles, SameKeyThroughEveryFormat) {
  REQUIRE_TOOL(ssh_keygen, "ssh-keygen");
  REQUIRE_TOOL(puttygen, "puttygen");
  run(ssh_keygen + " -q -t ed25519 -N '' -f " + file("k"));
  const std::string original = file("k");
  const std::string empty = " --new-passphrase " + file("empty");
  const std::string secret = " --new-passphrase " + file("passphrase");
  run(puttygen + " " + original + " -O private" + empty + " --ppk-param version=2 -o " +
      file("v2.ppk"));
  run(puttygen + " " + original + " -O private" + secret + " --ppk-param version=2 -o " +
      file("v2-encrypted.ppk"));
  run(puttygen + " " + original + " -O private" + empty + " --ppk-param version=3 -o " +
      file("v3.ppk"));
  run(puttygen + " " + original + " -O private" + secret +
      " --ppk-param version=3,memory=8192,passes=2 -o " + file("v3-encrypted.ppk"));
  // puttygen's own writer of OpenSSH's format, bcrypt and aes256-ctr included.
  run(puttygen + " " + file("v3-encrypted.ppk") + " --old-passphrase " + file("passphrase") +
      " -O private-openssh-new" + secret + " -o " + file("openssh-by-puttygen"));

  const auto reference = load("k");
  ASSERT_TRUE(reference) << reference.error().message;
  EXPECT_EQ(reference->public_key_openssh(), without_comment(read("k.pub")));
  for (const std::string name :
       {"v2.ppk", "v2-encrypted.ppk", "v3.ppk", "v3-encrypted.ppk", "openssh-by-puttygen"}) {
    SCOPED_TRACE(name);
    const auto key = load(name, passphrase);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_openssh(), reference->public_key_openssh());
    EXPECT_EQ(signature_hex(*key), signature_hex(*reference));
  }
}

TEST_F(KeyFiles, SeedPrintedByOpensslAsAKeyFile) {
  REQUIRE_TOOL(openssl, "openssl");
  run(openssl + " genpkey -algorithm ed25519 -out " + file("k.pem"));
  // "priv:" and then the seed as colon-separated hex lines, up to "pub:".
  const std::string text = run(openssl + " pkey -in " + file("k.pem") + " -text -noout");
  const std::size_t priv = text.find("priv:");
  const std::size_t pub = text.find("pub:");
  ASSERT_TRUE(priv != std::string::npos && pub != std::string::npos);
  std::string seed_hex;
  for (char c : text.substr(priv + 5, pub - priv - 5)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) seed_hex += c;
  }
  write("seed", seed_hex + "\n");
  const auto seed = hex::decode(seed_hex).value();
  write("seed64", base64::encode(seed.data(), seed.size()));
  const auto reference = load("k.pem");
  ASSERT_TRUE(reference) << reference.error().message;
  for (const std::string name : {"seed", "seed64"}) {
    const auto key = load(name);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->public_key_hex(), reference->public_key_hex());
  }
}

}  // namespace
}  // namespace uvwamp
