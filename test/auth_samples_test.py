"""The authentication samples (samples/cpp/auth_*.cpp) as a user runs them, against Crossbar.

  routerctl.py run crossbar -- auth_samples_test.py METHOD SAMPLE

METHOD is ticket, wampcra, scram or cryptosign; SAMPLE the built program. Crossbar's
authenticating listener (UVWAMP_WS_AUTH_URL) knows the principals of
test/fixture/auth_principals.json. With a principal's credentials the sample must join, print the
authid, authrole and authmethod of Crossbar's WELCOME, leave and exit 0; with wrong ones it must
exit non-zero with Crossbar's refusal (the ABORT's message and URI). Secrets go in the
environment or a file, as the samples ask, and must never show up in what they print.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

METHOD = sys.argv.pop(1) if len(sys.argv) > 2 else None
SAMPLE = sys.argv.pop(1) if len(sys.argv) > 1 else None
FIXTURE_PRINCIPALS = Path(__file__).resolve().parent / "fixture" / "auth_principals.json"
PRINCIPALS_FILE = Path(os.environ.get("UVWAMP_AUTH_PRINCIPALS", FIXTURE_PRINCIPALS))
DOCUMENT = json.loads(PRINCIPALS_FILE.read_text())
PRINCIPALS = DOCUMENT["principals"]
ROLE = DOCUMENT["role"]
URL = os.environ.get("UVWAMP_WS_AUTH_URL")
REALM = os.environ.get("UVWAMP_REALM")
TIMEOUT_SECONDS = 60
NOT_AUTHORIZED = "wamp.error.not_authorized"
# The second private key of the WAMP-Cryptosign test vectors: no principal's key.
OTHER_CRYPTOSIGN_SEED = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd"


class SampleTest(unittest.TestCase):
    method = ""

    def run_sample(self, environment, arguments=()):
        # Only what the test gives: a WAMP_* variable of the caller's must not leak in.
        env = {key: value for key, value in os.environ.items() if not key.startswith("WAMP_")}
        env.update(environment)
        return subprocess.run(
            [SAMPLE, *arguments, URL, REALM],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )

    def assert_joined(self, run, authid, secrets=()):
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(
            lines[-3:], [f"authid {authid}", f"authrole {ROLE}", f"authmethod {self.method}"]
        )
        self.assert_not_shown(run, secrets)
        return lines[:-3]

    def assert_refused_by_router(self, run, message, secrets=()):
        """Crossbar's ABORT, as join() reports it: its reason and its message."""
        why = f"the router aborted the session: {NOT_AUTHORIZED} ({message})"
        self.assert_failed(run, f"{why} ({NOT_AUTHORIZED})", secrets)

    def assert_refused_here(self, run, message):
        """The client's own refusal: client_errc::authentication_failed."""
        self.assert_failed(run, f"{message} (wamp.error.authentication_failed)", ())

    def assert_failed(self, run, error, secrets):
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertEqual(run.stderr, f"{Path(SAMPLE).name}: {error}\n")
        self.assertNotIn("authid ", run.stdout)
        self.assert_not_shown(run, secrets)

    def assert_not_shown(self, run, secrets):
        for secret in secrets:
            self.assertNotIn(secret, run.stdout + run.stderr)


class TicketSample(SampleTest):
    method = "ticket"

    def test_joins_as_the_principal(self):
        principal = PRINCIPALS["ticket"]
        run = self.run_sample(
            {"WAMP_AUTHID": principal["authid"], "WAMP_TICKET": principal["ticket"]}
        )
        self.assertEqual(self.assert_joined(run, principal["authid"], [principal["ticket"]]), [])

    def test_a_wrong_ticket_is_refused_by_the_router(self):
        wrong = "not-the-ticket"
        run = self.run_sample({"WAMP_AUTHID": PRINCIPALS["ticket"]["authid"], "WAMP_TICKET": wrong})
        self.assert_refused_by_router(
            run, "ticket in static WAMP-Ticket authentication is invalid", secrets=[wrong]
        )

    def test_a_ticket_that_cannot_be_had_fails_the_join_here(self):
        # The callback's refusal: this client gives up, the router is not asked.
        run = self.run_sample({"WAMP_AUTHID": PRINCIPALS["ticket"]["authid"]})
        self.assert_refused_here(run, "WAMP_TICKET is not set")


