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
# The interop tests' autobahn-python peer (its py.progress sends progressive results), on the
# venv's python, which has autobahn.
INTEROP_PEER = Path(__file__).resolve().parent / "interop" / "peer.py"
VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"
TIMEOUT = 60



def sleeper(pid_file):
    """A command for register --exec that never answers in time: it writes its pid (the
    shell's, which exec makes sleep's) to `pid_file`, then sleeps."""
    return ["sh", "-c", 'echo $$ > "$0.new" && mv "$0.new" "$0" && exec sleep 30', str(pid_file)]

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
elif what == "hold":
    # Logs its start to the file args[1], waits for the file args[2], then logs its end; the
    # release file's name tags the lines and is the result.
    log, release = call["args"][1], call["args"][2]
    tag = os.path.basename(release)
    with open(log, "a") as f:
        f.write(f"start {tag}\n")
    deadline = time.monotonic() + 30
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            sys.exit("the release never came")
        time.sleep(0.02)
    with open(log, "a") as f:
        f.write(f"end {tag}\n")
    print(json.dumps(tag))
"""


def unique(prefix):
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


def wait_for(condition, what, timeout=TIMEOUT):
    """Polls `condition` until it holds; fails naming `what` when it did not in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def log_lines(log):
    return log.read_text().splitlines() if log.exists() else []


