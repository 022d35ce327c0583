"""The uvwamp tool run as a user would run it: decode and encode, and the command lines of the verbs
that talk to a router (test/cli_router_test.py runs those against real routers)."""
import json
import signal
import socket
import subprocess
import sys
import unittest

TOOL = sys.argv.pop(1) if len(sys.argv) > 1 else "uvwamp"

# [48, 7814135, {}, "com.myapp.add", [23, 7]] in each serialization, written out by hand.
CALL_JSON = '[48,7814135,{},"com.myapp.add",[23,7]]'
CALL_HEX = {
    # fixarray(5) 48 uint32(7814135) fixmap(0) fixstr(13) "com.myapp.add" fixarray(2) 23 7
    "msgpack": "95 30 ce00773bf7 80 ad 636f6d2e6d796170702e616464 92 17 07",
    # array(5) 48 uint32(7814135) map(0) text(13) "com.myapp.add" array(2) 23 7
    "cbor": "85 1830 1a00773bf7 a0 6d 636f6d2e6d796170702e616464 82 17 07",
}


def run(verb, *args, stdin=b""):
    return subprocess.run([TOOL, verb, *args], input=stdin, capture_output=True, timeout=30)


class Decode(unittest.TestCase):
    def test_hand_written_bytes_decode_to_json(self):
        for serializer, hex_text in CALL_HEX.items():
            with self.subTest(serializer=serializer):
                done = run("decode", "--serializer", serializer, "--hex", stdin=hex_text.encode())
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stdout.decode(), CALL_JSON + "\n")

    def test_raw_bytes_decode(self):
        raw = bytes.fromhex(CALL_HEX["msgpack"].replace(" ", ""))
        done = run("decode", "-s", "msgpack", stdin=raw)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.decode(), CALL_JSON + "\n")

    def test_binary_prints_in_the_wamp_json_form(self):
        # EVENT [36, 5, 6, {}, [bin(00 01 02)]] as msgpack: c4 03 000102 is bin8 of three bytes.
        done = run("decode", "-s", "msgpack", "--hex", stdin=b"95 24 05 06 80 91 c4 03 000102")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout), [36, 5, 6, {}, ["\u0000AAEC"]])

    def test_invalid_wamp_message_is_refused_with_the_field_named(self):
        done = run("decode", "-s", "json", stdin=b'[48,0,{},"com.myapp.add"]')
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"CALL", done.stderr)
        self.assertEqual(done.stdout, b"")

    def test_malformed_and_truncated_input_is_refused(self):
        for serializer, data in [("json", b"[48,1,{"), ("msgpack", b"\x95\x30"), ("cbor", b"\x85\x18")]:
            with self.subTest(serializer=serializer):
                done = run("decode", "-s", serializer, stdin=data)
                self.assertEqual(done.returncode, 1)
                self.assertIn(b"not valid " + serializer.encode(), done.stderr)

    def test_bad_hex_is_refused(self):
        done = run("decode", "-s", "cbor", "--hex", stdin=b"85 1")
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"hex", done.stderr)


class Encode(unittest.TestCase):
    def test_json_encodes_to_the_hand_written_bytes(self):
        for serializer, hex_text in CALL_HEX.items():
            with self.subTest(serializer=serializer):
                done = run("encode", "-s", serializer, "--hex", stdin=CALL_JSON.encode() + b"\n")
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stdout.decode(), hex_text.replace(" ", "") + "\n")

    def test_round_trip_through_every_serializer(self):
        message = [36, 9007199254740992, 1, {"publisher": 3}, ["\u0000AP8=", [1, 2]], {"k": None}]
        text = json.dumps(message).encode()
        for serializer in ("json", "msgpack", "cbor"):
            with self.subTest(serializer=serializer):
                encoded = run("encode", "-s", serializer, stdin=text)
                self.assertEqual(encoded.returncode, 0, encoded.stderr)
                decoded = run("decode", "-s", serializer, stdin=encoded.stdout)
                self.assertEqual(decoded.returncode, 0, decoded.stderr)
                self.assertEqual(json.loads(decoded.stdout), message)

    def test_not_a_wamp_message_is_refused(self):
        done = run("encode", "-s", "cbor", stdin=b'[999, 1]')
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, b"")
        done = run("encode", "-s", "cbor", stdin=b'{"not": "a message"')
        self.assertEqual(done.returncode, 1)
        self.assertIn(b"not valid JSON", done.stderr)


class CommandLine(unittest.TestCase):
    def test_help(self):
        for verb in ("decode", "encode"):
            done = run(verb, "--help")
            self.assertEqual(done.returncode, 0)
            self.assertIn(b"usage: uvwamp " + verb.encode(), done.stdout)
        done = subprocess.run([TOOL, "--help"], capture_output=True)
        self.assertEqual(done.returncode, 0)
        self.assertIn(b"decode", done.stdout)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run("decode").returncode, 2)
        self.assertEqual(run("decode", "--serializer").returncode, 2)
        unknown = run("encode", "--serializer", "xml")
        self.assertEqual(unknown.returncode, 2)
        self.assertIn(b"unknown serializer 'xml'", unknown.stderr)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(subprocess.run([TOOL], capture_output=True).returncode, 2)


