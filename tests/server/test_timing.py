"""The delay: measured on one request, held by no thread (200 requests at
once take about one delay), and --workers N queues in arrival order."""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import Server, HOST, read_until_close, status_of, waited_ms  # noqa: E402


def timed_get(port, path, results, i, start):
    """One GET on its own connection; records (status, seconds since start)."""
    try:
        s = socket.create_connection((HOST, port), timeout=10)
        try:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path)
            out = read_until_close(s, 10)
        finally:
            s.close()
        results[i] = (status_of(out), time.monotonic() - start)
    except OSError as e:
        results[i] = (repr(e), time.monotonic() - start)


def simultaneous(port, n, path=b"/customers?salesId=1"):
    """n requests released together; returns [(status, seconds)]."""
    results = [None] * n
    gate = threading.Barrier(n + 1, timeout=10)
    start = [0.0]

    def worker(i):
        gate.wait()
        timed_get(port, path, results, i, start[0])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    start[0] = time.monotonic()
    gate.wait()
    for t in threads:
        t.join(15)
    return results


class Timing(unittest.TestCase):
    def test_one_request_waits_the_delay(self):
        with Server("--delay", "0.3") as s:
            for path in ("/users", "/users/1", "/users/77", "/customers", "/customers/2"):
                with self.subTest(path=path):
                    t0 = time.monotonic()
                    s.get(path)
                    elapsed = time.monotonic() - t0
                    self.assertGreaterEqual(elapsed, 0.3)
                    self.assertLess(elapsed, 0.3 + 0.15)
            # at once, by the server's own account (how long such an answer
            # takes: tools/bench/bench_test_figures.sh)
            status, headers, _ = s.get("/")
            self.assertEqual(status, 200)
            self.assertEqual(waited_ms(headers), (0.0, 0.0), "/ answers without delay")
            status, headers, _ = s.get("/nope")
            self.assertEqual(status, 404)
            self.assertEqual(waited_ms(headers), (0.0, 0.0), "unknown paths answer at once")

    def test_200_simultaneous_take_one_delay(self):
        with Server("--delay", "0.5") as s:
            t0 = time.monotonic()
            results = simultaneous(s.port, 200)
            total = time.monotonic() - t0
            self.assertEqual([r[0] for r in results], [200] * 200)
            self.assertGreaterEqual(min(r[1] for r in results), 0.5)
            self.assertLess(total, 1.0, "well under 2 x delay")

    def test_workers_2_queue_4_requests(self):
        with Server("--delay", "0.5", "--workers", "2") as s:
            t0 = time.monotonic()
            results = simultaneous(s.port, 4)
            total = time.monotonic() - t0
            self.assertEqual([r[0] for r in results], [200] * 4)
            times = sorted(r[1] for r in results)
            self.assertGreaterEqual(total, 1.0)
            self.assertLess(total, 1.0 + 0.35)
            self.assertLess(times[1], 0.5 + 0.25, "two served in the first round")
            self.assertGreaterEqual(times[2], 1.0, "two waited for a slot")

    def test_workers_8_reproduce_the_seed_shape(self):
        # 10 concurrent lookups on 8 slots: the last 2 need a second round,
        # which is what made the original async run 1.5 s, not 1.0 s
        with Server("--delay", "0.25", "--workers", "8") as s:
            times = sorted(r[1] for r in simultaneous(s.port, 10))
            self.assertLess(times[7], 0.25 + 0.2)
            self.assertGreaterEqual(times[8], 0.5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
