#!/usr/bin/env python3
"""Tests of Scripts/faultproxy.py against a real local HTTP/1.1 server (standard library only).

    python3 -m unittest Scripts/test_faultproxy.py      # or: python3 Scripts/test_faultproxy.py

Each test starts a threaded HTTP/1.1 server (keep-alive) and the proxy as a subprocess in front of
it, then checks one fault mode from the client's side and from the server's counters.
"""
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

PROXY = Path(__file__).resolve().parent / "faultproxy.py"


def pattern(length: int) -> bytes:
    """A body whose truncation or reordering would show."""
    block = bytes(range(251))
    return (block * (length // len(block) + 1))[:length]


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class AppServer(http.server.ThreadingHTTPServer):
    """The stand-in hub: counts connections and the POSTs it applied."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), AppHandler)
        self.lock = threading.Lock()
        self.connections = 0
        self.applied = 0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_error(self, request, client_address):
        pass  # resets injected by the proxy are expected here

    def stop(self):
        self.shutdown()
        self.server_close()


class AppHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive
    timeout = 30                    # idle connections left by a test end on their own
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format, *args):
        pass

    def answer(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/bytes/"):
            self.answer(pattern(int(self.path.removeprefix("/bytes/"))))
        else:
            self.answer(b"hello")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:  # cut mid-request: not applied
            self.close_connection = True
            return
        if self.path == "/echo":
            self.answer(body)
            return
        with self.server.lock:
            self.server.applied += 1
            count = self.server.applied
        self.answer(json.dumps({"applied": count, "length": len(body)}).encode())


class ProxyTestCase(unittest.TestCase):
    def setUp(self):
        self.server = AppServer()
        self.directory = tempfile.TemporaryDirectory(prefix="faultproxy-test-")
        self.tmp = Path(self.directory.name)
        self.proxies = []   # (Popen, stdout file, stderr file)

    def tearDown(self):
        for process, stdout, stderr in self.proxies:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            stdout.close()
            stderr.close()
        self.server.stop()
        self.directory.cleanup()

    # -- helpers ------------------------------------------------------------------------------

    def start_proxy(self, *options: str, target_port: int | None = None) -> int:
        """Start the proxy in front of the server; return its port."""
        index = len(self.proxies)
        port_file = self.tmp / f"port{index}"
        self.stats_file = self.tmp / f"stats{index}.json"
        stdout = open(self.tmp / f"stdout{index}", "w+")
        stderr = open(self.tmp / f"stderr{index}", "w+")
        process = subprocess.Popen(
            [sys.executable, str(PROXY), "--listen", "127.0.0.1:0",
             "--target", f"127.0.0.1:{target_port or self.server.port}",
             "--port-file", str(port_file), "--stats-file", str(self.stats_file), *options],
            stdout=stdout, stderr=stderr)
        self.proxies.append((process, stdout, stderr))
        self.process, self.stderr_path = process, Path(stderr.name)
        started = wait_until(lambda: port_file.exists() or process.poll() is not None, 10)
        if not started or process.poll() is not None:
            stderr.seek(0)
            self.fail(f"the proxy did not start: {stderr.read()}")
        self.port = int(port_file.read_text())
        return self.port

    def stop_proxy(self) -> dict:
        """SIGTERM the proxy; return the stats it wrote."""
        self.process.send_signal(signal.SIGTERM)
        self.assertEqual(self.process.wait(timeout=10), 0)
        return json.loads(self.stats_file.read_text())

    def connection(self, timeout: float = 5) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def exchange(self, method="GET", path="/", body=None, timeout=5.0, connection=None):
        """One request: ("answered", status, body), ("reset", error, None) or ("timeout", ...)."""
        own = connection is None
        connection = connection or self.connection(timeout)
        try:
            connection.request(method, path, body=body)
            response = connection.getresponse()
            return "answered", response.status, response.read()
        except TimeoutError as error:   # socket.timeout is TimeoutError since 3.10
            return "timeout", error, None
        except (OSError, http.client.HTTPException) as error:
            # ConnectionResetError, BrokenPipeError, RemoteDisconnected (an empty answer), ...
            return "reset", error, None
        finally:
            if own:
                connection.close()

    def write_control(self, document) -> None:
        path = self.tmp / "control.json"
        temporary = self.tmp / "control.json.tmp"
        temporary.write_text(document if isinstance(document, str) else json.dumps(document))
        os.replace(temporary, path)

    # -- tests --------------------------------------------------------------------------------

    def test_1_pass_through_keep_alive(self):
        self.start_proxy()
        connection = self.connection()
        for index in range(50):
            if index % 2:
                outcome, status, body = self.exchange("POST", "/apply", b"event %d" % index,
                                                      connection=connection)
                self.assertEqual((outcome, status), ("answered", 200))
                self.assertEqual(json.loads(body)["length"], len(b"event %d" % index))
            else:
                size = 1000 * index
                self.assertEqual(self.exchange("GET", f"/bytes/{size}", connection=connection),
                                 ("answered", 200, pattern(size)))
        connection.close()
        self.assertEqual(self.server.applied, 25)
        self.assertEqual(self.server.connections, 1, "one keep-alive connection end to end")

        # Half-close: the client's EOF goes upstream, the answer still comes back, then the close.
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            raw.sendall(b"GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            raw.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := raw.recv(4096):
                received += chunk
        self.assertTrue(received.startswith(b"HTTP/1.1 200"), received)
        self.assertTrue(received.endswith(b"\r\n\r\nhello"), received)

        stats = self.stop_proxy()
        self.assertEqual(stats["connections"], 2)
        self.assertGreater(stats["bytes_server_to_client"], sum(1000 * i for i in range(0, 50, 2)))
        self.assertGreater(stats["bytes_client_to_server"], 0)

    def test_2_latency_and_jitter_keep_order(self):
        self.start_proxy("--latency-ms", "200")
        started = time.monotonic()
        self.assertEqual(self.exchange("GET", "/hello"), ("answered", 200, b"hello"))
        elapsed = time.monotonic() - started
        # 200 ms each way; the lower bound is what matters, the upper one is only a sanity check.
        self.assertGreaterEqual(elapsed, 0.39)
        self.assertLess(elapsed, 5)

        # Jitter as large as the latency must not reorder chunks: a 512 KiB echo comes back intact.
        self.start_proxy("--latency-ms", "10", "--jitter-ms", "10", "--seed", "7")
        body = os.urandom(512 * 1024)
        self.assertEqual(self.exchange("POST", "/echo", body, timeout=10), ("answered", 200, body))

    def test_3_bandwidth_cap(self):
        self.start_proxy("--bandwidth-bytes-per-second", "32768")
        started = time.monotonic()
        outcome = self.exchange("GET", "/bytes/65536", timeout=15)
        elapsed = time.monotonic() - started
        self.assertEqual(outcome, ("answered", 200, pattern(65536)))
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 10)

    def test_4_drop_response_is_an_ambiguous_outcome(self):
        self.start_proxy("--drop-response-probability", "1.0")
        outcome, error, _ = self.exchange("POST", "/apply", b"event")
        self.assertEqual(outcome, "reset", error)
        self.assertTrue(wait_until(lambda: self.server.applied == 1, 2),
                        "the server applied the request the client never heard back about")
        stats = self.stop_proxy()
        self.assertEqual(stats["dropped_responses"], 1)

    def test_5_reset(self):
        self.start_proxy("--reset-probability", "1.0", "--seed", "5")
        for _ in range(10):
            outcome, error, _ = self.exchange("POST", "/apply", b"small event")
            self.assertEqual(outcome, "reset", error)
        # A body longer than --reset-max-bytes (4096) is always cut before it is whole.
        applied_before = self.server.applied
        for _ in range(5):
            outcome, error, _ = self.exchange("POST", "/apply", pattern(16 * 1024))
            self.assertEqual(outcome, "reset", error)
        time.sleep(0.2)
        self.assertEqual(self.server.applied, applied_before)
        stats = self.stop_proxy()
        self.assertEqual(stats["resets"], 15)
        self.assertEqual(stats["bytes_server_to_client"], 0)

    def test_5b_upstream_refused_resets_the_client(self):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            closed_port = closed.getsockname()[1]
        self.start_proxy(target_port=closed_port)
        outcome, error, _ = self.exchange("GET", "/hello")
        self.assertEqual(outcome, "reset", error)
        self.assertEqual(self.stop_proxy()["upstream_failures"], 1)

    def test_6_black_hole(self):
        self.start_proxy("--blackhole-probability", "1.0")
        outcome, error, _ = self.exchange("POST", "/apply", b"event", timeout=1)
        self.assertEqual(outcome, "timeout", error)
        self.assertEqual(self.server.connections, 0, "nothing reached the server")
        self.assertEqual(self.server.applied, 0)
        self.assertEqual(self.stop_proxy()["blackholed"], 1)

    def test_7_partition_from_the_control_file(self):
        self.start_proxy("--control-file", str(self.tmp / "control.json"))
        kept_alive = self.connection()
        self.assertEqual(self.exchange("GET", "/hello", connection=kept_alive),
                         ("answered", 200, b"hello"))

        # The partition starts: the open keep-alive connection is reset...
        self.write_control({"partition": True})
        kept_alive.sock.settimeout(5)
        with self.assertRaises(ConnectionResetError):
            kept_alive.sock.recv(1)
        kept_alive.close()
        # ...and a new request goes nowhere.
        outcome, error, _ = self.exchange("GET", "/hello", timeout=1)
        self.assertEqual(outcome, "timeout", error)

        # Invalid JSON is ignored: still partitioned.
        self.write_control("{not json")
        self.assertTrue(wait_until(lambda: "control file ignored" in self.stderr_path.read_text(), 5))
        outcome, error, _ = self.exchange("GET", "/hello", timeout=1)
        self.assertEqual(outcome, "timeout", error)

        # The partition heals: requests succeed again.
        self.write_control({"partition": False})
        self.assertTrue(wait_until(lambda: '"partition": false' in self.stderr_path.read_text(), 5))
        self.assertEqual(self.exchange("GET", "/hello"), ("answered", 200, b"hello"))
        stats = self.stop_proxy()
        self.assertEqual(stats["partition_aborts"], 1)
        self.assertGreaterEqual(stats["blackholed"], 2)

    def test_8_drop_response_rate_and_accounting(self):
        self.start_proxy("--drop-response-probability", "0.3", "--seed", "42")
        answered = dropped = 0
        for index in range(200):
            outcome, status, body = self.exchange("POST", "/apply", b"event %d" % index)
            self.assertNotEqual(outcome, "timeout")
            if outcome == "answered":
                self.assertEqual(status, 200)
                answered += 1
            else:
                dropped += 1
        self.assertTrue(0.15 * 200 <= dropped <= 0.45 * 200, f"{dropped} of 200 dropped")
        # Every request was applied: the client either got the answer or saw a reset.
        self.assertTrue(wait_until(lambda: self.server.applied == 200, 2), self.server.applied)
        self.assertEqual(self.server.applied, answered + dropped)
        self.assertEqual(self.stop_proxy()["dropped_responses"], dropped)

    def test_9_sigterm_writes_the_stats(self):
        self.start_proxy()
        for _ in range(3):
            self.assertEqual(self.exchange("POST", "/apply", b"event")[0], "answered")
        # Written while running too (at most every 0.5 s), so that a SIGKILL leaves recent stats.
        self.assertTrue(wait_until(
            lambda: self.stats_file.exists()
            and json.loads(self.stats_file.read_text())["connections"] == 3, 3))
        stats = self.stop_proxy()
        self.assertEqual(stats["connections"], 3)
        self.assertEqual(stats["resets"] + stats["dropped_responses"] + stats["blackholed"], 0)
        self.assertGreater(stats["bytes_client_to_server"], 3 * len(b"event"))
        self.assertGreater(stats["bytes_server_to_client"], 0)
        stdout = Path(self.proxies[-1][1].name).read_text().splitlines()
        self.assertTrue(stdout[0].startswith("listening on 127.0.0.1:"))
        self.assertEqual(json.loads(stdout[-1]), stats)


if __name__ == "__main__":
    unittest.main()
