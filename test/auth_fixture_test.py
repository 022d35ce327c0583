"""Crossbar's listeners that require authentication, proved with autobahn-python clients.

test/fixture/routerctl.py starts Crossbar with certificates from test/certs.sh. Clients on
autobahn-python's asyncio WAMP sessions then join realm1 on each such listener (WebSocket and
RawSocket, plain and over TLS 1.2, the version uvwamp's TLS speaks) as each principal of
test/fixture/auth_principals.json, and with wrong credentials, which Crossbar must refuse with
the ABORT asserted here. Where autobahn cannot speak for a principal (SCRAM with PBKDF2) or where
the test must show what the router computes (the channel id of WAMP-Cryptosign's "tls-unique"
binding), the test answers the challenge with its own code, written from the WAMP spec.

It needs the venv that scripts/setup.sh makes (autobahn, PyNaCl), and runs itself there.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

TEST_DIR = Path(__file__).resolve().parent
REPO_ROOT = TEST_DIR.parent
VENV = REPO_ROOT / ".venv"
ROUTERCTL = TEST_DIR / "fixture" / "routerctl.py"
PRINCIPALS_FILE = TEST_DIR / "fixture" / "auth_principals.json"
CERTS_SH = TEST_DIR / "certs.sh"
JOIN_TIMEOUT_SECONDS = 10
ROUTER_TIMEOUT_SECONDS = 90


def run_in_venv() -> None:
    """Runs this script again on the venv's python unless it already runs there."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        sys.exit(f"auth_fixture_test: {python} is missing: run scripts/setup.sh")
    os.execv(python, [str(python), __file__, *sys.argv[1:]])


run_in_venv()

from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.auth import AuthCryptoSign, AuthScram, AuthTicket, AuthWampCra  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

sys.path.insert(0, str(TEST_DIR / "fixture"))
import make_auth_principals  # noqa: E402

DOCUMENT = json.loads(PRINCIPALS_FILE.read_text())
PRINCIPALS = DOCUMENT["principals"]
ROLE = DOCUMENT["role"]

NOT_AUTHORIZED = "wamp.error.not_authorized"
# The second private key of the WAMP-Cryptosign test vectors: no principal's key.
OTHER_CRYPTOSIGN_SEED = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd"


@dataclass
class Welcome:
    authid: str
    authrole: str
    authmethod: str
    authprovider: str
    challenges: list  # (method, extra) of every CHALLENGE before the WELCOME


@dataclass
class Abort:
    reason: str
    message: Optional[str]


class Client(ApplicationSession):
    """Joins realm1 offering its authenticators' methods in order, then leaves at once."""

    # ApplicationSession's own attributes (authid, ...) are left alone: these have a prefix.
    def __init__(self, realm, authid, authenticators, outcome, disconnected):
        super().__init__(ComponentConfig(realm=realm))
        self.test_authid = authid
        self.test_authenticators = {each.name: each for each in authenticators}
        self.test_outcome = outcome
        self.test_disconnected = disconnected
        self.test_challenges = []

    def onConnect(self):
        authextra = {}
        for authenticator in self.test_authenticators.values():
            authextra.update(authenticator.authextra)
        self.join(
            self.config.realm,
            authmethods=list(self.test_authenticators) or None,
            authid=self.test_authid,
            authextra=authextra or None,
        )

    def onChallenge(self, challenge):
        self.test_challenges.append((challenge.method, dict(challenge.extra)))
        return self.test_authenticators[challenge.method].on_challenge(self, challenge)

    def onWelcome(self, welcome):
        authenticator = self.test_authenticators.get(welcome.authmethod)
        return authenticator.on_welcome(self, welcome.authextra) if authenticator else None

    def onJoin(self, details):
        self.test_outcome.set_result(
            Welcome(
                details.authid,
                details.authrole,
                details.authmethod,
                details.authprovider,
                self.test_challenges,
            )
        )
        self.leave()

    def onLeave(self, details):
        if not self.test_outcome.done():
            self.test_outcome.set_result(Abort(details.reason, details.message))
        self.disconnect()

    def onDisconnect(self):
        if not self.test_outcome.done():
            self.test_outcome.set_exception(ConnectionError("closed before WELCOME or ABORT"))
        self.test_disconnected.set_result(None)


