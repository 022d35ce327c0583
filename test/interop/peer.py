#!/usr/bin/env python3
"""An autobahn-python (asyncio) peer for uvwamp's interop test, test/client_interop_test.cpp.

  peer.py --url URL --realm REALM --serializer json|msgpack|cbor --prefix PREFIX --parent PID
          [--reconnect]

Joins REALM at URL (ws://... or rs://...) with the one serializer, registers its procedures and
subscribes its topic, then prints one line, "ready SESSION_ID", on stdout. Everything else it
says goes to stderr. Every URI starts with PREFIX (each test has its own, since a router forgets
a gone session's registrations only some time after). What it offers the uvwamp side:

  PREFIX.py.echo(*args, **kwargs)       answers with the same arguments
  PREFIX.py.describe(*args, **kwargs)   answers with the Python type name of each argument
  PREFIX.py.fail(*args, **kwargs)       raises PREFIX.py.error.failed with the same arguments
  PREFIX.py.call(procedure, args, kwargs)
                                        calls `procedure` (a uvwamp callee) and answers with its
                                        result, or raises the error it gave, as it arrived
  PREFIX.py.publish(topic, args, kwargs)
                                        publishes, acknowledged, and answers with the publication id
  topic PREFIX.py.topic                 each event is called back, arguments unchanged, to the
                                        uvwamp procedure PREFIX.uvwamp.event_seen

and for the Advanced Profile's RPC features:

  PREFIX.py.progress(count)             sends progressive results 0 .. count-1 when the caller
                                        asked for them, then answers "done"
  PREFIX.py.slow()                      works until it is canceled (an INTERRUPT cancels it),
                                        which it counts
  PREFIX.py.started()                   how many py.slow calls have started
  PREFIX.py.cancellations()             how many py.slow calls were canceled
  PREFIX.py.call_progressive(procedure, args)
                                        calls `procedure` asking for progressive results, and
                                        answers [[each progressive result's args], final args]
  PREFIX.py.call_and_cancel(procedure, after_ms)
                                        calls `procedure`, cancels the call after `after_ms`
                                        (autobahn sends CANCEL without a mode), and answers
                                        "canceled", or what came instead
  PREFIX.py.call_with_timeout(procedure, timeout)
                                        calls `procedure` with CALL.Options.timeout as given
                                        and answers the error URI it ends with, or "answered"

With --reconnect (test/chaos_router_test.cpp, whose routers are killed and restarted under it)
a lost session is not the end: it connects again, retrying every RECONNECT_MAX_DELAY_SECONDS at
most, registers and subscribes again, and prints another "ready SESSION_ID" line each time.

It never outlives the test: it exits when stdin reaches EOF (the test is done with it, or died),
when the parent dies (PR_SET_PDEATHSIG, for a parent killed before it could close the pipe),
when the session ends (unless --reconnect), and after LIFETIME_SECONDS (or --lifetime) in any
case. Each call it makes to the uvwamp side gives up after CALL_TIMEOUT_SECONDS.
"""

import argparse
import asyncio
import ctypes
import os
import signal
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.component import Component  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallOptions, CallResult, PublishOptions, RegisterOptions  # noqa: E402

PR_SET_PDEATHSIG = 1
LIFETIME_SECONDS = 300
CALL_TIMEOUT_SECONDS = 10
# --reconnect: the router is back within a fraction of a second (nexus) or a few seconds
# (Crossbar), and the test waits for us, so retry soon and often.
RECONNECT_INITIAL_DELAY_SECONDS = 0.05
RECONNECT_MAX_DELAY_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    # The parent may have died before prctl: then nobody would signal us.
    if os.getppid() != parent:
        sys.exit("peer.py: the test that started me is gone")


def log(text: str) -> None:
    print(f"peer.py: {text}", file=sys.stderr, flush=True)


def settle(finished: asyncio.Future, status: int) -> None:
    """The first reason to exit wins."""
    if not finished.done():
        finished.set_result(status)


def as_result(result) -> tuple:
    """autobahn gives a lone positional result as itself and nothing as None; undo that."""
    if isinstance(result, CallResult):
        return list(result.results), dict(result.kwresults)
    if result is None:
        return [], {}
    return [result], {}


def transport_for(url: str, serializer: str, reconnect: bool) -> dict:
    if url.startswith(("rs://", "rss://")):
        transport = {"type": "rawsocket", "url": url, "serializer": serializer}
    else:
        transport = {"type": "websocket", "url": url, "serializers": [serializer]}
    if not reconnect:
        return {**transport, "max_retries": 0}
    return {
        **transport,
        "max_retries": -1,
        "initial_retry_delay": RECONNECT_INITIAL_DELAY_SECONDS,
        "max_retry_delay": RECONNECT_MAX_DELAY_SECONDS,
        "retry_delay_growth": 2.0,
    }


