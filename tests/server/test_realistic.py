"""`dockscript serve` as a realistic slow backend: delay specs,
--seed, --route-delay, --client-delay, faults, --queue-max, GET /_stats,
the stop summary and bad options. Distribution figures over thousands of
requests are in realistic_test.lua (the dockscript client); 5,000
concurrent requests in test_stats_load.py."""
import json
import os
import re
import socket
import sys
import threading
import time
import unittest
import http.client

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import (Server, HOST, open_requests, read_until_close, run,  # noqa: E402
                     status_of, wait_until, waited_ms)

DELAY_RE = re.compile(r" delay=(\d+\.\d+)")


def logged_delays(stderr):
    return [float(m.group(1)) for m in DELAY_RE.finditer(stderr)]


def sequential(server, n, path="/users/1", headers=None):
    """n GETs one after another on one keep-alive connection:
    [(status, seconds, body)]."""
    c = http.client.HTTPConnection(HOST, server.port, timeout=10)
    out = []
    try:
        for _ in range(n):
            t0 = time.monotonic()
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            body = r.read().decode()
            out.append((r.status, time.monotonic() - t0, body))
    finally:
        c.close()
    return out


def concurrent(port, n, path=b"/users/1", timeout=10):
    """n requests sent at once on n connections, answers read as they come:
    [(status or None, seconds from its own send to its answer, headers with
    lower-cased names)] in send order; bounded by timeout."""
    request = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path
    socks, sent_at = [], []
    try:
        for _ in range(n):
            s = socket.create_connection((HOST, port), timeout=timeout)
            socks.append(s)
            sent_at.append(time.monotonic())
            s.sendall(request)
    except BaseException:
        for s in socks:
            s.close()
        raise
    results = [None] * n

    def read(i, s):
        try:
            out = read_until_close(s, timeout)
            took = time.monotonic() - sent_at[i]
            head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
            headers = dict((k.strip().lower(), v.strip()) for k, _, v in
                           (line.partition(":") for line in head))
            results[i] = (status_of(out), took, headers)
        finally:
            s.close()

    threads = [threading.Thread(target=read, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    return results


class Delays(unittest.TestCase):
    def test_same_seed_same_delays_in_order(self):
        runs = []
        for seed in (5, 5, 6):
            with Server("--delay", "exp:0.01", "--seed", seed, "--log") as s:
                answers = sequential(s, 40)
            delays = logged_delays(s.stderr)
            self.assertEqual(len(delays), 40, s.stderr)
            self.assertEqual([a[0] for a in answers], [200] * 40)
            # each request waited at least what it drew
            for (status, took, _), d in zip(answers, delays):
                self.assertGreaterEqual(took, d - 0.0005)
            runs.append(delays)
        self.assertEqual(runs[0], runs[1])
        self.assertNotEqual(runs[0], runs[2])
        self.assertEqual(len(set(runs[0])), 40, "exp draws differ from each other")

    def test_faults_do_not_move_the_delays(self):
        runs = []
        for extra in ([], ["--fail", "0.5"]):
            with Server("--delay", "uniform:0,0.01", "--seed", 9, "--log", *extra) as s:
                sequential(s, 30)
            runs.append(logged_delays(s.stderr))
        self.assertEqual(runs[0], runs[1])

    def test_uniform_stays_in_its_range_under_concurrency(self):
        with Server("--delay", "uniform:0.1,0.3") as s:
            results = concurrent(s.port, 100)
        self.assertEqual([r[0] for r in results], [200] * 100)
        times = [r[1] for r in results]
        self.assertGreaterEqual(min(times), 0.1)
        self.assertLess(max(times), 0.3 + 0.15, "the range plus scheduling slack")
        self.assertGreater(max(times) - min(times), 0.1, "delays are spread, not fixed")

    def test_route_delay(self):
        with Server("--delay", "0", "--route-delay", "users=0.3",
                    "--route-delay=customer=uniform:0.1,0.2") as s:
            for path, lo, hi in (("/users", 0.3, 0.45), ("/customers/2", 0.1, 0.35)):
                t0 = time.monotonic()
                self.assertEqual(s.get(path)[0], 200, path)
                took = time.monotonic() - t0
                self.assertTrue(lo <= took < hi, (path, took))
            # the other routes keep --delay 0: no wait, by the server's account
            for path in ("/users/1", "/customers"):
                status, headers, _ = s.get(path)
                self.assertEqual(status, 200, path)
                self.assertEqual(waited_ms(headers), (0.0, 0.0), path)

    def test_client_delay(self):
        with Server("--delay", "0", "--client-delay", "--max-delay", "0.4") as s:
            t0 = time.monotonic()
            self.assertEqual(s.get("/users/1", headers={"X-Delay": "0.2"})[0], 200)
            self.assertTrue(0.2 <= time.monotonic() - t0 < 0.35)
            t0 = time.monotonic()
            self.assertEqual(s.get("/users/1", headers={"X-Delay": "1e9"})[0], 200)
            self.assertTrue(0.4 <= time.monotonic() - t0 < 0.55, "capped by --max-delay")
            for bad in ("-1", "abc", "0x10", "nan", "1,5", ""):
                status, headers, body = s.get("/customers/1", headers={"X-Delay": bad})
                self.assertEqual(waited_ms(headers), (0.0, 0.0), "a bad X-Delay answers at once")
                self.assertEqual(status, 400, bad)
                self.assertEqual(json.loads(body),
                                 {"type": "BadRequest", "message":
                                  "X-Delay must be a number of seconds >= 0, got '%s'" % bad})
            # "/" and unknown paths never wait, whatever the header says
            status, headers, _ = s.get("/", headers={"X-Delay": "5"})
            self.assertEqual(status, 200)
            self.assertEqual(waited_ms(headers), (0.0, 0.0))

    def test_x_delay_is_ignored_without_client_delay(self):
        with Server("--delay", "0") as s:
            for value in ("abc", "2"):
                status, headers, _ = s.get("/users/1", headers={"X-Delay": value})
                self.assertEqual(status, 200, value)
                self.assertEqual(waited_ms(headers), (0.0, 0.0), value)


class Faults(unittest.TestCase):
    def test_fail_answers_500_injected_fault(self):
        with Server("--delay", "0", "--fail", "0.1", "--seed", 1) as s:
            answers = sequential(s, 2000)
            _, stats = s.get_json("/_stats")
        fails = [a for a in answers if a[0] == 500]
        self.assertTrue(0.08 * 2000 <= len(fails) <= 0.12 * 2000, len(fails))
        for status, _, body in answers:
            if status == 500:
                self.assertEqual(json.loads(body)["type"], "InjectedFault")
            else:
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body), {"id": "1", "name": "John Liu",
                                                    "role": "sales"})
        self.assertEqual(stats["faults"]["fail"], len(fails))
        self.assertEqual(stats["requests"]["by_status"]["500"], len(fails))

    def test_reset_gets_no_byte_and_the_server_keeps_serving(self):
        with Server("--delay", "0", "--reset", "0.3", "--seed", 2) as s:
            outcomes = []
            for _ in range(100):
                try:
                    outcomes.append(status_of(s_raw(s.port)))
                except ConnectionResetError:
                    outcomes.append("reset")
            self.assertEqual(s.get("/")[0], 200)
            _, stats = s.get_json("/_stats")
        resets = outcomes.count("reset")
        self.assertTrue(15 <= resets <= 45, outcomes)
        self.assertEqual(outcomes.count(200), 100 - resets, outcomes)
        self.assertEqual(stats["faults"]["reset"], resets)

    def test_hang_holds_no_worker_slot_and_ends_at_the_timeout(self):
        # one slot; requests one at a time: a hung one never answers, the
        # next one still gets the slot at once
        with Server("--delay", "0.1", "--workers", "1", "--hang", "0.5", "--seed", 4,
                    "--timeout", "4") as s:
            hung, answered = [], 0
            for _ in range(40):
                if len(hung) >= 3 and answered >= 3:
                    break
                before = s.get_json("/_stats")[1]["faults"]["hang"]
                sock = open_requests(s.port, 1)[0]
                if wait_until(lambda: s.get_json("/_stats")[1]["faults"]["hang"] > before, 0.2):
                    hung.append((sock, time.monotonic()))
                    continue
                t0 = time.monotonic()
                out = read_until_close(sock, 5, headers_only=True)
                sock.close()
                self.assertEqual(status_of(out), 200)
                self.assertLess(time.monotonic() - t0, 0.1 + 0.5, "no slot held by hung ones")
                answered += 1
            self.assertGreaterEqual(len(hung), 3)
            self.assertGreaterEqual(answered, 3)
            _, stats = s.get_json("/_stats")
            self.assertEqual(stats["in_flight"], len(hung))
            for sock, since in hung:
                self.assertEqual(read_until_close(sock, 6), b"", "closed without an answer")
                self.assertGreaterEqual(time.monotonic() - since, 3.5)
                sock.close()


