#!/usr/bin/env python3
"""A fault-injecting TCP proxy for the chaos scenarios of issue 8.

It sits between a `lienthong node` and the `lienthong hub` (HTTP/1.1 over plain TCP on loopback)
and injects the faults those scenarios need: ambiguous outcomes (the hub applied a push, the node
never hears back), slow lossy links (latency, jitter, a bandwidth cap, connections reset mid-stream)
and partitions (connections black-holed, existing ones reset). It exists because the kernel here
has no netem and toxiproxy is not packaged; it uses the Python 3.11 standard library only.

    Scripts/faultproxy.py --listen 127.0.0.1:0 --target 127.0.0.1:PORT
        [--port-file FILE] [--control-file FILE] [--stats-file FILE] [--seed N]
        [--latency-ms N] [--jitter-ms N] [--bandwidth-bytes-per-second N]
        [--reset-probability P] [--reset-max-bytes N]
        [--drop-response-probability P] [--blackhole-probability P]

Port 0 picks a free port; the port is written to --port-file (atomically, digits and a newline)
and printed as "listening on HOST:PORT".

Faults, all drawn from one random.Random(--seed):
- latency: every chunk, in either direction, is delayed by latency ± uniform jitter (never
  negative); chunks of one direction keep their order (a later chunk never overtakes).
- bandwidth: each direction of each connection is capped at N bytes/s on average (0 = no cap).
- reset (per new connection, probability P): the connection is forwarded, then cut with a TCP RST
  on both sides after a random number of client→server bytes in [0, --reset-max-bytes]. If the
  first request is shorter than that, the cut comes when the server starts answering it, so a reset
  connection never delivers a response: the request either never arrived whole (not applied) or
  was applied without an answer.
- drop response (per response, probability P): when the server starts a response (server→client
  bytes after client→server bytes since the previous response started), the response is discarded
  and both sides are reset. The request reached the server and was applied; the client never knows.
- black hole (per new connection, probability P): the client connection is accepted and read, but
  nothing is connected upstream and nothing is ever answered, until the client closes it.

The control file (JSON object, re-read about every 100 ms) overrides the command-line values at
run time; removing it restores them. Keys: latency_ms, jitter_ms, bandwidth_bytes_per_second,
reset_probability, reset_max_bytes, drop_response_probability, blackhole_probability, and
partition (bool): while true, every new connection is black-holed, and when it turns true every
open connection is reset. A file that is not valid (bad JSON, unknown key, bad value) is ignored
with a message on stderr, and the previous values stay.

Stats (connections, resets, dropped_responses, blackholed, partition_aborts, upstream_failures,
bytes_client_to_server, bytes_server_to_client) go to --stats-file as one JSON object, at most
every 0.5 s while they change and on SIGTERM/SIGINT, which also prints them to stdout and exits 0.

Response detection assumes request/response alternation, which is what a keep-alive HTTP/1.1
client does; with pipelined requests, or a `100 Continue` interim answer, the count of
"responses" differs from the count of HTTP exchanges (see Connection.read_loop).
"""
import argparse
import asyncio
import dataclasses
import json
import os
import random
import signal
import socket
import struct
import sys
import traceback

CHUNK_SIZE = 16 * 1024            # largest chunk read and forwarded at once
QUEUE_CHUNKS = 64                 # chunks in flight per direction (backpressure beyond that)
CONTROL_POLL_SECONDS = 0.1
STATS_INTERVAL_SECONDS = 0.5
CONNECT_TIMEOUT_SECONDS = 10.0
BANDWIDTH_PIECE_SECONDS = 0.05    # with a bandwidth cap, write pieces of about 50 ms worth


def log(message: str) -> None:
    print(f"faultproxy: {message}", file=sys.stderr, flush=True)


def write_atomically(path: str, text: str) -> None:
    """Write a file so that a reader sees either the old or the whole new content."""
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as file:
        file.write(text)
    os.replace(temporary, path)


@dataclasses.dataclass(frozen=True)
class Settings:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    bandwidth_bytes_per_second: float = 0.0   # 0 = unlimited
    reset_probability: float = 0.0
    reset_max_bytes: int = 4096
    drop_response_probability: float = 0.0
    blackhole_probability: float = 0.0
    partition: bool = False

    def delay_seconds(self, rng: random.Random) -> float:
        delay = self.latency_ms
        if self.jitter_ms > 0:
            delay += rng.uniform(-self.jitter_ms, self.jitter_ms)
        return max(0.0, delay) / 1000.0


