"""Server-Timing (W3C) on every answer but /_stats': its figures against
the latency the client measured, the --workers queue, the access log and
/_stats that agree with it, --no-server-timing and server_timing = false,
and the process's CPU seconds in /_stats."""
import http.client
import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import HOST, LuaServer, Server, read_until_close, status_of  # noqa: E402

HEADER_RE = re.compile(r"^queue;dur=(\d+\.\d{3}), delay;dur=(\d+\.\d{3}), "
                       r"total;dur=(\d+\.\d{3})$")
LOG_RE = re.compile(r" queue_ms=(\d+\.\d{3}) delay_ms=(\d+\.\d{3}) total_ms=(\d+\.\d{3})$")


def timing(headers):
    """(queue, delay, total) in ms, as the header's text, from a response's
    headers (lower-cased names)."""
    value = headers.get("server-timing")
    assert value is not None, headers
    m = HEADER_RE.match(value)
    assert m, value
    return m.groups()


def ms(fig):
    return tuple(float(x) for x in fig)


def keep_alive_gets(port, paths, method="GET", headers=None):
    """One request per path on one connection, one after another:
    [(status, headers, seconds)]."""
    c = http.client.HTTPConnection(HOST, port, timeout=10)
    out = []
    try:
        for path in paths:
            t0 = time.monotonic()
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            r.read()
            out.append((r.status, {k.lower(): v for k, v in r.getheaders()},
                        time.monotonic() - t0))
    finally:
        c.close()
    return out