def tls_1_2_context(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


async def join_async(url, realm, authid, authenticators, ca_file):
    loop = asyncio.get_running_loop()
    outcome = loop.create_future()
    disconnected = loop.create_future()

    def session():
        return Client(realm, authid, authenticators, outcome, disconnected)

    parts = urlsplit(url)
    if parts.scheme in ("ws", "wss"):
        factory = WampWebSocketClientFactory(session, url=url, serializers=[JsonSerializer()])
    else:
        factory = WampRawSocketClientFactory(session, serializer=JsonSerializer())
    tls = parts.scheme in ("wss", "rss")
    transport, _ = await loop.create_connection(
        factory,
        parts.hostname,
        parts.port,
        ssl=tls_1_2_context(ca_file) if tls else None,
        server_hostname=parts.hostname if tls else None,
    )
    try:
        result = await asyncio.wait_for(outcome, JOIN_TIMEOUT_SECONDS)
        await asyncio.wait_for(disconnected, JOIN_TIMEOUT_SECONDS)
        return result
    finally:
        transport.close()


def tls_unique_channel_id(session) -> bytes:
    """What autobahn and Crossbar take as the "tls-unique" channel id: SHA-256 of RFC 5929's
    tls-unique (the first Finished message of the handshake), so that it has 32 bytes."""
    ssl_object = session._transport.transport.get_extra_info("ssl_object")
    return hashlib.sha256(ssl_object.get_channel_binding("tls-unique")).digest()


class SpecCryptosign:
    """WAMP-Cryptosign as the spec says: AUTHENTICATE carries hex(Ed25519 signature || message),
    where the message is the challenge, XORed with the channel id when the client binds to it.
    Announces `public_key` and signs with `seed`, which need not belong together."""

    name = "cryptosign"

    def __init__(self, public_key, seed, channel_binding=None, xor_channel_id=False):
        self.authextra = {"pubkey": public_key}
        if channel_binding:
            self.authextra["channel_binding"] = channel_binding
        self.signing_key = SigningKey(bytes.fromhex(seed))
        self.xor_channel_id = xor_channel_id

    def on_challenge(self, session, challenge):
        message = bytes.fromhex(challenge.extra["challenge"])
        if self.xor_channel_id:
            channel_id = tls_unique_channel_id(session)
            message = bytes(a ^ b for a, b in zip(message, channel_id))
        return self.signing_key.sign(message).hex()

    def on_welcome(self, session, authextra):
        return None


class Pbkdf2Scram:
    """WAMP-SCRAM with PBKDF2, which autobahn's AuthScram cannot do (it hands PBKDF2 the base64
    text of the salt, and its pbkdf2() refuses text). Follows the spec's algorithm with Crossbar's
    conventions: the channel binding part of AuthMessage is "c=" with nothing after it (the spec
    says "c=biws", base64 of "n,,"), and WELCOME's authextra carries the server signature as
    "scram_server_signature" (the spec's "verifier")."""

    name = "scram"

    def __init__(self, authid, password):
        self.authid = authid
        self.password = password
        self.client_nonce = base64.b64encode(os.urandom(16)).decode()
        self.authextra = {"nonce": self.client_nonce}
        self.salted_password = b""
        self.auth_message = b""

    def on_challenge(self, session, challenge):
        extra = challenge.extra
        if extra["kdf"] != "pbkdf2" or not extends_nonce(extra["nonce"], self.client_nonce):
            raise ValueError(f"not a PBKDF2 challenge for this client: {extra}")
        salt = base64.b64decode(extra["salt"])
        self.salted_password = hashlib.pbkdf2_hmac(
            "sha256", self.password.encode(), salt, extra["iterations"], 32
        )
        self.auth_message = ",".join(
            [
                f"n={self.authid},r={self.client_nonce}",
                f"r={extra['nonce']},s={extra['salt']},i={extra['iterations']}",
                f"c=,r={extra['nonce']}",
            ]
        ).encode()
        client_key = hmac.digest(self.salted_password, b"Client Key", "sha256")
        stored_key = hashlib.sha256(client_key).digest()
        client_signature = hmac.digest(stored_key, self.auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, client_signature))
        return base64.b64encode(proof).decode()

    def on_welcome(self, session, authextra):
        server_key = hmac.digest(self.salted_password, b"Server Key", "sha256")
        expected = hmac.digest(server_key, self.auth_message, "sha256")
        received = base64.b64decode(authextra.get("scram_server_signature", ""))
        return None if hmac.compare_digest(expected, received) else "wrong server signature"


