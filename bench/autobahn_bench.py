#!/usr/bin/env python3
"""The measurements of bench/client_bench.cpp, made with autobahn-python on asyncio.

One event loop, two sessions: one registers bench.echo and subscribes to bench.events, the other
calls and publishes. For each serializer and payload given:

  - call round trips one at a time: median, 99th percentile, calls per second, and the CPU time
    (user and system) the process spent per call;
  - calls per second with --in-flight calls outstanding;
  - events per second reaching the subscriber, the publisher (acknowledge off) keeping at most
    --window publications ahead of the events received.

Prints the same Markdown table as client_bench; the RSS column is the process's peak so far.
Run it with the Python that has autobahn (.venv/bin/python); scripts/bench.sh runs both.

  autobahn_bench.py URL [--realm R] [--serializers json,msgpack,cbor] [--payloads small,64k]
                        [--seconds S] [--in-flight N] [--window W] [--no-header]
"""

import argparse
import asyncio
import math
import resource
import sys
import time
from urllib.parse import urlparse

from autobahn.asyncio.rawsocket import WampRawSocketClientFactory
from autobahn.asyncio.wamp import ApplicationSession
from autobahn.asyncio.websocket import WampWebSocketClientFactory
from autobahn.wamp import serializer as wamp_serializers
from autobahn.wamp.types import CallResult, ComponentConfig

PROCEDURE = "bench.echo"
TOPIC = "bench.events"
SERIALIZERS = {
    "json": wamp_serializers.JsonSerializer,
    "msgpack": wamp_serializers.MsgPackSerializer,
    "cbor": wamp_serializers.CBORSerializer,
}
PAYLOADS = {
    "small": lambda: [1, 2, 3],
    "64k": lambda: [bytes((i * 31) & 0xFF for i in range(64 * 1024))],
}
# Publications not seen as events after this long are taken as dropped (nexus drops events for a
# subscriber whose outbound queue is full), so that the publisher does not wait for them.
EVENT_LOSS_SECONDS = 0.5
# Connecting, joining and every single answer must come within this, or the router is stuck.
SILENCE_LIMIT_SECONDS = 10.0


class BenchError(Exception):
    pass


class BenchSession(ApplicationSession):
    def __init__(self, config):
        super().__init__(config)
        self.joined = asyncio.get_running_loop().create_future()
        self.gone = asyncio.get_running_loop().create_future()

    def onConnect(self):
        self.join(self.config.realm)

    def onJoin(self, details):
        if not self.joined.done():
            self.joined.set_result(details)

    def onLeave(self, details):
        if not self.joined.done():
            refused = BenchError(f"the router refused the session: {details.reason}")
            self.joined.set_exception(refused)
        self.disconnect()

    def onDisconnect(self):
        if not self.joined.done():
            self.joined.set_exception(BenchError("the connection closed before the session opened"))
        if not self.gone.done():
            self.gone.set_result(None)


async def open_session(url, realm, serializer_name):
    loop = asyncio.get_running_loop()
    # Made once the transport is open, which for WebSocket is after the HTTP upgrade.
    made = loop.create_future()

    def make_session():
        session = BenchSession(ComponentConfig(realm=realm))
        made.set_result(session)
        return session

    parsed = urlparse(url)
    if parsed.hostname in (None, "unix") or parsed.port is None:
        raise BenchError(f"{url}: give ws://HOST:PORT/PATH or rs://HOST:PORT")
    serializer = SERIALIZERS[serializer_name]()
    if parsed.scheme == "ws":
        factory = WampWebSocketClientFactory(make_session, url=url, serializers=[serializer])
    elif parsed.scheme == "rs":
        factory = WampRawSocketClientFactory(make_session, serializer=serializer)
    else:
        raise BenchError(f"{url}: only ws:// and rs:// are measured")
    await asyncio.wait_for(
        loop.create_connection(factory, parsed.hostname, parsed.port), SILENCE_LIMIT_SECONDS
    )
    session = await asyncio.wait_for(made, SILENCE_LIMIT_SECONDS)
    await asyncio.wait_for(session.joined, SILENCE_LIMIT_SECONDS)
    return session


def echoed(result):
    # autobahn gives a call's one result as it is and several as a CallResult.
    return list(result.results) if isinstance(result, CallResult) else [result]


async def call(session, payload):
    return await asyncio.wait_for(session.call(PROCEDURE, *payload), SILENCE_LIMIT_SECONDS)


async def call_sequentially(session, payload, seconds):
    """Round trips in nanoseconds, and how long they took together."""
    rtts = []
    start = time.perf_counter_ns()
    until = start + int(seconds * 1e9)
    while True:
        sent = time.perf_counter_ns()
        await call(session, payload)
        now = time.perf_counter_ns()
        rtts.append(now - sent)
        if now >= until:
            return rtts, (now - start) / 1e9


async def call_concurrently(session, payload, seconds, in_flight):
    start = time.perf_counter()
    until = start + seconds
    completed = 0

    async def keep_calling():
        nonlocal completed
        while True:
            await call(session, payload)
            completed += 1
            if time.perf_counter() >= until:
                return

    await asyncio.gather(*(keep_calling() for _ in range(in_flight)))
    return completed / (time.perf_counter() - start)


