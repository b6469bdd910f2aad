"""GET /metrics of `dockscript serve`: the Prometheus text format 0.0.4,
checked by Prometheus' own parser (`promtool check metrics`, Debian's
prometheus package), and its values after known requests: requests by
route and status, faults by kind, in flight, queued, and the delay and
total histograms. Without promtool the test is skipped (exit 77), except
in CI (CI or DS_REQUIRE_TOOLS=1 set), where that fails."""
import http.client
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import HOST, Server, open_requests, wait_until  # noqa: E402

PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "dockscript_server_"
SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')
HISTOGRAMS = ("delay_seconds", "request_duration_seconds")


def parse(text):
    """{(name without the prefix, frozenset of labels): value}; every
    line is a sample or a # HELP / # TYPE comment."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.groups()
        assert name.startswith(PREFIX), name
        key = (name[len(PREFIX):], frozenset(LABEL_RE.findall(labels or "")))
        assert key not in out, "twice: %r" % line
        out[key] = float(value)
    return out


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0)


def buckets(m, name):
    """[(le, cumulative count)] in the order of the bounds, +Inf last."""
    rows = [(dict(k[1])["le"], v) for k, v in m.items() if k[0] == name + "_bucket"]
    return sorted(rows, key=lambda r: float(r[0]))


class Metrics(unittest.TestCase):
    def scrape(self, server):
        status, headers, body = server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-type"), CONTENT_TYPE)
        self.assertNotIn("server-timing", headers, "/metrics is not timed")
        self.check_with_promtool(body)
        m = parse(body)
        for h in HISTOGRAMS:
            self.check_histogram(m, h)
        return m

    def check_with_promtool(self, body):
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), body)

    def check_histogram(self, m, name):
        rows = buckets(m, name)
        self.assertEqual(len(rows), 17, rows)
        self.assertEqual(rows[-1][0], "+Inf")
        counts = [v for _, v in rows]
        self.assertEqual(counts, sorted(counts), "cumulative buckets: %r" % rows)
        self.assertEqual(value(m, name + "_count"), counts[-1])

    def test_known_requests(self):
        with Server("--delay", "0") as s:
            for _ in range(5):
                self.assertEqual(s.get("/users")[0], 200)
            for _ in range(2):
                self.assertEqual(s.get("/users/1")[0], 200)
            self.assertEqual(s.get("/nosuch")[0], 404)
            self.assertEqual(s.get("/users", method="POST")[0], 405)
            self.assertEqual(s.get("/")[0], 200)
            m = self.scrape(s)
            self.assertEqual(value(m, "requests_total", route="users", status="200"), 5)
            self.assertEqual(value(m, "requests_total", route="user", status="200"), 2)
            self.assertEqual(value(m, "requests_total", route="other", status="404"), 1)
            self.assertEqual(value(m, "requests_total", route="users", status="405"), 1)
            self.assertEqual(value(m, "requests_total", route="root", status="200"), 1)
            self.assertEqual(sum(v for k, v in m.items() if k[0] == "requests_total"), 10)
            for kind in ("fail", "reset", "hang"):
                self.assertEqual(m[("faults_total", frozenset({("kind", kind)}))], 0)
            # /metrics itself is not in flight while it answers
            self.assertEqual(m[("in_flight_requests", frozenset())], 0)
            self.assertEqual(m[("queued_requests", frozenset())], 0)
            # each of the 10 answers is observed once; none waited
            for h in HISTOGRAMS:
                self.assertEqual(value(m, h + "_count"), 10)
            self.assertEqual(buckets(m, "delay_seconds")[0], ("0.0005", 10))
            self.assertEqual(value(m, "delay_seconds_sum"), 0)
            # the scrape counts once done, like /_stats, and is not timed
            m = self.scrape(s)
            self.assertEqual(value(m, "requests_total", route="metrics", status="200"), 1)
            self.assertEqual(value(m, "request_duration_seconds_count"), 10)
            _, stats = s.get_json("/_stats")
            self.assertEqual(stats["requests"]["by_route"]["metrics"], 2)
            self.assertEqual(stats["server_timing"]["count"], 10)

    def test_delay_histogram(self):
        with Server("--delay", "0.3") as s:
            for _ in range(4):
                self.assertEqual(s.get("/users")[0], 200)
            m = self.scrape(s)
            _, stats = s.get_json("/_stats")
        # a delay is never cut short: every answer above the 0.25 bound
        for h in HISTOGRAMS:
            rows = dict(buckets(m, h))
            self.assertEqual((rows["0.25"], rows["+Inf"]), (0, 4), h)
        self.assertGreaterEqual(value(m, "delay_seconds_sum"), 1.2)
        self.assertGreaterEqual(value(m, "request_duration_seconds_sum"),
                                value(m, "delay_seconds_sum"))
        # the same answers as /_stats' Server-Timing (written to 1 us there)
        timing = stats["server_timing"]
        self.assertAlmostEqual(value(m, "delay_seconds_sum"), timing["delay"]["sum"], places=5)
        self.assertAlmostEqual(value(m, "request_duration_seconds_sum"),
                               timing["total"]["sum"], places=5)

    def test_faults_by_kind(self):
        seen = {"200": 0, "500": 0, "reset": 0}
        with Server("--delay", "0", "--fail", "0.3", "--reset", "0.2", "--seed", "3") as s:
            for _ in range(40):
                c = http.client.HTTPConnection(HOST, s.port, timeout=10)
                try:
                    c.request("GET", "/users")
                    r = c.getresponse()
                    r.read()
                    seen[str(r.status)] += 1
                except (ConnectionResetError, http.client.RemoteDisconnected):
                    seen["reset"] += 1
                finally:
                    c.close()
            m = self.scrape(s)
            _, stats = s.get_json("/_stats")
        self.assertGreater(seen["500"], 0, seen)
        self.assertGreater(seen["reset"], 0, seen)
        faults = {k: value(m, "faults_total", kind=k) for k in ("fail", "reset", "hang")}
        self.assertEqual(faults, {"fail": seen["500"], "reset": seen["reset"], "hang": 0})
        self.assertEqual(faults, stats["faults"])
        self.assertEqual(value(m, "requests_total", route="users", status="200"), seen["200"])
        self.assertEqual(value(m, "requests_total", route="users", status="500"), seen["500"])
        self.assertEqual(value(m, "requests_total", route="users", status="none"),
                         seen["reset"])
        # a reset gets no answer, so no Server-Timing figures
        self.assertEqual(value(m, "request_duration_seconds_count"), seen["200"] + seen["500"])

    def test_in_flight_and_queued(self):
        with Server("--delay", "0.5", "--workers", "1") as s:
            socks = open_requests(s.port, 3)
            try:
                held = wait_until(
                    lambda: value(self.scrape(s), "in_flight_requests") == 3, 10)
                self.assertTrue(held, "3 requests in flight")
                m = self.scrape(s)
                self.assertEqual(value(m, "in_flight_requests"), 3)
                self.assertEqual(value(m, "queued_requests"), 2)
            finally:
                for sock in socks:
                    sock.close()

    def test_no_stats_and_methods(self):
        with Server("--delay", "0", "--no-stats") as s:
            self.assertEqual(s.get("/metrics")[0], 404)
        with Server("--delay", "0") as s:
            status, headers, _ = s.get("/metrics", method="POST")
            self.assertEqual((status, headers.get("allow")), (405, "GET"))
            self.assertEqual(s.get("/metrics/x")[0], 404)


if __name__ == "__main__":
    if not PROMTOOL:
        if os.environ.get("DS_REQUIRE_TOOLS") or os.environ.get("CI"):
            sys.exit("test_metrics: FAIL: promtool not found; in CI every test runs "
                     "(tools/deps.sh --test installs Debian's prometheus)")
        print("test_metrics: skipped: promtool not found; install it with "
              "tools/deps.sh --test (Debian's prometheus package)", file=sys.stderr)
        sys.exit(77)
    unittest.main()