class WampCraSample(SampleTest):
    method = "wampcra"

    def test_joins_as_each_principal(self):
        for name in ("wampcra", "wampcra_salted"):
            with self.subTest(principal=name):
                principal = PRINCIPALS[name]
                run = self.run_sample(
                    {"WAMP_AUTHID": principal["authid"], "WAMP_SECRET": principal["secret"]}
                )
                self.assert_joined(run, principal["authid"], [principal["secret"]])

    def test_a_wrong_secret_is_refused_by_the_router(self):
        wrong = "not-the-secret"
        for name in ("wampcra", "wampcra_salted"):
            with self.subTest(principal=name):
                run = self.run_sample(
                    {"WAMP_AUTHID": PRINCIPALS[name]["authid"], "WAMP_SECRET": wrong}
                )
                self.assert_refused_by_router(
                    run, "WAMP-CRA client signature is invalid", secrets=[wrong]
                )


class ScramSample(SampleTest):
    method = "scram"

    def test_joins_as_the_principal_of_each_kdf(self):
        for name in ("scram_argon2id", "scram_pbkdf2"):
            with self.subTest(principal=name):
                principal = PRINCIPALS[name]
                run = self.run_sample(
                    {"WAMP_AUTHID": principal["authid"], "WAMP_PASSWORD": principal["password"]}
                )
                self.assert_joined(run, principal["authid"], [principal["password"]])

    def test_a_wrong_password_is_refused_by_the_router(self):
        wrong = "not-the-password"
        for name in ("scram_argon2id", "scram_pbkdf2"):
            with self.subTest(principal=name):
                run = self.run_sample(
                    {"WAMP_AUTHID": PRINCIPALS[name]["authid"], "WAMP_PASSWORD": wrong}
                )
                self.assert_refused_by_router(run, "SCRAM authentication failed", secrets=[wrong])


class CryptosignSample(SampleTest):
    method = "cryptosign"

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory(prefix="uvwamp-auth-sample-")
        self.addCleanup(self.directory.cleanup)

    def key_file(self, contents):
        path = Path(self.directory.name) / "client.key"
        path.write_text(contents)
        path.chmod(0o600)
        return str(path)

    def test_joins_as_the_principal_with_a_hex_seed(self):
        principal = PRINCIPALS["cryptosign"]
        key = self.key_file(principal["private_key"] + "\n")
        run = self.run_sample({"WAMP_AUTHID": principal["authid"]}, [key])
        printed = self.assert_joined(run, principal["authid"], [principal["private_key"]])
        self.assertEqual(printed, [f"public key {principal['public_key']}"])

    def test_without_an_authid_the_router_knows_the_client_by_its_key(self):
        principal = PRINCIPALS["cryptosign"]
        run = self.run_sample({}, [self.key_file(principal["private_key"])])
        self.assert_joined(run, principal["authid"], [principal["private_key"]])

    def test_a_key_the_principal_does_not_list_is_refused_by_the_router(self):
        key = self.key_file(OTHER_CRYPTOSIGN_SEED)
        run = self.run_sample({"WAMP_AUTHID": PRINCIPALS["cryptosign"]["authid"]}, [key])
        self.assert_refused_by_router(
            run,
            "extra.pubkey provided does not match any one of authorized_keys for the principal",
            secrets=[OTHER_CRYPTOSIGN_SEED],
        )
        self.assertRegex(run.stdout, r"^public key [0-9a-f]{64}\n$")

    def test_a_file_that_holds_no_key_fails_before_connecting(self):
        key = self.key_file("this is not a key\n")
        run = self.run_sample({"WAMP_AUTHID": PRINCIPALS["cryptosign"]["authid"]}, [key])
        self.assertEqual(run.returncode, 1)
        self.assertEqual(run.stdout, "")
        self.assertTrue(run.stderr.startswith(f"auth_cryptosign: {key}: "), run.stderr)


SAMPLES = {
    test.method: test for test in (TicketSample, WampCraSample, ScramSample, CryptosignSample)
}

if __name__ == "__main__":
    if METHOD not in SAMPLES or not SAMPLE or not URL or not REALM:
        sys.exit(
            "usage: routerctl.py run crossbar -- auth_samples_test.py "
            f"{{{','.join(SAMPLES)}}} SAMPLE"
        )
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(SAMPLES[METHOD])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