class EventCounter:
    def __init__(self, payload):
        self.payload = payload
        self.counting = False
        self.received = 0
        self.last_event = 0.0
        self.arrived = asyncio.Event()
        self.mismatch = False

    def on_event(self, *args):
        if not self.counting:
            return
        if self.received == 0 and list(args) != self.payload:
            self.mismatch = True
        self.received += 1
        self.last_event = time.perf_counter()
        self.arrived.set()


async def publish_and_count(publisher, counter, payload, seconds, window):
    """Events per second at the subscriber, and how many publications never arrived."""
    published = 0
    written_off = 0
    counter.counting = True
    start = time.perf_counter()
    until = start + seconds

    def outstanding():
        return max(0, published - counter.received - written_off)

    while True:
        if time.perf_counter() >= until and outstanding() == 0:
            break
        if time.perf_counter() < until:
            while outstanding() < window:
                publisher.publish(TOPIC, *payload)
                published += 1
        counter.arrived.clear()
        try:
            await asyncio.wait_for(counter.arrived.wait(), EVENT_LOSS_SECONDS)
        except asyncio.TimeoutError:
            written_off = published - counter.received
    counter.counting = False
    if counter.mismatch:
        raise BenchError("the event differs from the payload")
    if counter.received == 0:
        raise BenchError("no event reached the subscriber")
    return counter.received / (counter.last_event - start), published - counter.received


async def measure(url, args, serializer_name, payload_name):
    payload = PAYLOADS[payload_name]()
    server = await open_session(url, args.realm, serializer_name)
    client = await open_session(url, args.realm, serializer_name)
    try:
        await server.register(lambda *a: CallResult(*a), PROCEDURE)
        counter = EventCounter(payload)
        await server.subscribe(counter.on_event, TOPIC)

        if echoed(await call(client, payload)) != payload:
            raise BenchError("the echo differs from the call's payload")
        await call_sequentially(client, payload, args.seconds / 4)  # warm-up, not measured
        cpu_start = cpu_seconds()
        rtts, elapsed = await call_sequentially(client, payload, args.seconds)
        cpu_us_per_call = (cpu_seconds() - cpu_start) * 1e6 / len(rtts)
        rtts.sort()
        p99 = rtts[math.ceil(0.99 * len(rtts)) - 1]
        row = {
            "rtt_median_us": rtts[len(rtts) // 2] / 1e3,
            "rtt_p99_us": p99 / 1e3,
            "sequential": len(rtts) / elapsed,
            "cpu_us_per_call": cpu_us_per_call,
            "concurrent": await call_concurrently(client, payload, args.seconds, args.in_flight),
        }
        row["events"], row["lost"] = await publish_and_count(
            client, counter, payload, args.seconds, args.window
        )
        return row
    finally:
        for session in (client, server):
            if session.is_attached():
                session.leave()
        await asyncio.wait([asyncio.ensure_future(s.gone) for s in (client, server)], timeout=5)


def transport_name(url):
    return url.split("://", 1)[0]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def parse_arguments():
    def names(valid):
        def parse(text):
            items = [item for item in text.split(",") if item]
            for item in items:
                if item not in valid:
                    raise argparse.ArgumentTypeError(f"{item!r} is not one of {', '.join(valid)}")
            return items

        return parse

    def positive(kind):
        def parse(text):
            value = kind(text)
            if value <= 0:
                raise argparse.ArgumentTypeError(f"{text} is not positive")
            return value

        return parse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--realm", default="realm1")
    parser.add_argument("--serializers", type=names(SERIALIZERS), default=list(SERIALIZERS))
    parser.add_argument("--payloads", type=names(PAYLOADS), default=list(PAYLOADS))
    parser.add_argument("--seconds", type=positive(float), default=1.0)
    parser.add_argument("--in-flight", type=positive(int), default=32)
    parser.add_argument("--window", type=positive(int), default=32)
    parser.add_argument("--no-header", dest="header", action="store_false")
    return parser.parse_args()


async def main():
    args = parse_arguments()
    if args.header:
        print(
            "| client | transport | serializer | payload | rtt median µs | rtt p99 µs | calls/s 1 "
            f"in flight | CPU µs/call | calls/s {args.in_flight} in flight | events/s "
            "| events lost | peak RSS MiB |"
        )
        print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    status = 0
    for serializer_name in args.serializers:
        for payload_name in args.payloads:
            try:
                r = await measure(args.url, args, serializer_name, payload_name)
            except Exception as error:  # a failed cell is reported, and the others still run
                print(f"autobahn_bench: {serializer_name} {args.url}: {error!r}", file=sys.stderr)
                status = 1
                continue
            print(
                f"| autobahn | {transport_name(args.url)} | {serializer_name} | {payload_name} "
                f"| {r['rtt_median_us']:.0f} | {r['rtt_p99_us']:.0f} | {r['sequential']:.0f} "
                f"| {r['cpu_us_per_call']:.0f} | {r['concurrent']:.0f} | {r['events']:.0f} "
                f"| {r['lost']} | {peak_rss_mib():.1f} |",
                flush=True,
            )
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