def extends_nonce(server_nonce: str, client_nonce: str) -> bool:
    """Whether the server nonce begins with the client nonce. Crossbar appends its random bytes
    to the bytes of the client nonce and base64-encodes the whole, so the texts agree only as far
    as base64 groups whole bytes: compare the bytes."""
    return base64.b64decode(server_nonce).startswith(base64.b64decode(client_nonce))


def ticket(authid, secret):
    return AuthTicket(authid=authid, ticket=secret)


def wampcra(authid, secret):
    return AuthWampCra(authid=authid, secret=secret)


def scram(authid, password):
    return AuthScram(authid=authid, password=password)


def cryptosign(principal, channel_binding=None):
    authextra = {"channel_binding": channel_binding} if channel_binding else {}
    return AuthCryptoSign(
        authid=principal["authid"], privkey=principal["private_key"], authextra=authextra
    )


def scram_challenge(principal):
    """What CHALLENGE.Extra must carry for a SCRAM principal, its nonce aside."""
    return {
        "kdf": principal["kdf"],
        "salt": base64.b64encode(bytes.fromhex(principal["salt"])).decode(),
        "iterations": principal["iterations"],
        "memory": principal["memory"],
    }


def make_certificates(directory: Path) -> None:
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("the openssl command is needed to make the test certificates")
    subprocess.run(["sh", str(CERTS_SH), openssl, str(directory)], check=True)