def s_raw(port):
    s = socket.create_connection((HOST, port), timeout=5)
    try:
        s.sendall(b"GET /users/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return read_until_close(s, 5)
    finally:
        s.close()


class Queue(unittest.TestCase):
    def test_queue_max_turns_away_what_does_not_fit_at_once(self):
        with Server("--delay", "0.5", "--workers", "2", "--queue-max", "4") as s:
            results = concurrent(s.port, 20)
            _, stats = s.get_json("/_stats")
        statuses = [r[0] for r in results]
        self.assertEqual(statuses.count(503), 14, statuses)
        self.assertEqual(statuses.count(200), 6, statuses)
        for status, took, headers in results:
            if status == 503:
                self.assertEqual(waited_ms(headers), (0.0, 0.0), "503 at once")
        ok = sorted(r[1] for r in results if r[0] == 200)
        self.assertGreaterEqual(ok[-1], 1.5, "the queued four waited for the slots")
        self.assertEqual(stats["requests"]["by_status"], {"200": 6, "503": 14})

    def test_503_body(self):
        with Server("--delay", "1", "--workers", "1", "--queue-max", "0") as s:
            first = open_requests(s.port, 1)[0]
            self.assertTrue(wait_until(lambda: s.get_json("/_stats")[1]["in_flight"] == 1, 2))
            status, headers, body = s.get("/customers")
            first.close()
        self.assertEqual(status, 503)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body), {
            "type": "ServiceUnavailable",
            "message": "All 1 workers are busy and 0 requests are waiting already"})