def validated_overrides(document: object) -> dict:
    """The control file's overrides, or ValueError saying what is wrong with them."""
    if not isinstance(document, dict):
        raise ValueError("the control file must hold a JSON object")
    fields = {field.name for field in dataclasses.fields(Settings)}
    overrides = {}
    for key, value in document.items():
        if key not in fields:
            raise ValueError(f"unknown key {key!r}")
        if key == "partition":
            if not isinstance(value, bool):
                raise ValueError("partition must be true or false")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{key} must be a number ≥ 0")
        elif key.endswith("_probability") and value > 1:
            raise ValueError(f"{key} must be between 0 and 1")
        elif key == "reset_max_bytes":
            value = int(value)
        overrides[key] = value
    return overrides


def set_linger_zero(writer) -> None:
    """Make the coming close of this stream's socket send a RST instead of a FIN."""
    sock = writer.transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass


# Queue item kinds. Every item carries the loop time at which it may be delivered.
DATA, EOF, DROP, RESET = "data", "eof", "drop", "reset"


class _Direction:
    """One direction of one connection: a reader, an ordered delivery queue, a writer."""

    def __init__(self, name: str, reader, writer, stats_key: str):
        self.name = name
        self.reader = reader
        self.writer = writer
        self.stats_key = stats_key
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
        self.last_deliver_at = 0.0   # keeps deliveries in order whatever the jitter drew
        self.next_send_at = 0.0      # bandwidth cap: earliest time of the next write


class Connection:
    """One client connection and, unless it is black-holed, its upstream connection."""

    def __init__(self, proxy: "Proxy", client_reader, client_writer):
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.client_reader = client_reader
        self.client_writer = client_writer
        self.upstream_writer = None
        self.done = asyncio.Event()
        self.aborted = False
        # Reset mode: client→server bytes still allowed through before the RST (None: not reset).
        self.reset_budget = None
        # Set when client→server bytes were written since the current response started.
        self.request_since_response = False

    # -- ending a connection ------------------------------------------------------------------

    def abort(self) -> None:
        """Reset both sides (RST) at once, discarding anything not yet delivered."""
        if self.aborted:
            return
        self.aborted = True
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                set_linger_zero(writer)
                writer.transport.abort()
        self.done.set()

    def finish(self) -> None:
        """Close both sides normally (FIN), after flushing what was written."""
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                writer.close()
        self.done.set()

    # -- main ---------------------------------------------------------------------------------

    async def run(self) -> None:
        proxy, settings, rng = self.proxy, self.proxy.settings, self.proxy.rng
        proxy.count("connections")
        # Draw both per-connection decisions every time so that a seed gives the same sequence.
        blackhole = rng.random() < settings.blackhole_probability
        reset = rng.random() < settings.reset_probability
        if settings.partition or blackhole:
            proxy.count("blackholed")
            await self.black_hole()
            return
        if reset:
            self.reset_budget = rng.randint(0, settings.reset_max_bytes)

        try:
            upstream_reader, self.upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(proxy.target_host, proxy.target_port),
                CONNECT_TIMEOUT_SECONDS)
        except (OSError, asyncio.TimeoutError) as error:
            proxy.count("upstream_failures")
            log(f"upstream connect failed: {error!r}")
            self.abort()
            return
        if self.aborted:  # a partition began while connecting
            set_linger_zero(self.upstream_writer)
            self.upstream_writer.transport.abort()
            return

        to_server = _Direction("client→server", self.client_reader, self.upstream_writer,
                               "bytes_client_to_server")
        to_client = _Direction("server→client", upstream_reader, self.client_writer,
                               "bytes_server_to_client")
        tasks = [asyncio.create_task(coroutine) for coroutine in (
            self.read_loop(to_server), self.write_loop(to_server),
            self.read_loop(to_client), self.write_loop(to_client))]
        try:
            await self.done.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def black_hole(self) -> None:
        """Read and discard until the client closes (or a partition start aborts us)."""
        try:
            while await self.client_reader.read(CHUNK_SIZE):
                pass
        except OSError:
            pass
        if not self.aborted:
            self.client_writer.close()
        self.done.set()

    # -- the pumps ----------------------------------------------------------------------------

    async def read_loop(self, direction: _Direction) -> None:
        """Read chunks and queue them with their delivery time; decide drops at response start."""
        try:
            while True:
                data = await direction.reader.read(CHUNK_SIZE)
                deliver_at = max(self.loop.time() + self.proxy.settings.delay_seconds(self.proxy.rng),
                                 direction.last_deliver_at)
                direction.last_deliver_at = deliver_at
                if not data:
                    await direction.queue.put((deliver_at, EOF, b""))
                    return
                if direction.stats_key == "bytes_server_to_client" and self.request_since_response:
                    # A response starts: the server answers bytes the client sent since the last
                    # one started. Its bytes are never forwarded on a reset or dropped connection.
                    self.request_since_response = False
                    if self.reset_budget is not None:
                        await direction.queue.put((deliver_at, RESET, b""))
                        return
                    if self.proxy.rng.random() < self.proxy.settings.drop_response_probability:
                        await direction.queue.put((deliver_at, DROP, b""))
                        return
                await direction.queue.put((deliver_at, DATA, data))
        except OSError:   # the peer reset the connection: mirror it on the other side
            self.abort()
        except asyncio.CancelledError:
            raise
        except Exception:
            log(f"{direction.name} reader failed:\n{traceback.format_exc()}")
            self.abort()

    async def write_loop(self, direction: _Direction) -> None:
        """Deliver queued items in order, each at its time, within the bandwidth cap."""
        try:
            while True:
                deliver_at, kind, data = await direction.queue.get()
                wait = deliver_at - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if kind == EOF:
                    if direction.stats_key == "bytes_client_to_server":
                        # Half-close: pass the client's EOF on and keep relaying the answer.
                        if direction.writer.can_write_eof():
                            direction.writer.write_eof()
                        return
                    self.finish()  # the server closed: close both sides once all is delivered
                    return
                if kind in (DROP, RESET):
                    self.proxy.count("dropped_responses" if kind == DROP else "resets")
                    self.abort()
                    return
                if direction.stats_key == "bytes_client_to_server" and self.reset_budget is not None:
                    if len(data) > self.reset_budget:
                        await self.send(direction, data[:self.reset_budget])
                        self.proxy.count("resets")
                        self.abort()
                        return
                    self.reset_budget -= len(data)
                await self.send(direction, data)
        except OSError:
            self.abort()
        except asyncio.CancelledError:
            raise
        except Exception:
            log(f"{direction.name} writer failed:\n{traceback.format_exc()}")
            self.abort()

    async def send(self, direction: _Direction, data: bytes) -> None:
        """Write data, in pieces spaced so the average rate stays within the bandwidth cap."""
        offset = 0
        while offset < len(data):
            rate = self.proxy.settings.bandwidth_bytes_per_second
            if rate > 0:
                piece = max(1, min(CHUNK_SIZE, int(rate * BANDWIDTH_PIECE_SECONDS)))
                wait = direction.next_send_at - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            else:
                piece = len(data)
            part = data[offset:offset + piece]
            offset += len(part)
            if direction.stats_key == "bytes_client_to_server":
                # Set before writing: the server may answer before drain() returns.
                self.request_since_response = True
            direction.writer.write(part)
            await direction.writer.drain()
            self.proxy.count(direction.stats_key, len(part))
            if rate > 0:
                # Idle time earns no burst credit: at most one piece goes early.
                direction.next_send_at = max(direction.next_send_at, self.loop.time()) + len(part) / rate


