"""The uvwamp tool's call, publish, subscribe and register verbs against real routers, with
Crossbar's authenticating listeners for the authentication options; and `uvwamp key` against
ssh-keygen.

Each router (nexus, Crossbar.io) is started once per test class by test/fixture/routerctl.py
serve, and stops when this process lets go of its stdin, whatever happens to the tests.
"""
import base64
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path

TOOL = sys.argv.pop(1) if len(sys.argv) > 1 else "uvwamp"
ROUTERCTL = Path(__file__).resolve().parent / "fixture" / "routerctl.py"
TIMEOUT = 60

# A command for register --exec that does what the call's first argument says, so that one
# registration can show every way a command ends.
BEHAVIOUR = r"""
import json, os, signal, sys, time
call = json.loads(sys.stdin.readline())
what = call["args"][0] if call["args"] else "echo"
if what == "echo":
    print(json.dumps(call))
elif what == "fail":
    sys.stderr.write("boom\n")
    sys.exit(3)
elif what == "garbage":
    print("this is not JSON")
elif what == "nothing":
    pass
elif what == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
elif what == "wait":
    deadline = time.monotonic() + 30
    while not os.path.exists(call["args"][1]):
        if time.monotonic() > deadline:
            sys.exit("the release never came")
        time.sleep(0.05)
    print('"released"')
elif what == "sleep":
    open(call["args"][1], "w").close()
    time.sleep(5)
elif what == "release":
    open(call["args"][1], "w").close()
    print('"releasing"')
"""


def unique(prefix):
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


def closed_port_url():
    # A port that was just free: nothing listens there, so connecting is refused at once.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"ws://127.0.0.1:{port}/ws"


