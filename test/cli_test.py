"""The uvwamp tool's decode and encode verbs, run as a user would run them."""
import json
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