class Stats(unittest.TestCase):
    def test_fields_and_counts(self):
        with Server("--delay", "0.05") as s:
            s.get("/users/1")
            s.get("/users?name=j")
            s.get("/nope")
            s.get("/")
            s.get("/users/1", method="POST")
            # that /_stats never waits: test_stats_load.py (answered while
            # 5,000 wait); how long it takes: tools/bench/bench_test_figures.sh
            status, stats = s.get_json("/_stats")
        self.assertEqual(status, 200)
        self.assertEqual(set(stats), {"uptime", "in_flight", "in_flight_max", "queued",
                                      "requests", "faults", "delay", "cpu", "phase",
                                      "schedule", "server_timing"})
        self.assertEqual((stats["phase"], stats["schedule"]), (None, None))
        # every answer but /_stats' carries Server-Timing: the 5 above
        self.assertEqual(stats["server_timing"]["count"], 5)
        self.assertEqual(set(stats["requests"]), {"total", "by_status", "by_route"})
        self.assertEqual(stats["requests"]["total"], 5)
        self.assertEqual(stats["requests"]["by_status"], {"200": 3, "404": 1, "405": 1})
        self.assertEqual(stats["requests"]["by_route"], {
            "users": 1, "user": 2, "customers": 0, "customer": 0, "root": 1, "stats": 0,
            "other": 1, "metrics": 0})
        self.assertEqual(stats["faults"], {"fail": 0, "reset": 0, "hang": 0})
        self.assertEqual((stats["in_flight"], stats["in_flight_max"], stats["queued"]),
                         (0, 1, 0))
        for key in ("p50", "p99", "max"):
            self.assertTrue(0.05 <= stats["delay"][key] < 0.1, stats["delay"])
        self.assertGreater(stats["uptime"], 0)

    def test_queued_and_in_flight_now(self):
        with Server("--delay", "0.5", "--workers", "1") as s:
            socks = open_requests(s.port, 3)
            try:
                self.assertTrue(wait_until(
                    lambda: s.get_json("/_stats")[1]["in_flight"] == 3, 2))
                _, stats = s.get_json("/_stats")
                self.assertEqual((stats["queued"], stats["in_flight_max"]), (2, 3))
            finally:
                for sock in socks:
                    sock.close()

    def test_no_stats_and_methods(self):
        with Server("--delay", "0", "--no-stats") as s:
            status, body = s.get_json("/_stats")
            self.assertEqual((status, body["type"]), (404, "NotFound"))
        with Server("--delay", "0") as s:
            status, headers, _ = s.get("/_stats", method="POST")
            self.assertEqual((status, headers.get("allow")), (405, "GET"))
            self.assertEqual(s.get("/_stats/x")[0], 404)

    def test_summary_line_at_the_stop(self):
        with Server("--delay", "0", "--fail", "1") as s:
            for _ in range(3):
                s.get("/customers/1")
        lines = s.stderr.splitlines()
        self.assertEqual(len(lines), 1, s.stderr)
        self.assertIn("stopped: 3 requests", lines[0])
        self.assertIn("(500: 3)", lines[0])
        self.assertIn("faults: fail 3, reset 0, hang 0", lines[0])