class Background:
    """A verb that runs until stopped; its stderr is read until a line announces it is ready."""

    def __init__(self, args, ready):
        self.process = subprocess.Popen(
            [TOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.stderr = b""
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + TIMEOUT
        while ready.encode() not in self.stderr:
            if time.monotonic() > deadline or not selector.select(deadline - time.monotonic()):
                self.process.kill()
                raise AssertionError(f"{args[0]} never said {ready!r}; stderr: {self.stderr!r}")
            chunk = os.read(self.process.stderr.fileno(), 4096)
            if not chunk:
                self.process.wait()
                raise AssertionError(
                    f"{args[0]} exited with {self.process.returncode} before it said "
                    f"{ready!r}; stderr: {self.stderr!r}"
                )
            self.stderr += chunk
        selector.close()

    def read_line(self):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        ready = selector.select(TIMEOUT)
        selector.close()
        if not ready:
            raise AssertionError("no line came in time")
        return self.process.stdout.readline()

    def finish(self):
        out, err = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, out, self.stderr + err

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


class RouterTests:
    router = None

    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(
            [sys.executable, str(ROUTERCTL), "serve", cls.router],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        endpoints = json.loads(cls.server.stdout.readline() or '{"error": "routerctl died"}')
        if "error" in endpoints:
            cls.server.stdin.close()
            cls.server.wait()
            raise RuntimeError(f"no {cls.router} router: {endpoints['error']}")
        cls.ws_url = endpoints["websocket_url"]
        cls.rs_url = endpoints["rawsocket_url"]
        cls.rs_unix_url = "rs://unix:" + endpoints["rawsocket_unix"]
        cls.realm = endpoints["realm"]
        cls.endpoints = endpoints

    @classmethod
    def tearDownClass(cls):
        cls.server.stdin.close()
        cls.server.wait(timeout=TIMEOUT)
        cls.server.stdout.close()

    def session(self, url=None, *more):
        return ["--url", url or self.ws_url, "--realm", self.realm, *more]

    def run_tool(self, verb, *args):
        return subprocess.run([TOOL, verb, *args], capture_output=True, timeout=TIMEOUT)

    def background(self, verb, *args, ready):
        started = Background([verb, *args], ready)
        self.addCleanup(started.kill)
        return started

    def register(self, procedure, *args):
        return self.background(
            "register", procedure, *self.session(), *args, ready=f"registered {procedure}"
        )

    def call(self, procedure, *args, url=None):
        done = self.run_tool("call", procedure, *args, *self.session(url))
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_register_result_then_call_with_every_serializer_and_transport(self):
        # Callee and caller use one serializer: nexus does not turn binary into WAMP's JSON form
        # and back when it passes a payload between serializers (Crossbar does).
        result = {"bytes": "\u0000AAEC", "list": [1, 2.5, None, True]}
        targets = [
            (self.ws_url, "json"),
            (self.ws_url, "msgpack"),
            (self.ws_url, "cbor"),
            (self.rs_url, "msgpack"),
            (self.rs_unix_url, "cbor"),
        ]
        for url, serializer in targets:
            with self.subTest(url=url, serializer=serializer):
                procedure = unique("com.test.fixed")
                callee = self.background(
                    "register", procedure, "--result", json.dumps(result), "--count", "1",
                    *self.session(url, "-s", serializer), ready=f"registered {procedure}"
                )
                done = self.run_tool(
                    "call", procedure, "1", "[1,2]", *self.session(url, "-s", serializer)
                )
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stdout.count(b"\n"), 1)
                self.assertEqual(json.loads(done.stdout), {"args": [result], "kwargs": {}})
                status, _, err = callee.finish()
                self.assertEqual(status, 0, err)

    def test_register_exec_hands_the_call_to_the_command(self):
        procedure = unique("com.test.exec")
        callee = self.register(procedure, "--count", "1", "--exec", sys.executable, "-c", BEHAVIOUR)
        answer = self.call(procedure, '"echo"', "-1", '"\\u0000AAEC"', "[3]", "--kwargs", '{"k":null}')
        self.assertEqual(len(answer["args"]), 1)
        invocation = answer["args"][0]
        self.assertEqual(invocation["procedure"], procedure)
        self.assertEqual(invocation["args"], ["echo", -1, "\u0000AAEC", [3]])
        self.assertEqual(invocation["kwargs"], {"k": None})
        self.assertIsInstance(invocation["details"], dict)
        self.assertEqual(answer["kwargs"], {})
        status, _, err = callee.finish()
        self.assertEqual(status, 0, err)

    def test_register_exec_turns_each_failure_into_command_failed(self):
        procedure = unique("com.test.failing")
        callee = self.register(procedure, "--count", "4", "--exec", sys.executable, "-c", BEHAVIOUR)
        expectations = {
            "fail": [b'"boom"', b'"exit_status":3'],
            "garbage": [b"printed no JSON"],
            "killed": [b'"signal":9'],
        }
        for behaviour, expected in expectations.items():
            with self.subTest(behaviour=behaviour):
                done = self.run_tool("call", procedure, f'"{behaviour}"', *self.session())
                self.assertEqual(done.returncode, 3, done.stderr)
                self.assertEqual(done.stdout, b"")
                self.assertIn(b"uvwamp.error.command_failed", done.stderr)
                for text in expected:
                    self.assertIn(text, done.stderr)
        self.assertEqual(self.call(procedure, '"nothing"'), {"args": [], "kwargs": {}})
        status, _, err = callee.finish()
        self.assertEqual(status, 0, err)
        self.assertIn(b"boom", err)

    def test_register_exec_of_a_missing_command(self):
        procedure = unique("com.test.missing")
        callee = self.register(procedure, "--count", "1", "--exec", "uvwamp-no-such-command")
        done = self.run_tool("call", procedure, *self.session())
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn(b"uvwamp.error.command_failed", done.stderr)
        self.assertIn(b"cannot run uvwamp-no-such-command", done.stderr)
        self.assertEqual(callee.finish()[0], 0)

    def test_register_exec_never_blocks_on_a_running_command(self):
        # The first call's command waits for a file that only the second call's command makes:
        # a callee that waited for the first command would never see the second call.
        procedure = unique("com.test.overlap")
        callee = self.register(procedure, "--count", "2", "--exec", sys.executable, "-c", BEHAVIOUR)
        with tempfile.TemporaryDirectory() as directory:
            marker = json.dumps(str(Path(directory) / "released"))
            waiting = subprocess.Popen(
                [TOOL, "call", procedure, '"wait"', marker, *self.session()],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self.addCleanup(waiting.kill)
            self.assertEqual(self.call(procedure, '"release"', marker)["args"], ["releasing"])
            out, err = waiting.communicate(timeout=TIMEOUT)
            self.assertEqual(waiting.returncode, 0, err)
            self.assertEqual(json.loads(out)["args"], ["released"])
        self.assertEqual(callee.finish()[0], 0)

    def test_an_interrupted_call_leaves_and_exits_130(self):
        procedure = unique("com.test.slow")
        self.register(procedure, "--exec", sys.executable, "-c", BEHAVIOUR)
        with tempfile.TemporaryDirectory() as directory:
            started = Path(directory) / "started"
            caller = subprocess.Popen(
                [TOOL, "call", procedure, '"sleep"', json.dumps(str(started)), *self.session()],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            self.addCleanup(caller.kill)
            deadline = time.monotonic() + TIMEOUT
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            caller.send_signal(signal.SIGINT)
            out, err = caller.communicate(timeout=3)
        self.assertEqual((caller.returncode, out), (130, b""), err)

    def test_register_stops_on_sigterm(self):
        procedure = unique("com.test.stopped")
        callee = self.register(procedure, "--result", "true")
        self.assertEqual(self.call(procedure)["args"], [True])
        callee.process.send_signal(signal.SIGTERM)
        status, _, err = callee.finish()
        self.assertEqual(status, 0, err)
        # It left the realm: the procedure is gone.
        done = self.run_tool("call", procedure, *self.session())
        self.assertEqual(done.returncode, 3)
        self.assertIn(b"wamp.error.no_such_procedure", done.stderr)

    def test_a_second_registration_is_refused(self):
        procedure = unique("com.test.taken")
        self.register(procedure, "--result", "1")
        done = self.run_tool("register", procedure, "--result", "2", *self.session())
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn(b"wamp.error.procedure_already_exists", done.stderr)

    def test_subscribe_count_then_publish(self):
        topic = unique("com.test.topic")
        subscriber = self.background(
            "subscribe", topic, "--count", "2", *self.session(None, "-s", "cbor"),
            ready=f"subscribed to {topic}"
        )
        done = self.run_tool("publish", topic, "1", "--kwargs", '{"of":2}', *self.session())
        self.assertEqual((done.returncode, done.stdout), (0, b""), done.stderr)
        done = self.run_tool(
            "publish", topic, '"\\u0000AAEC"', "--acknowledge", *self.session(None, "-s", "cbor")
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        publication = json.loads(done.stdout)["publication"]
        self.assertIsInstance(publication, int)
        self.assertGreater(publication, 0)
        status, out, err = subscriber.finish()
        self.assertEqual(status, 0, err)
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(e["args"], e["kwargs"]) for e in events],
                         [([1], {"of": 2}), (["\u0000AAEC"], {})])
        for event in events:
            self.assertIsInstance(event["details"], dict)

    def test_subscribe_prints_each_event_at_once_and_stops_on_sigint(self):
        topic = unique("com.test.endless")
        subscriber = self.background("subscribe", topic, *self.session(), ready="subscribed")
        for n in (1, 2):
            done = self.run_tool("publish", topic, str(n), "--acknowledge", *self.session())
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(json.loads(subscriber.read_line())["args"], [n])
        subscriber.process.send_signal(signal.SIGINT)
        status, out, err = subscriber.finish()
        self.assertEqual((status, out), (0, b""), err)

    def test_no_such_procedure_is_a_wamp_error(self):
        done = self.run_tool("call", unique("com.test.nobody"), "1", *self.session())
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertEqual(done.stdout, b"")
        line = done.stderr.decode()
        self.assertEqual(line.count("\n"), 1, line)
        self.assertIn("wamp.error.no_such_procedure", line)
        payload = json.loads(line[line.index("{"):])
        self.assertEqual(set(payload), {"args", "kwargs"})

    def test_an_unknown_realm_is_no_session(self):
        done = self.run_tool("call", "com.test.x", "--url", self.ws_url, "--realm", "no.such.realm")
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertIn(b"cannot join realm 'no.such.realm'", done.stderr)

    def test_urls_are_tried_in_order(self):
        procedure = unique("com.test.fallback")
        self.register(procedure, "--result", '"here"', "--count", "1")
        done = self.run_tool(
            "call", procedure, "--url", closed_port_url(), *self.session()
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout)["args"], ["here"])

    def test_an_invalid_uri_is_a_usage_error(self):
        done = self.run_tool("call", "com..test", *self.session())
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"wamp.error.invalid_uri", done.stderr)

class AuthenticationTests:
    """The authentication options against the router's listeners that require authentication,
    with the fixture's principals; a callee on the anonymous listener echoes each call, whose
    details say whom the router authenticated (it discloses the caller)."""

    def setUp(self):
        super().setUp()
        self.auth_url = self.endpoints["websocket_auth_url"]
        self.principals = json.loads(Path(self.endpoints["auth_principals"]).read_text())["principals"]
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)

    def secret_file(self, name, text):
        path = self.directory / name
        path.write_text(text + "\n")
        return str(path)

    def authenticated_call(self, *options, env=None):
        """Calls an echoing procedure through the authenticating listener."""
        procedure = unique("com.test.whoami")
        callee = self.register(procedure, "--count", "1", "--exec", sys.executable, "-c", BEHAVIOUR)
        done = subprocess.run(
            [TOOL, "call", procedure, "--url", self.auth_url, "--realm", self.realm, *options],
            capture_output=True,
            timeout=TIMEOUT,
            env={**os.environ, **(env or {})},
        )
        return done

    def assert_called_as(self, done, authid):
        self.assertEqual(done.returncode, 0, done.stderr)
        details = json.loads(done.stdout)["args"][0]["details"]
        self.assertEqual((details["caller_authid"], details["caller_authrole"]), (authid, "user"))

    def test_ticket_from_the_environment(self):
        ticket = self.principals["ticket"]
        done = self.authenticated_call(
            "--authid", ticket["authid"], "--ticket-env", "UVWAMP_TEST_TICKET",
            env={"UVWAMP_TEST_TICKET": ticket["ticket"]},
        )
        self.assert_called_as(done, ticket["authid"])

    def test_methods_are_offered_in_the_order_given(self):
        # multi-user has a ticket and a wampcra secret: the router takes the first method
        # offered, so the second one's wrong secret is never used.
        multi = self.principals["multi"]
        right_secret = self.secret_file("right-secret", multi["wampcra_secret"])
        wrong_secret = self.secret_file("wrong-secret", "not-" + multi["wampcra_secret"])
        done = self.authenticated_call(
            "--authid", multi["authid"], "--wampcra-secret-file", right_secret,
            "--ticket-env", "UVWAMP_TEST_TICKET", env={"UVWAMP_TEST_TICKET": "not-the-ticket"},
        )
        self.assert_called_as(done, multi["authid"])
        done = self.authenticated_call(
            "--authid", multi["authid"], "--ticket-env", "UVWAMP_TEST_TICKET",
            "--wampcra-secret-file", wrong_secret, env={"UVWAMP_TEST_TICKET": multi["ticket"]},
        )
        self.assert_called_as(done, multi["authid"])

    def test_scram_password_from_a_file(self):
        scram = self.principals["scram_argon2id"]
        password = self.secret_file("password", scram["password"])
        done = self.authenticated_call(
            "--authid", scram["authid"], "--scram-password-file", password
        )
        self.assert_called_as(done, scram["authid"])

    def test_the_specs_scram_is_offered_by_its_own_name(self):
        # Crossbar knows SCRAM only as "scram" and refuses a HELLO naming "wamp-scram": the
        # refusal shows which name went out.
        scram = self.principals["scram_argon2id"]
        password = self.secret_file("password", scram["password"])
        done = self.authenticated_call(
            "--authid", scram["authid"], "--wamp-scram-password-file", password
        )
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertIn(b'invalid authmethod "wamp-scram"', done.stderr)

    def test_cryptosign_key_from_a_seed_file(self):
        cryptosign = self.principals["cryptosign"]
        key = self.secret_file("seed", cryptosign["private_key"])
        done = self.authenticated_call("--authid", cryptosign["authid"], "--cryptosign-key", key)
        self.assert_called_as(done, cryptosign["authid"])

    def test_a_wrong_ticket_is_no_session_with_the_routers_reason(self):
        done = self.authenticated_call(
            "--authid", self.principals["ticket"]["authid"], "--ticket-env", "UVWAMP_TEST_TICKET",
            env={"UVWAMP_TEST_TICKET": "not-the-ticket"},
        )
        self.assertEqual((done.returncode, done.stdout), (4, b""), done.stderr)
        self.assertIn(b"wamp.error.not_authorized", done.stderr)
        self.assertNotIn(b"not-the-ticket", done.stderr)

    def test_a_missing_environment_variable_is_a_usage_error(self):
        environment = {k: v for k, v in os.environ.items() if k != "UVWAMP_TEST_UNSET"}
        done = subprocess.run(
            [TOOL, "call", "com.test.x", *self.session(self.auth_url),
             "--ticket-env", "UVWAMP_TEST_UNSET"],
            capture_output=True, timeout=TIMEOUT, env=environment,
        )
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"--ticket-env", done.stderr)
        self.assertIn(b"UVWAMP_TEST_UNSET is not set", done.stderr)

    def test_authextra_must_be_a_json_object(self):
        done = self.run_tool("call", "com.test.x", *self.session(self.auth_url),
                             "--authextra", "[1]")
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"--authextra must be a JSON object, got array", done.stderr)