class Header(unittest.TestCase):
    def test_figures_agree_with_the_latency_the_log_and_stats(self):
        with Server("--delay", "0.2", "--log") as s:
            got = keep_alive_gets(s.port, ["/users/1", "/customers", "/users?name=j",
                                           "/customers/2", "/users"])
            _, stats = s.get_json("/_stats")
            s.stop()
        figures = []
        for status, headers, took in got:
            self.assertEqual(status, 200)
            fig = timing(headers)
            figures.append(fig)
            queue, delay, total = ms(fig)
            # the server's share is inside what the client measured (how much
            # is outside it, and the queue without --workers, are the machine's
            # figures: tools/bench/bench_test_figures.sh)
            self.assertLessEqual(total, took * 1000)
            # the delay applied: --delay, the timer's 1 ms tick and a late wake-up
            self.assertGreaterEqual(delay, 200.0)
            self.assertLess(delay, 230.0, fig)
            self.assertGreaterEqual(total + 0.002, queue + delay)
        # the access log has the header's figures, digit for digit
        logged = [LOG_RE.search(line).groups() for line in s.stderr.splitlines()
                  if line.startswith("GET /") and not line.startswith("GET /_stats")]
        self.assertEqual(logged, figures)
        self.assertNotIn("queue_ms", [l for l in s.stderr.splitlines()
                                      if l.startswith("GET /_stats")][0])
        # /_stats: the count, the sums and the maxima of the same figures
        st = stats["server_timing"]
        self.assertEqual(st["count"], 5)
        for i, name in enumerate(("queue", "delay", "total")):
            values = [ms(f)[i] / 1000 for f in figures]
            # each header figure is rounded to 1 us, the sum is exact
            self.assertAlmostEqual(st[name]["sum"], sum(values), delta=5 * 0.5e-6 + 2e-6)
            self.assertAlmostEqual(st[name]["max"], max(values), delta=2e-6)
            # the histogram's buckets are under 0.8% wide
            self.assertAlmostEqual(st[name]["p50"], sorted(values)[2],
                                   delta=sorted(values)[2] * 0.01 + 2e-6)

    def test_every_answer_but_stats(self):
        with Server("--delay", "0", "--client-delay", "--fail", "0") as s:
            cases = [("/", 200), ("/nope", 404), ("/users/99", 404)]
            for path, want in cases:
                status, headers, _ = s.get(path)
                self.assertEqual(status, want)
                self.assertEqual(ms(timing(headers))[:2], (0.0, 0.0), path)
            status, headers, _ = s.get("/users", method="POST")
            self.assertEqual(status, 405)
            timing(headers)
            status, headers, _ = s.get("/users/1", headers={"X-Delay": "soon"})
            self.assertEqual(status, 400)
            timing(headers)
            status, headers, _ = s.get("/_stats")
            self.assertEqual(status, 200)
            self.assertNotIn("server-timing", headers)
        # injected 500s wait their delay like any other answer
        with Server("--delay", "0.1", "--fail", "1") as s:
            status, headers, _ = s.get("/customers/1")
            self.assertEqual(status, 500)
            self.assertGreaterEqual(ms(timing(headers))[1], 100.0)

    def test_full_queue_503(self):
        with Server("--delay", "0.5", "--workers", "1", "--queue-max", "0") as s:
            holder = socket.create_connection((HOST, s.port), timeout=5)
            try:
                holder.sendall(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
                deadline = time.monotonic() + 3
                while (s.get_json("/_stats")[1]["in_flight"] < 1
                       and time.monotonic() < deadline):
                    time.sleep(0.01)
                status, headers, _ = s.get("/users/2")
                self.assertEqual(status, 503)
                queue, delay, total = ms(timing(headers))
                # at once: no wait for a slot, no delay (how long the answer
                # took, total: tools/bench/bench_test_figures.sh)
                self.assertEqual((queue, delay), (0.0, 0.0))
                self.assertGreaterEqual(total + 0.002, queue + delay)
            finally:
                holder.close()

    def test_queue_for_a_worker(self):
        # three at once, one slot: they wait about 0, 1 and 2 delays for it
        with Server("--delay", "0.2", "--workers", "1") as s:
            results = [None] * 3

            def get(i):
                c = http.client.HTTPConnection(HOST, s.port, timeout=10)
                try:
                    t0 = time.monotonic()
                    c.request("GET", "/users/%d" % (i + 1))
                    r = c.getresponse()
                    r.read()
                    results[i] = (r.getheader("Server-Timing"), time.monotonic() - t0)
                finally:
                    c.close()

            threads = [threading.Thread(target=get, args=(i,)) for i in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
        figs = sorted(ms(HEADER_RE.match(h).groups()) + (took,) for h, took in results)
        for k, (queue, delay, total, took) in enumerate(figs):
            self.assertGreaterEqual(delay, 200.0)
            self.assertLess(delay, 260.0)
            self.assertGreater(queue, 200.0 * k - 60, figs)
            self.assertLess(queue, 200.0 * k + 60, figs)
            self.assertGreaterEqual(total + 0.002, queue + delay)
            self.assertLessEqual(total, took * 1000)
        self.assertGreater(figs[2][0], 0.0)

    def test_off(self):
        with Server("--delay", "0", "--no-server-timing", "--log") as s:
            for path in ("/users/1", "/", "/nope"):
                self.assertNotIn("server-timing", s.get(path)[1])
            _, stats = s.get_json("/_stats")
            s.stop()
        # the log and /_stats keep the figures
        self.assertEqual(stats["server_timing"]["count"], 3)
        self.assertEqual(len([l for l in s.stderr.splitlines() if LOG_RE.search(l)]), 3,
                         s.stderr)
        with LuaServer("{delay = 0, server_timing = false}") as lua:
            self.assertNotIn("server-timing", lua.get("/users/1")[1])
        with LuaServer("{delay = 0}") as lua:
            timing(lua.get("/users/1")[1])


class Cpu(unittest.TestCase):
    def test_cpu_seconds(self):
        with Server("--delay", "0") as s:
            _, before = s.get_json("/_stats")
            keep_alive_gets(s.port, ["/users"] * 300)
            _, after = s.get_json("/_stats")
        for st in (before, after):
            self.assertEqual(set(st["cpu"]), {"user", "system"})
            self.assertGreaterEqual(st["cpu"]["user"], 0)
            self.assertGreaterEqual(st["cpu"]["system"], 0)
        spent = lambda st: st["cpu"]["user"] + st["cpu"]["system"]  # noqa: E731
        self.assertGreater(spent(after), spent(before), (before["cpu"], after["cpu"]))
        # one process on at most os.cpu_count() cores: between the two reads
        # (the process's CPU before the server's clock started, its loading
        # and a sanitizer's start, is not in uptime)
        self.assertLessEqual(spent(after) - spent(before),
                             (after["uptime"] - before["uptime"]) * os.cpu_count() + 0.05)


if __name__ == "__main__":
    unittest.main(verbosity=2)