class BadOptions(unittest.TestCase):
    def test_one_line_and_exit_2(self):
        cases = [
            (["--delay", "exp:-1"], "--delay: expected exp:MEAN with MEAN seconds > 0 and "
                                    "<= 3600, got 'exp:-1'"),
            (["--delay", "exp:0"], "--delay: expected exp:MEAN"),
            (["--delay", "uniform:3,1"], "expected uniform:A,B with A <= B, got 'uniform:3,1'"),
            (["--delay", "lognormal:1,0.5"], "expected lognormal:MEDIAN,P99 with P99 > MEDIAN"),
            (["--delay", "pareto:1"], "unknown distribution 'pareto'"),
            (["--delay", "4000"], "--delay: expected seconds 0..3600 or uniform:A,B, "
                                  "exp:MEAN or lognormal:MEDIAN,P99, got '4000'"),
            (["--fail", "1.5"], "--fail: expected a fraction 0..1, got '1.5'"),
            (["--fail", "abc"], "--fail: expected a fraction 0..1, got 'abc'"),
            (["--reset", "-0.1"], "--reset"),
            (["--hang", "nan"], "--hang"),
            (["--fail", "0.6", "--hang", "0.6"],
             "--fail + --reset + --hang must be at most 1, got 1.2"),
            (["--route-delay", "nosuch=1"], "--route-delay: unknown route 'nosuch'"),
            (["--route-delay", "users"], "--route-delay: expected ROUTE=SPEC, got 'users'"),
            (["--route-delay", "users=exp:x"], "--route-delay users: expected exp:MEAN"),
            (["--queue-max", "4"], "--queue-max needs --workers"),
            (["--queue-max", "-1", "--workers", "2"], "--queue-max"),
            (["--seed", "-1"], "--seed"), (["--seed", "x"], "--seed"),
            (["--max-delay", "x"], "--max-delay"),
        ]
        for args, words in cases:
            with self.subTest(args=args):
                rc, out, err = run(["serve", "--port", "0"] + args)
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertTrue(err.startswith("dockscript serve: "), err)
                self.assertIn(words, err)

    def test_help_names_every_option(self):
        rc, out, err = run(["serve", "--help"])
        for opt in ("--delay SPEC", "--route-delay", "--seed", "--client-delay",
                    "--max-delay", "--fail", "--reset", "--hang", "--queue-max", "--no-stats"):
            self.assertIn(opt, out)

    def test_start_line_names_the_settings(self):
        with Server("--delay", "exp:0.2", "--seed", "7", "--workers", "2", "--queue-max", "3",
                    "--fail", "0.01", "--route-delay", "users=0.1") as s:
            pass
        self.assertEqual(s.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