class Proxy:
    def __init__(self, arguments: argparse.Namespace):
        self.arguments = arguments
        self.target_host, self.target_port = parse_address(arguments.target)
        self.base_settings = Settings(
            latency_ms=arguments.latency_ms,
            jitter_ms=arguments.jitter_ms,
            bandwidth_bytes_per_second=arguments.bandwidth_bytes_per_second,
            reset_probability=arguments.reset_probability,
            reset_max_bytes=arguments.reset_max_bytes,
            drop_response_probability=arguments.drop_response_probability,
            blackhole_probability=arguments.blackhole_probability)
        self.settings = self.base_settings
        self.rng = random.Random(arguments.seed)
        self.connections: set[Connection] = set()
        self.stats = {key: 0 for key in (
            "connections", "resets", "dropped_responses", "blackholed", "partition_aborts",
            "upstream_failures", "bytes_client_to_server", "bytes_server_to_client")}
        self.stats_dirty = True
        self.control_content = None   # last bytes read from the control file (None: no file)

    def count(self, key: str, amount: int = 1) -> None:
        self.stats[key] += amount
        self.stats_dirty = True

    async def handle_client(self, reader, writer) -> None:
        connection = Connection(self, reader, writer)
        self.connections.add(connection)
        try:
            await connection.run()
        except asyncio.CancelledError:
            # Only the shutdown cancels a connection. Ending normally rather than re-raising keeps
            # asyncio's stream callback from logging the cancellation as an error (Python 3.11).
            connection.abort()
        except Exception:
            # One connection's failure never stops the proxy.
            log(f"connection failed:\n{traceback.format_exc()}")
            connection.abort()
        finally:
            self.connections.discard(connection)

    # -- control file -------------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        if settings == self.settings:
            return
        starts_partition = settings.partition and not self.settings.partition
        self.settings = settings
        log(f"settings now {json.dumps(dataclasses.asdict(settings))}")
        if starts_partition:
            for connection in list(self.connections):
                if not connection.aborted:
                    self.count("partition_aborts")
                connection.abort()

    def read_control_file(self) -> None:
        path = self.arguments.control_file
        try:
            with open(path, "rb") as file:
                content = file.read()
        except FileNotFoundError:
            if self.control_content is not None:
                log("control file removed: back to the command-line values")
            self.control_content = None
            self.apply_settings(self.base_settings)
            return
        except OSError as error:
            log(f"cannot read the control file: {error}")
            return
        if content == self.control_content:
            return
        self.control_content = content
        try:
            overrides = validated_overrides(json.loads(content))
        except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            log(f"control file ignored, previous values stay: {error}")
            return
        self.apply_settings(dataclasses.replace(self.base_settings, **overrides))

    async def poll_control_file(self) -> None:
        while True:
            try:
                self.read_control_file()
            except Exception:
                log(f"control file poll failed:\n{traceback.format_exc()}")
            await asyncio.sleep(CONTROL_POLL_SECONDS)

    # -- stats --------------------------------------------------------------------------------

    def write_stats(self) -> None:
        self.stats_dirty = False
        if self.arguments.stats_file:
            try:
                write_atomically(self.arguments.stats_file, json.dumps(self.stats) + "\n")
            except OSError as error:
                log(f"cannot write the stats file: {error}")

    async def write_stats_periodically(self) -> None:
        while True:
            if self.stats_dirty:
                self.write_stats()
            await asyncio.sleep(STATS_INTERVAL_SECONDS)

    # -- main ---------------------------------------------------------------------------------

    async def run(self) -> None:
        host, port = parse_address(self.arguments.listen)
        server = await asyncio.start_server(self.handle_client, host, port, reuse_address=True)
        port = server.sockets[0].getsockname()[1]
        if self.arguments.port_file:
            write_atomically(self.arguments.port_file, f"{port}\n")
        print(f"listening on {host}:{port}", flush=True)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        background = [asyncio.create_task(self.write_stats_periodically())]
        if self.arguments.control_file:
            self.read_control_file()
            background.append(asyncio.create_task(self.poll_control_file()))

        await stop.wait()
        server.close()
        for task in background:
            task.cancel()
        for connection in list(self.connections):
            connection.abort()
        # Let the aborted connections' handlers end by themselves before asyncio.run cancels them.
        for _ in range(100):
            if not self.connections:
                break
            await asyncio.sleep(0.01)
        self.write_stats()
        print(json.dumps(self.stats), flush=True)