SESSION_VERBS = ("call", "publish", "subscribe", "register")


def closed_port_url(scheme="ws"):
    # A port that was just free: nothing listens there, so connecting is refused at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}" + ("/ws" if scheme == "ws" else "")


def session(url=None):
    return ["--url", url or closed_port_url(), "--realm", "realm1"]


class SessionVerbs(unittest.TestCase):
    def assert_usage_error(self, done, text):
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertEqual(done.stdout, b"")
        self.assertIn(text.encode(), done.stderr)
        self.assertEqual(done.stderr.count(b"\n"), 1, done.stderr)

    def test_help_names_the_options_and_exit_statuses(self):
        for verb in SESSION_VERBS:
            with self.subTest(verb=verb):
                done = run(verb, "--help")
                self.assertEqual(done.returncode, 0)
                self.assertIn(b"usage: uvwamp " + verb.encode(), done.stdout)
                for text in (b"--url", b"--realm", b"--serializer", b"--ca-file", b"--insecure",
                             b"Exit status", b"3 the router or"):
                    self.assertIn(text, done.stdout)
        done = subprocess.run([TOOL, "--help"], capture_output=True)
        for verb in SESSION_VERBS:
            self.assertIn(verb.encode(), done.stdout)

    def test_url_and_realm_are_required(self):
        self.assert_usage_error(run("call", "p", "--realm", "realm1"), "--url is required")
        self.assert_usage_error(run("call", "p", "--url", "ws://127.0.0.1:1/ws"),
                                "--realm is required")
        self.assert_usage_error(run("publish", "t", "--url"), "--url needs a value")

    def test_the_uri_is_required(self):
        self.assert_usage_error(run("call", *session()), "which PROCEDURE")
        self.assert_usage_error(run("publish", *session()), "which TOPIC")
        self.assert_usage_error(run("subscribe", *session()), "which TOPIC")
        self.assert_usage_error(run("register", "--result", "1", *session()), "which PROCEDURE")
        self.assert_usage_error(run("subscribe", "a", "b", *session()), "one TOPIC only")

    def test_arguments_must_be_json(self):
        self.assert_usage_error(run("call", "p", "1", "two", *session()),
                                "argument 2 is not JSON")
        self.assert_usage_error(run("publish", "t", "[1,", *session()), "argument 1 is not JSON")
        self.assert_usage_error(run("call", "p", "--", "-x", *session()), "argument 1 is not JSON")
        self.assert_usage_error(run("call", "p", "--kwargs", "{", *session()),
                                "--kwargs is not JSON")
        self.assert_usage_error(run("call", "p", "--kwargs", "[1]", *session()),
                                "--kwargs must be a JSON object, got array")
        self.assert_usage_error(run("register", "p", "--result", "yes", *session()),
                                "--result is not JSON")

    def test_bad_options(self):
        self.assert_usage_error(run("call", "p", "--frobnicate", *session()),
                                "unknown option '--frobnicate'")
        self.assert_usage_error(run("call", "p", "-s", "xml", *session()),
                                "unknown serializer 'xml'")
        for count in ("0", "-3", "x", "99999999999999999999999"):
            with self.subTest(count=count):
                self.assert_usage_error(run("subscribe", "t", "--count", count, *session()),
                                        "--count needs a whole number")
        self.assert_usage_error(run("register", "p", *session()), "either --result JSON or --exec")
        self.assert_usage_error(run("register", "p", "--result", "1", *session(), "--exec", "true"),
                                "either --result JSON or --exec")
        self.assert_usage_error(run("register", "p", *session(), "--exec"), "--exec needs a command")

    def test_workers_needs_a_whole_number_and_exec(self):
        for workers in ("0", "x", "-1", "1025", "99999999999999999999999"):
            with self.subTest(workers=workers):
                self.assert_usage_error(
                    run("register", "p", "--workers", workers, *session(), "--exec", "true"),
                    f"--workers needs a whole number from 1 to 1024, got '{workers}'")
        for other in ([], ["--result", "1"]):
            with self.subTest(other=other):
                self.assert_usage_error(run("register", "p", "--workers", "2", *other, *session()),
                                        "--workers N runs --exec commands: give --exec CMD")

    def test_call_help_names_the_advanced_options(self):
        done = run("call", "--help")
        self.assertEqual(done.returncode, 0)
        for text in (b"--timeout MS", b"--progress", b"--cancel-after MS", b"--cancel-mode MODE",
                     b"skip", b"killnowait", b"--disclose-me", b'"progress":true',
                     b"5 the call timed out", b"6 the call was canceled"):
            self.assertIn(text, done.stdout)

    def test_register_help_names_the_advanced_options(self):
        done = run("register", "--help")
        self.assertEqual(done.returncode, 0)
        for text in (b"--match MATCH", b"prefix", b"wildcard", b"--invoke POLICY", b"roundrobin",
                     b"--disclose-caller", b'"receive_progress"', b'"caller"', b"--workers N",
                     b"wamp.error.canceled"):
            self.assertIn(text, done.stdout)

    def test_milliseconds_must_be_a_positive_whole_number(self):
        for option in ("--timeout", "--cancel-after"):
            for value in ("abc", "0", "-5", "1.5", "", "2147483648", "99999999999999999999"):
                with self.subTest(option=option, value=value):
                    self.assert_usage_error(
                        run("call", "p", option, value, *session()),
                        f"{option} needs a whole number of milliseconds from 1 to 2147483647, "
                        f"got '{value}'")
            self.assert_usage_error(run("call", "p", *session(), option), f"{option} needs a value")

    def test_choices_must_be_known(self):
        self.assert_usage_error(
            run("call", "p", "--cancel-after", "10", "--cancel-mode", "abort", *session()),
            "unknown --cancel-mode 'abort': use skip, kill or killnowait")
        self.assert_usage_error(run("call", "p", "--cancel-mode", "skip", *session()),
                                "--cancel-mode needs --cancel-after MS")
        self.assert_usage_error(run("register", "p", "--match", "regex", "--result", "1",
                                    *session()),
                                "unknown --match 'regex': use exact, prefix or wildcard")
        self.assert_usage_error(run("register", "p", "--invoke", "all", "--result", "1",
                                    *session()),
                                "unknown --invoke 'all': use single, roundrobin, random, first "
                                "or last")
        self.assert_usage_error(run("call", "p", "--progress=yes", *session()),
                                "unknown option '--progress=yes'")

    def test_the_advanced_options_are_accepted(self):
        # Every option parses: the run gets as far as connecting, which fails (no router).
        for verb, args in [
            ("call", ["p", "--timeout", "2147483647", "--progress", "--cancel-after", "1",
                      "--disclose-me"]),
            ("call", ["p", "--cancel-after", "50", "--cancel-mode", "skip"]),
            ("call", ["p", "--cancel-after", "50", "--cancel-mode", "kill"]),
            ("call", ["p", "--cancel-after", "50", "--cancel-mode", "killnowait"]),
            ("register", ["p", "--match", "prefix", "--invoke", "roundrobin",
                          "--disclose-caller", "--result", "1"]),
            ("register", ["com..p", "--match", "wildcard", "--invoke", "last", "--result", "1"]),
        ]:
            with self.subTest(args=args):
                done = run(verb, *args, *session())
                self.assertEqual(done.returncode, 4, done.stderr)
                self.assertIn(b"cannot join realm", done.stderr)
        done = run("register", "p", "--workers", "3", "--count", "2", *session(), "--exec", "true")
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertIn(b"cannot join realm", done.stderr)

    def test_a_url_the_client_cannot_use_is_a_usage_error(self):
        done = run("call", "p", *session("http://127.0.0.1/"))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(b"http://127.0.0.1/", done.stderr)

    def test_an_unreachable_router_is_no_session(self):
        for verb, args in [("call", ["p", "-1"]), ("publish", ["t"]), ("subscribe", ["t"]),
                           ("register", ["p", "--result", "1"])]:
            for url in (closed_port_url("ws"), closed_port_url("rs")):
                with self.subTest(verb=verb, url=url):
                    done = run(verb, *args, *session(url))
                    self.assertEqual(done.returncode, 4, done.stderr)
                    self.assertEqual(done.stdout, b"")
                    self.assertIn(b"uvwamp " + verb.encode() + b": cannot join realm 'realm1'",
                                  done.stderr)

    def test_a_signal_before_welcome_says_the_session_was_not_joined(self):
        for verb, args in [("call", ["p"]), ("register", ["p", "--result", "1"])]:
            with self.subTest(verb=verb):
                self.signal_before_welcome(verb, args)

    def signal_before_welcome(self, verb, args):
        # A RawSocket "router" that completes the handshake, reads HELLO and never answers.
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            port = listener.getsockname()[1]
            tool = subprocess.Popen([TOOL, verb, *args, *session(f"rs://127.0.0.1:{port}")],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(tool.kill)
            listener.settimeout(30)
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(30)
                handshake = connection.recv(4)
                connection.sendall(bytes([0x7F, 0xF0 | (handshake[1] & 0x0F), 0, 0]))
                hello = b""
                while len(hello) < 4:  # the frame's header: HELLO went out
                    hello += connection.recv(4 - len(hello))
                tool.send_signal(signal.SIGINT)
                out, err = tool.communicate(timeout=10)
        self.assertEqual((tool.returncode, out), (130, b""), err)
        self.assertIn(f"uvwamp {verb}: stopped by SIGINT before the session was joined".encode(),
                      err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