def make_component(args: argparse.Namespace, finished: asyncio.Future) -> Component:
    transport = transport_for(args.url, args.serializer, args.reconnect)
    component = Component(transports=[transport], realm=args.realm)
    prefix = args.prefix
    cancellations = []
    started = []

    @component.on_join
    async def joined(session, details):
        def echo(*call_args, **call_kwargs):
            return CallResult(*call_args, **call_kwargs)

        def describe(*call_args, **call_kwargs):
            names = {key: type(value).__name__ for key, value in call_kwargs.items()}
            return CallResult(*[type(value).__name__ for value in call_args], **names)

        def fail(*call_args, **call_kwargs):
            raise ApplicationError(f"{prefix}.py.error.failed", *call_args, **call_kwargs)

        async def call(procedure, call_args, call_kwargs):
            try:
                result = await asyncio.wait_for(
                    session.call(procedure, *call_args, **call_kwargs), CALL_TIMEOUT_SECONDS
                )
            except ApplicationError as error:
                raise ApplicationError(error.error, *error.args, **error.kwargs) from None
            result_args, result_kwargs = as_result(result)
            return CallResult(*result_args, **result_kwargs)

        async def publish(topic, event_args, event_kwargs):
            publication = await session.publish(
                topic, *event_args, options=PublishOptions(acknowledge=True), **event_kwargs
            )
            return publication.id

        async def progress(count, details=None):
            if details is not None and details.progress:
                for index in range(count):
                    details.progress(index)
            return "done"

        async def slow():
            started.append(1)
            try:
                await asyncio.sleep(LIFETIME_SECONDS)
            except asyncio.CancelledError:
                cancellations.append(1)
                raise

        def cancellations_count():
            return len(cancellations)

        def started_count():
            return len(started)

        async def call_with_timeout(procedure, timeout):
            try:
                await asyncio.wait_for(
                    session.call(procedure, options=CallOptions(timeout=timeout)),
                    CALL_TIMEOUT_SECONDS,
                )
            except ApplicationError as error:
                return error.error
            return "answered"

        async def call_progressive(procedure, call_args):
            seen = []
            options = CallOptions(on_progress=lambda *a, **kw: seen.append(list(a)))
            result = await asyncio.wait_for(
                session.call(procedure, *call_args, options=options), CALL_TIMEOUT_SECONDS
            )
            result_args, _ = as_result(result)
            return [seen, result_args]

        async def call_and_cancel(procedure, after_ms):
            call = asyncio.ensure_future(session.call(procedure))
            await asyncio.sleep(after_ms / 1000)
            call.cancel()
            try:
                result = await call
            except asyncio.CancelledError:
                return "canceled"
            except ApplicationError as error:
                return error.error
            return ["answered", *as_result(result)[0]]

        async def on_event(*event_args, **event_kwargs):
            try:
                await asyncio.wait_for(
                    session.call(f"{prefix}.uvwamp.event_seen", *event_args, **event_kwargs),
                    CALL_TIMEOUT_SECONDS,
                )
            except Exception as error:  # the test sees the event missing; this says why
                log(f"calling {prefix}.uvwamp.event_seen failed: {error!r}")

        try:
            for name, handler in [
                ("echo", echo),
                ("describe", describe),
                ("fail", fail),
                ("call", call),
                ("publish", publish),
                ("slow", slow),
                ("cancellations", cancellations_count),
                ("started", started_count),
                ("call_with_timeout", call_with_timeout),
                ("call_progressive", call_progressive),
                ("call_and_cancel", call_and_cancel),
            ]:
                await session.register(handler, f"{prefix}.py.{name}")
            await session.register(
                progress, f"{prefix}.py.progress", options=RegisterOptions(details_arg="details")
            )
            await session.subscribe(on_event, f"{prefix}.py.topic")
        except Exception as error:
            log(f"could not register or subscribe: {error!r}")
            settle(finished, 1)
            return
        print(f"ready {details.session}", flush=True)

    @component.on_leave
    def left(session, details):
        if not args.reconnect:
            log(f"left: {details.reason} {details.message or ''}")
            settle(finished, 0)

    @component.on_disconnect
    def disconnected(session, was_clean):
        if not args.reconnect:
            settle(finished, 0 if was_clean else 1)

    return component


async def main(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    finished = loop.create_future()

    def on_stdin():
        if not os.read(sys.stdin.fileno(), 4096):
            settle(finished, 0)

    def on_lifetime_over():
        log(f"still running after {args.lifetime} s; exiting")
        settle(finished, 3)

    component = None
    running = None

    def start_component():
        nonlocal component, running
        component = make_component(args, finished)
        running = asyncio.ensure_future(component.start(loop))
        running.add_done_callback(on_component_done)

    def on_component_done(done: asyncio.Future):
        failed = done.cancelled() or done.exception()
        if args.reconnect and not finished.done():
            # autobahn's Component gives up on its own now and then (a session that ended
            # cleanly counts as done); with --reconnect only the test ends us.
            if failed:
                reason = "cancelled" if done.cancelled() else repr(done.exception())
                log(f"the component ended: {reason}; starting it again")
            loop.call_later(RECONNECT_INITIAL_DELAY_SECONDS, start_component)
            return
        settle(finished, 1 if failed else 0)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    lifetime = loop.call_later(args.lifetime, on_lifetime_over)
    start_component()
    status = await finished
    lifetime.cancel()
    loop.remove_reader(sys.stdin.fileno())
    if not running.done():
        try:
            await asyncio.wait_for(asyncio.shield(component.stop()), 3)
        except Exception as error:
            log(f"stopping the component: {error!r}")
    if running.done() and not running.cancelled() and running.exception():
        log(f"the component failed: {running.exception()!r}")
    return status


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--realm", required=True)
    parser.add_argument("--serializer", required=True, choices=["json", "msgpack", "cbor"])
    parser.add_argument("--prefix", required=True, help="the start of every URI")
    parser.add_argument("--parent", type=int, required=True, help="the test's pid")
    parser.add_argument("--lifetime", type=float, default=LIFETIME_SECONDS, help="seconds at most")
    parser.add_argument(
        "--reconnect", action="store_true", help="connect again whenever the session is lost"
    )
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_arguments()
    die_with_parent(arguments.parent)
    txaio.start_logging(out=sys.stderr, level="critical")
    sys.exit(asyncio.run(main(arguments)))