class AuthListeners(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certificates = Path(tempfile.mkdtemp(prefix="uvwamp-auth-certs-"))
        try:
            make_certificates(cls.certificates)
            cls.server = subprocess.Popen(
                [
                    sys.executable,
                    str(ROUTERCTL),
                    "--tls-cert",
                    str(cls.certificates / "localhost.crt"),
                    "--tls-key",
                    str(cls.certificates / "localhost.key"),
                    "serve",
                    "crossbar",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        except BaseException:
            shutil.rmtree(cls.certificates)
            raise
        cls.endpoints = json.loads(cls.server.stdout.readline() or '{"error": "routerctl died"}')
        if "error" in cls.endpoints:
            cls.tearDownClass()
            raise RuntimeError(f"no Crossbar: {cls.endpoints['error']}")
        cls.listeners = {
            "ws": cls.endpoints["websocket_auth_url"],
            "rs": cls.endpoints["rawsocket_auth_url"],
            "wss": cls.endpoints["websocket_tls_auth_url"],
            "rss": cls.endpoints["rawsocket_tls_auth_url"],
        }

    @classmethod
    def tearDownClass(cls):
        cls.server.stdin.close()
        cls.server.wait(timeout=ROUTER_TIMEOUT_SECONDS)
        cls.server.stdout.close()
        shutil.rmtree(cls.certificates)

    def join(self, url, authid, *authenticators):
        realm = self.endpoints["realm"]
        ca_file = self.certificates / "ca.crt"
        return asyncio.run(join_async(url, realm, authid, authenticators, ca_file))

    def on_every_listener(self, check):
        for name, url in self.listeners.items():
            with self.subTest(listener=name):
                check(url)

    def assert_welcome(self, outcome, authid, authmethod):
        self.assertIsInstance(outcome, Welcome)
        self.assertEqual(outcome.authid, authid)
        self.assertEqual(outcome.authrole, ROLE)
        self.assertEqual(outcome.authmethod, authmethod)
        self.assertEqual(outcome.authprovider, "static")
        self.assertEqual([method for method, _ in outcome.challenges], [authmethod])
        return outcome.challenges[0][1]

    def assert_abort(self, outcome, message, reason=NOT_AUTHORIZED):
        self.assertEqual(outcome, Abort(reason, message))

    def test_the_committed_principals_are_what_the_script_writes(self):
        for path, text in make_auth_principals.generated_files().items():
            with self.subTest(file=path.name):
                self.assertEqual(path.read_text(), text, f"run {make_auth_principals.COMMAND}")

    def test_the_fixture_describes_the_listeners(self):
        self.assertEqual(self.endpoints["auth_principals"], str(PRINCIPALS_FILE))
        for name, url in self.listeners.items():
            self.assertTrue(url.startswith(name + "://127.0.0.1:"), url)

    def test_ticket(self):
        principal = PRINCIPALS["ticket"]

        def check(url):
            client = ticket(principal["authid"], principal["ticket"])
            outcome = self.join(url, principal["authid"], client)
            self.assertEqual(self.assert_welcome(outcome, principal["authid"], "ticket"), {})

        self.on_every_listener(check)

    def test_wampcra(self):
        principal = PRINCIPALS["wampcra"]

        def check(url):
            client = wampcra(principal["authid"], principal["secret"])
            outcome = self.join(url, principal["authid"], client)
            extra = self.assert_welcome(outcome, principal["authid"], "wampcra")
            self.assertEqual(set(extra), {"challenge"})
            self.assertEqual(json.loads(extra["challenge"])["authid"], principal["authid"])

        self.on_every_listener(check)

    def test_wampcra_salted(self):
        principal = PRINCIPALS["wampcra_salted"]

        def check(url):
            client = wampcra(principal["authid"], principal["secret"])
            outcome = self.join(url, principal["authid"], client)
            extra = self.assert_welcome(outcome, principal["authid"], "wampcra")
            salting = {key: extra[key] for key in ("salt", "iterations", "keylen")}
            self.assertEqual(salting, {key: principal[key] for key in salting})

        self.on_every_listener(check)

    def test_cryptosign(self):
        principal = PRINCIPALS["cryptosign"]

        def check(url):
            outcome = self.join(url, principal["authid"], cryptosign(principal))
            extra = self.assert_welcome(outcome, principal["authid"], "cryptosign")
            self.assertIsNone(extra["channel_binding"])
            self.assertEqual(len(bytes.fromhex(extra["challenge"])), 32)

        self.on_every_listener(check)

    def test_cryptosign_as_the_spec_says(self):
        principal = PRINCIPALS["cryptosign"]

        def check(url):
            signer = SpecCryptosign(principal["public_key"], principal["private_key"])
            outcome = self.join(url, principal["authid"], signer)
            self.assert_welcome(outcome, principal["authid"], "cryptosign")

        self.on_every_listener(check)

    def test_cryptosign_without_authid_is_known_by_its_key(self):
        principal = PRINCIPALS["cryptosign"]

        def check(url):
            signer = SpecCryptosign(principal["public_key"], principal["private_key"])
            self.assert_welcome(self.join(url, None, signer), principal["authid"], "cryptosign")

        self.on_every_listener(check)

    def test_cryptosign_bound_to_the_tls_channel(self):
        principal = PRINCIPALS["cryptosign"]
        for name in ("wss", "rss"):
            url = self.listeners[name]
            with self.subTest(listener=name, client="autobahn"):
                outcome = self.join(url, principal["authid"], cryptosign(principal, "tls-unique"))
                extra = self.assert_welcome(outcome, principal["authid"], "cryptosign")
                self.assertEqual(extra["channel_binding"], "tls-unique")
            with self.subTest(listener=name, client="spec, SHA-256 of tls-unique"):
                signer = SpecCryptosign(
                    principal["public_key"], principal["private_key"], "tls-unique", True
                )
                outcome = self.join(url, principal["authid"], signer)
                self.assert_welcome(outcome, principal["authid"], "cryptosign")
            with self.subTest(listener=name, client="spec, binding claimed but not used"):
                signer = SpecCryptosign(
                    principal["public_key"], principal["private_key"], "tls-unique"
                )
                outcome = self.join(url, principal["authid"], signer)
                self.assertIsInstance(outcome, Abort)
                self.assertEqual(outcome.reason, NOT_AUTHORIZED)
                bogus = r"^message signed is bogus \[got 0x[0-9a-f]{64}, expected 0x[0-9a-f]{64}\]$"
                self.assertRegex(outcome.message, bogus)

    def test_cryptosign_bound_to_a_channel_without_tls_is_refused(self):
        principal = PRINCIPALS["cryptosign"]
        for name in ("ws", "rs"):
            with self.subTest(listener=name):
                outcome = self.join(
                    self.listeners[name], principal["authid"], cryptosign(principal, "tls-unique")
                )
                message = 'channel binding "tls-unique" requested, but the transport has no '
                self.assert_abort(outcome, message + "TLS channel ID")

    def test_scram_argon2id(self):
        principal = PRINCIPALS["scram_argon2id"]

        def check(url):
            client = scram(principal["authid"], principal["password"])
            outcome = self.join(url, principal["authid"], client)
            extra = self.assert_welcome(outcome, principal["authid"], "scram")
            server_nonce, client_nonce = extra.pop("nonce"), client.authextra["nonce"]
            self.assertTrue(extends_nonce(server_nonce, client_nonce))
            # autobahn's client nonce has 16 bytes, so its base64 text ends in "==", which the
            # server nonce's text has not there: the spec's text comparison would fail.
            self.assertFalse(server_nonce.startswith(client_nonce))
            self.assertEqual(extra, scram_challenge(principal))

        self.on_every_listener(check)

    def test_scram_pbkdf2(self):
        principal = PRINCIPALS["scram_pbkdf2"]

        def check(url):
            client = Pbkdf2Scram(principal["authid"], principal["password"])
            outcome = self.join(url, principal["authid"], client)
            extra = self.assert_welcome(outcome, principal["authid"], "scram")
            del extra["nonce"]
            self.assertEqual(extra, scram_challenge(principal))

        self.on_every_listener(check)

    def test_wrong_secrets_are_refused(self):
        cases = {
            "ticket": (
                lambda: ticket(PRINCIPALS["ticket"]["authid"], "wrong"),
                "ticket in static WAMP-Ticket authentication is invalid",
            ),
            "wampcra": (
                lambda: wampcra(PRINCIPALS["wampcra"]["authid"], "wrong"),
                "WAMP-CRA client signature is invalid",
            ),
            "wampcra_salted": (
                lambda: wampcra(PRINCIPALS["wampcra_salted"]["authid"], "wrong"),
                "WAMP-CRA client signature is invalid",
            ),
            "scram_argon2id": (
                lambda: scram(PRINCIPALS["scram_argon2id"]["authid"], "wrong"),
                "SCRAM authentication failed",
            ),
            "scram_pbkdf2": (
                lambda: Pbkdf2Scram(PRINCIPALS["scram_pbkdf2"]["authid"], "wrong"),
                "SCRAM authentication failed",
            ),
            # The key is the principal's, the signature another key's.
            "cryptosign": (
                lambda: SpecCryptosign(
                    PRINCIPALS["cryptosign"]["public_key"], OTHER_CRYPTOSIGN_SEED
                ),
                "signed message has invalid signature",
            ),
        }

        def check(url):
            for principal, (authenticator, message) in cases.items():
                with self.subTest(principal=principal):
                    outcome = self.join(url, PRINCIPALS[principal]["authid"], authenticator())
                    self.assert_abort(outcome, message)

        self.on_every_listener(check)

    def test_a_key_that_is_not_the_principals_is_refused_before_any_challenge(self):
        principal = PRINCIPALS["cryptosign"]
        other = {**principal, "private_key": OTHER_CRYPTOSIGN_SEED}
        outcome = self.join(self.listeners["ws"], principal["authid"], cryptosign(other))
        self.assert_abort(
            outcome,
            "extra.pubkey provided does not match any one of authorized_keys for the principal",
        )

    def test_an_unknown_authid_is_refused(self):
        authid = "nobody"
        for authenticator in (ticket(authid, "x"), wampcra(authid, "x"), scram(authid, "x")):
            with self.subTest(method=authenticator.name):
                outcome = self.join(self.listeners["rs"], authid, authenticator)
                self.assert_abort(outcome, 'no principal with authid "nobody" exists')

    def test_anonymous_is_not_offered(self):
        outcome = self.join(self.listeners["ws"], None)
        self.assert_abort(
            outcome,
            "cannot authenticate [2] using any of the offered authmethods ['anonymous']",
            reason="wamp.error.no_auth_method",
        )

    def test_the_first_offered_method_the_listener_knows_is_the_one(self):
        multi = PRINCIPALS["multi"]
        authid = multi["authid"]
        methods = {
            "ticket": lambda: ticket(authid, multi["ticket"]),
            "wampcra": lambda: wampcra(authid, multi["wampcra_secret"]),
            "scram": lambda: scram(authid, multi["scram_password"]),
        }
        for order in (["ticket", "wampcra", "scram"], ["scram", "ticket"], ["wampcra", "scram"]):
            with self.subTest(offered=order):
                outcome = self.join(self.listeners["ws"], authid, *(methods[m]() for m in order))
                self.assert_welcome(outcome, authid, order[0])

    def test_a_method_that_does_not_know_the_authid_ends_the_choice(self):
        # Crossbar takes the first offered method that the listener has, and does not go on to
        # the next when that method has no such principal.
        multi = PRINCIPALS["multi"]
        signer = cryptosign(PRINCIPALS["cryptosign"])
        outcome = self.join(
            self.listeners["rs"], multi["authid"], signer, ticket(multi["authid"], multi["ticket"])
        )
        self.assert_abort(outcome, 'no principal with authid "multi-user" exists')


if __name__ == "__main__":
    unittest.main(verbosity=2)