def is_running(pid):
    """True while the process exists and is not a zombie (its parent reaps it at once)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


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
        self.verb = args[0]
        self.stderr = b""
        self.wait_for_stderr(ready)

    def wait_for_stderr(self, text, count=1):
        """Reads stderr until `text` was said `count` times in all."""
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + TIMEOUT
        while self.stderr.count(text.encode()) < count:
            if time.monotonic() > deadline or not selector.select(deadline - time.monotonic()):
                self.process.kill()
                raise AssertionError(f"{self.verb} never said {text!r}; stderr: {self.stderr!r}")
            chunk = os.read(self.process.stderr.fileno(), 4096)
            if not chunk:
                self.process.wait()
                raise AssertionError(
                    f"{self.verb} exited with {self.process.returncode} before it said "
                    f"{text!r}; stderr: {self.stderr!r}"
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
    # Whether the router tells a callee who calls when neither side asked.
    discloses_callers_unasked = None

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
        self.assertIn(b"uvwamp call: stopped by SIGINT before the router answered", err)

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

    # The Advanced Profile's RPC options.

    def temporary_directory(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        return Path(directory.name)

    def assert_stopped_if_started(self, pid_file):
        # The command may have been stopped before its shell wrote the file.
        if pid_file.exists():
            pid = int(pid_file.read_text())
            wait_for(lambda: not is_running(pid), f"the end of the command (pid {pid})")

    def sleeping_pid(self, pid_file):
        wait_for(pid_file.exists, f"the command writing {pid_file}")
        pid = int(pid_file.read_text())
        # Whatever happens to the test, the sleeper goes.
        self.addCleanup(lambda: is_running(pid) and os.kill(pid, signal.SIGKILL))
        return pid

    def test_call_timeout_ends_the_call_and_the_command(self):
        procedure = unique("com.test.timeout")
        pid_file = self.temporary_directory() / "pid"
        callee = self.register(procedure, "--count", "1", "--exec", *sleeper(pid_file))
        started = time.monotonic()
        done = self.run_tool("call", procedure, "--timeout", "500", *self.session())
        elapsed = time.monotonic() - started
        self.assertEqual((done.returncode, done.stdout), (5, b""), done.stderr)
        self.assertEqual(
            done.stderr,
            f"uvwamp call: the call timed out: {procedure} gave no result within 500 ms\n".encode(),
        )
        # The command would have answered after 30 s.
        self.assertLess(elapsed, 10)
        # The timeout cancels the call (killnowait); the router interrupts the callee, which
        # stops its command and, once that is gone, leaves: its one call is over.
        status, out, err = callee.finish()
        self.assertEqual((status, out), (0, b""), err)
        self.assertEqual(err.count(b"was interrupted"), 1, err)
        self.assert_stopped_if_started(pid_file)

    def test_cancel_after_kill_interrupts_the_callee_and_stops_its_command(self):
        procedure = unique("com.test.cancel")
        pid_file = self.temporary_directory() / "pid"
        callee = self.register(procedure, "--count", "1", "--exec", *sleeper(pid_file))
        caller = subprocess.Popen(
            [TOOL, "call", procedure, "--cancel-after", "3000", "--cancel-mode", "kill",
             *self.session()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.addCleanup(caller.kill)
        # The command runs (3 s leave time to start it): it is what the cancel must stop.
        pid = self.sleeping_pid(pid_file)
        started = time.monotonic()
        out, err = caller.communicate(timeout=TIMEOUT)
        self.assertEqual((caller.returncode, out), (6, b""), err)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(
            err,
            f"uvwamp call: the call was canceled: {procedure} gave no result within 3000 ms "
            "(--cancel-after, mode kill)\n".encode(),
        )
        wait_for(lambda: not is_running(pid), f"the end of the command (pid {pid})")
        # The callee says once that the call was interrupted, nothing about how its stopped
        # command ended, and leaves after that one call.
        status, out, err = callee.finish()
        self.assertEqual((status, out), (0, b""), err)
        lines = err.decode().splitlines()
        self.assertEqual(lines[0], f"uvwamp register: registered {procedure}")
        self.assertEqual(len(lines), 2, err)
        self.assertIn(f"a call of {procedure} was interrupted (mode kill", lines[1])
        self.assertIn("stopping sh", lines[1])

    def test_cancel_after_in_every_mode_ends_the_call(self):
        directory = self.temporary_directory()
        for mode in ("skip", "kill", "killnowait"):
            with self.subTest(mode=mode):
                procedure = unique("com.test.cancel." + mode)
                pid_file = directory / mode
                callee = self.register(procedure, "--count", "1", "--exec", *sleeper(pid_file))
                done = self.run_tool("call", procedure, "--cancel-after", "300", "--cancel-mode",
                                     mode, *self.session())
                self.assertEqual((done.returncode, done.stdout), (6, b""), done.stderr)
                self.assertIn(f"(--cancel-after, mode {mode})".encode(), done.stderr)
                if mode == "skip":
                    # The callee was not told: its command runs on until register stops,
                    # whose closing session interrupts it.
                    pid = self.sleeping_pid(pid_file)
                    self.assertTrue(is_running(pid))
                    callee.process.send_signal(signal.SIGTERM)
                # Else the interrupted callee stops the command and then leaves by itself.
                status, _, err = callee.finish()
                self.assertEqual(status, 0, err)
                self.assertEqual(err.count(b"was interrupted"), 1, err)
                self.assertEqual(b"uvwamp.error.closed" in err, mode == "skip", err)
                self.assert_stopped_if_started(pid_file)

    # register --workers N: the commands run on a pool of N threads.

    def start_call(self, procedure, *args):
        caller = subprocess.Popen(
            [TOOL, "call", procedure, *args, *self.session()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.addCleanup(caller.kill)
        return caller

    def holding(self, directory, tags):
        """The arguments of a "hold" call for each tag, logging to directory/log; every hold is
        released when the test ends, whatever happens to it."""
        self.addCleanup(lambda: [(directory / tag).touch() for tag in tags])
        log = json.dumps(str(directory / "log"))
        return {tag: ['"hold"', log, json.dumps(str(directory / tag))] for tag in tags}

    def assert_answered(self, caller, tag):
        out, err = caller.communicate(timeout=TIMEOUT)
        self.assertEqual(caller.returncode, 0, err)
        self.assertEqual(json.loads(out)["args"], [tag])

    def test_register_workers_run_at_most_n_commands_at_once(self):
        procedure = unique("com.test.workers")
        directory = self.temporary_directory()
        log = directory / "log"
        holds = self.holding(directory, ["a", "b", "c"])
        callee = self.register(procedure, "--workers", "2", "--count", "3", "--exec",
                               sys.executable, "-c", BEHAVIOUR)
        callers = {tag: self.start_call(procedure, *args) for tag, args in holds.items()}

        def started():
            return [line.split()[1] for line in log_lines(log) if line.startswith("start ")]

        wait_for(lambda: len(started()) == 2, "two commands starting")
        # The third call waits for a free worker; the log, read at the end, proves it.
        first = started()[0]
        (directory / first).touch()
        self.assert_answered(callers[first], first)
        wait_for(lambda: len(started()) == 3, "the third command starting")
        for tag in started()[1:]:
            (directory / tag).touch()
            self.assert_answered(callers[tag], tag)
        status, _, err = callee.finish()
        self.assertEqual(status, 0, err)
        # Never more than two at once, and the third started only once the first had ended.
        lines = log_lines(log)
        running = 0
        for line in lines:
            running += 1 if line.startswith("start ") else -1
            self.assertLessEqual(running, 2, lines)
        self.assertLess(lines.index(f"end {first}"), lines.index(f"start {started()[2]}"), lines)

    def test_register_workers_cancel_stops_the_running_command(self):
        directory = self.temporary_directory()
        for mode in ("kill", "killnowait"):
            with self.subTest(mode=mode):
                procedure = unique("com.test.workers.cancel." + mode)
                pid_file = directory / mode
                callee = self.register(procedure, "--workers", "1", "--count", "1", "--exec",
                                       *sleeper(pid_file))
                started = time.monotonic()
                done = self.run_tool("call", procedure, "--cancel-after", "300", "--cancel-mode",
                                     mode, *self.session())
                self.assertEqual((done.returncode, done.stdout), (6, b""), done.stderr)
                self.assertIn(f"(--cancel-after, mode {mode})".encode(), done.stderr)
                # The command started (it had 300 ms), and is gone: the interrupted callee
                # stopped it, and leaves once it is, long before it would have ended by itself.
                pid = self.sleeping_pid(pid_file)
                status, out, err = callee.finish()
                self.assertLess(time.monotonic() - started, 10)
                self.assertEqual((status, out), (0, b""), err)
                self.assertEqual(err.count(b"was interrupted"), 1, err)
                self.assertIn(f"(mode {mode}".encode(), err)
                self.assertIn(b"stopping sh", err)
                self.assertFalse(is_running(pid))

    def test_register_workers_never_start_a_call_canceled_while_it_waits(self):
        procedure = unique("com.test.workers.queue")
        directory = self.temporary_directory()
        log = directory / "log"
        holds = self.holding(directory, ["busy", "queued", "later"])
        callee = self.register(procedure, "--workers", "1", "--exec", sys.executable, "-c",
                               BEHAVIOUR)
        busy = self.start_call(procedure, *holds["busy"])
        wait_for(lambda: log_lines(log) == ["start busy"], "the busy call's command starting")
        # The one worker is busy: this call waits for it, and is canceled while it waits.
        done = self.run_tool("call", procedure, *holds["queued"], "--cancel-after", "300",
                             "--cancel-mode", "kill", *self.session())
        self.assertEqual((done.returncode, done.stdout), (6, b""), done.stderr)
        (directory / "busy").touch()
        self.assert_answered(busy, "busy")
        # A later call runs after the busy one: had the canceled one started, it would have
        # started in between.
        (directory / "later").touch()
        self.assertEqual(self.call(procedure, *holds["later"])["args"], ["later"])
        self.assertEqual(log_lines(log), ["start busy", "end busy", "start later", "end later"])
        callee.process.send_signal(signal.SIGTERM)
        status, _, err = callee.finish()
        self.assertEqual(status, 0, err)

    def test_a_result_that_comes_first_wins_over_cancel_after_and_timeout(self):
        procedure = unique("com.test.quick")
        self.register(procedure, "--result", '"quick"')
        answer = self.call(procedure, "--cancel-after", "60000", "--timeout", "60000")
        self.assertEqual(answer, {"args": ["quick"], "kwargs": {}})

    def test_register_match_prefix_names_the_procedure_called(self):
        prefix = unique("com.test.prefix")
        callee = self.register(prefix, "--match", "prefix", "--count", "1", "--exec",
                               sys.executable, "-c", BEHAVIOUR)
        called = prefix + ".deeper.leaf"
        invocation = self.call(called, '"echo"')["args"][0]
        self.assertEqual(invocation["procedure"], called)
        self.assertEqual(invocation["args"], ["echo"])
        self.assertIs(invocation["receive_progress"], False)
        self.assertIsInstance(invocation["details"], dict)
        self.assertNotIn("timeout", invocation)
        self.assertEqual(callee.finish()[0], 0)

    def test_register_match_wildcard_names_the_procedure_called(self):
        base = unique("com.test.wildcard")
        pattern = base + "..leaf"
        callee = self.register(pattern, "--match", "wildcard", "--count", "1", "--exec",
                               sys.executable, "-c", BEHAVIOUR)
        called = base + ".any.leaf"
        self.assertEqual(self.call(called, '"echo"')["args"][0]["procedure"], called)
        self.assertEqual(callee.finish()[0], 0)

    def test_register_invoke_roundrobin_shares_the_procedure(self):
        procedure = unique("com.test.shared")
        for answer in ("1", "2"):
            self.register(procedure, "--invoke", "roundrobin", "--result", answer)
        answers = {self.call(procedure)["args"][0] for _ in range(2)}
        self.assertEqual(answers, {1, 2})
        # A registration that does not share is refused.
        done = self.run_tool("register", procedure, "--result", "3", *self.session())
        self.assertEqual(done.returncode, 3, done.stderr)

    def test_caller_disclosure(self):
        procedure = unique("com.test.who")
        self.register(procedure, "--exec", sys.executable, "-c", BEHAVIOUR)
        asked = self.call(procedure, '"echo"', "--disclose-me")["args"][0]
        self.assertIsInstance(asked["caller"], int)
        self.assertEqual(asked["caller"], asked["details"]["caller"])
        self.assertEqual(asked["caller_authrole"], "anonymous")
        self.assertIsInstance(asked["caller_authid"], str)
        unasked = self.call(procedure, '"echo"')["args"][0]
        self.assertEqual("caller" in unasked, self.discloses_callers_unasked, unasked)

        procedure = unique("com.test.whoever")
        self.register(procedure, "--disclose-caller", "--exec", sys.executable, "-c", BEHAVIOUR)
        disclosed = self.call(procedure, '"echo"')["args"][0]
        self.assertIsInstance(disclosed["caller"], int)
        self.assertNotEqual(disclosed["caller"], asked["caller"])  # another caller's session

    @unittest.skipUnless(VENV_PYTHON.exists(), "needs the venv with autobahn: run scripts/setup.sh")
    def test_call_progress_prints_each_progressive_result_before_the_result(self):
        prefix = unique("com.test.peer")
        procedure = prefix + ".py.progress"
        peer = subprocess.Popen(
            [str(VENV_PYTHON), str(INTEROP_PEER), "--url", self.ws_url, "--realm", self.realm,
             "--serializer", "json", "--prefix", prefix, "--parent", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

        def stop_peer():
            peer.stdin.close()
            try:
                peer.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                peer.kill()
                peer.wait()
            peer.stdout.close()

        self.addCleanup(stop_peer)
        selector = selectors.DefaultSelector()
        selector.register(peer.stdout, selectors.EVENT_READ)
        ready = selector.select(TIMEOUT)
        selector.close()
        self.assertTrue(ready, "the progress peer never said it was ready")
        self.assertTrue(peer.stdout.readline().startswith(b"ready "))

        for serializer in ("json", "cbor"):
            with self.subTest(serializer=serializer):
                done = self.run_tool("call", procedure, "3", "--progress", "--timeout", "30000",
                                     *self.session(None, "-s", serializer))
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(
                    [json.loads(line) for line in done.stdout.splitlines()],
                    [{"args": [0], "kwargs": {}, "progress": True},
                     {"args": [1], "kwargs": {}, "progress": True},
                     {"args": [2], "kwargs": {}, "progress": True},
                     {"args": ["done"], "kwargs": {}}],
                )
        # Not asked for, there are none: only the result.
        self.assertEqual(self.call(procedure, "3"), {"args": ["done"], "kwargs": {}})

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
    discloses_callers_unasked = False


class Crossbar(RouterTests, AuthenticationTests, unittest.TestCase):
    router = "crossbar"
    # The fixture gives the realm's roles "disclose": {"caller": true} (test/fixture/routerctl.py).
    discloses_callers_unasked = True


@unittest.skipUnless(shutil.which("ssh-keygen"), "needs ssh-keygen (openssh-client) to make keys")
class RouterRestart(unittest.TestCase):
    """subscribe and register outlive a nexus killed with SIGKILL and started again on the same
    ports: they reconnect, subscribe or register again, and print or answer as before; with
    --no-reconnect they end with the session (exit status 4)."""

    def start_router(self, ports=None):
        command = [sys.executable, str(ROUTERCTL)]
        if ports:
            command += ["--ports", ports]
        server = subprocess.Popen(
            [*command, "serve", "nexus"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        endpoints = json.loads(server.stdout.readline() or '{"error": "routerctl died"}')
        if "error" in endpoints:
            server.stdin.close()
            server.wait()
            raise RuntimeError(f"no nexus router: {endpoints['error']}")
        self.addCleanup(self.stop_router, server)
        return server, endpoints

    @staticmethod
    def stop_router(server):
        if server.stdin.closed:
            return
        server.stdin.close()
        server.wait(timeout=TIMEOUT)
        server.stdout.close()

    def kill_router(self, server, endpoints):
        os.killpg(endpoints["pid"], signal.SIGKILL)
        # routerctl says the router is gone once every process of it exited.
        self.assertIn("exited", json.loads(server.stdout.readline()))
        self.stop_router(server)

    def test_subscribe_and_register_come_back_after_a_restart(self):
        server, endpoints = self.start_router()
        session = ["--url", endpoints["rawsocket_url"], "--realm", endpoints["realm"]]
        ports = f"{endpoints['websocket_port']},{endpoints['rawsocket_port']}"
        topic, procedure = unique("com.cli.restart.topic"), unique("com.cli.restart.proc")
        subscriber = Background(["subscribe", topic, *session], ready=f"subscribed to {topic}")
        self.addCleanup(subscriber.kill)
        callee = Background(
            ["register", procedure, "--result", '"still here"', *session],
            ready=f"registered {procedure}",
        )
        self.addCleanup(callee.kill)
        ended = Background(
            ["subscribe", topic, "--no-reconnect", *session], ready=f"subscribed to {topic}"
        )
        self.addCleanup(ended.kill)

        self.kill_router(server, endpoints)
        for each in (subscriber, callee):
            each.wait_for_stderr("the session was lost")
            each.wait_for_stderr("reconnecting in")
        status, _, stderr = ended.finish()
        self.assertEqual(status, 4, stderr)
        self.assertIn(b"the session ended", stderr)

        self.start_router(ports)
        for each in (subscriber, callee):
            each.wait_for_stderr("rejoined realm")
        done = subprocess.run(
            [TOOL, "call", procedure, *session], capture_output=True, timeout=TIMEOUT
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout)["args"], ["still here"])
        done = subprocess.run(
            [TOOL, "publish", topic, "7", *session], capture_output=True, timeout=TIMEOUT
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(subscriber.read_line())["args"], [7])


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