class Nexus(RouterTests, unittest.TestCase):
    router = "nexus"


class Crossbar(RouterTests, AuthenticationTests, unittest.TestCase):
    router = "crossbar"


@unittest.skipUnless(shutil.which("ssh-keygen"), "needs ssh-keygen (openssh-client) to make keys")
class KeyVerb(unittest.TestCase):
    """`uvwamp key` against the public keys ssh-keygen gives for the keys it made."""

    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.directory = Path(directory.name)

    def make_key(self, passphrase=""):
        path = self.directory / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "test@uvwamp", "-f",
             str(path)],
            check=True, timeout=TIMEOUT,
        )
        public = subprocess.run(
            ["ssh-keygen", "-y", "-P", passphrase, "-f", str(path)],
            check=True, capture_output=True, text=True, timeout=TIMEOUT,
        ).stdout.split()
        return str(path), public

    def key(self, *args, env=None):
        return subprocess.run(
            [TOOL, "key", *args], capture_output=True, text=True, timeout=TIMEOUT,
            env={**os.environ, **(env or {})},
        )

    def test_public_key_in_hex_and_as_openssh(self):
        path, (kind, blob, _) = self.make_key()
        done = self.key(path, "--openssh")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.split(), [kind, blob])
        # The OpenSSH blob is the string "ssh-ed25519" and then the 32-byte key, each after its
        # length.
        done = self.key(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, base64.b64decode(blob)[-32:].hex() + "\n")

    def test_an_encrypted_key_with_its_passphrase(self):
        path, (_, blob, _) = self.make_key(passphrase="correct horse")
        passphrase = self.directory / "passphrase"
        passphrase.write_text("correct horse\n")
        done = self.key(path, "--openssh", "--key-passphrase-file", str(passphrase))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.split()[1], blob)
        done = self.key(path, "--key-passphrase-env", "UVWAMP_TEST_PASSPHRASE",
                        env={"UVWAMP_TEST_PASSPHRASE": "wrong horse"})
        self.assertEqual((done.returncode, done.stdout), (2, ""), done.stderr)
        self.assertIn(path, done.stderr)
        self.assertNotIn("horse", done.stderr)
        done = self.key(path)
        self.assertEqual((done.returncode, done.stdout), (2, ""), done.stderr)
        self.assertIn("passphrase", done.stderr)

    def test_a_missing_key_file(self):
        done = self.key(str(self.directory / "nothing"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("nothing", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