def parse_address(text: str) -> tuple[str, int]:
    host, separator, port = text.rpartition(":")
    if not separator or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be ≥ 0")
    return value


def probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Fault-injecting TCP proxy for the chaos tests (see the module docstring).")
    parser.add_argument("--listen", required=True, help="HOST:PORT to listen on (port 0: any free one)")
    parser.add_argument("--target", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--port-file", help="write the listening port here once listening")
    parser.add_argument("--control-file", help="JSON file of runtime overrides, re-read every 100 ms")
    parser.add_argument("--stats-file", help="write the counters here as JSON")
    parser.add_argument("--seed", type=int, help="seed of the random generator")
    parser.add_argument("--latency-ms", type=non_negative, default=0.0)
    parser.add_argument("--jitter-ms", type=non_negative, default=0.0)
    parser.add_argument("--bandwidth-bytes-per-second", type=non_negative, default=0.0,
                        help="per direction per connection; 0 = unlimited")
    parser.add_argument("--reset-probability", type=probability, default=0.0)
    parser.add_argument("--reset-max-bytes", type=int, default=Settings.reset_max_bytes,
                        help="a reset connection is cut after 0..N client→server bytes")
    parser.add_argument("--drop-response-probability", type=probability, default=0.0)
    parser.add_argument("--blackhole-probability", type=probability, default=0.0)
    arguments = parser.parse_args()
    try:
        parse_address(arguments.listen)
        parse_address(arguments.target)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if arguments.reset_max_bytes < 0:
        parser.error("--reset-max-bytes must be ≥ 0")
    asyncio.run(Proxy(arguments).run())


if __name__ == "__main__":
    main()
