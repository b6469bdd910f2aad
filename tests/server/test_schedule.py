"""--schedule (server.start{schedule = ...}): phases that override the
options inside their window. Requests inside a fail window fail at about
its fraction and those outside never; a delay window, a hang window ended
by --timeout, a route's delay and client delays in a phase; the clock from
the first API request or from the start; /_stats names the active phase
and counts each phase's requests; every bad schedule is one line and exit
2 (a Lua error from server.start). Windows are 1-2 s to keep it fast."""
import http.client
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import HOST, LuaServer, Server, read_until_close, run, waited_ms  # noqa: E402


def sweep(server, seconds, path="/users/1", gap=0.01, headers=None):
    """GETs one after another on one keep-alive connection for `seconds`
    from the first send: [(sent at, status, seconds taken, (queue, delay)
    ms by the answer's Server-Timing)]."""
    c = http.client.HTTPConnection(HOST, server.port, timeout=10)
    out = []
    start = time.monotonic()
    try:
        while time.monotonic() - start < seconds and len(out) < 2000:
            t0 = time.monotonic()
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            r.read()
            waited = waited_ms({k.lower(): v for k, v in r.getheaders()})
            out.append((t0 - start, r.status, time.monotonic() - t0, waited))
            time.sleep(gap)
    finally:
        c.close()
    return out


def phases_logged(stderr):
    """The phase= of each logged API request, in order ('' for none)."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("GET /users") or line.startswith("GET /customers"):
            m = re.search(r" phase=(\S+)", line)
            out.append(m.group(1) if m else "")
    return out


class Windows(unittest.TestCase):
    def test_fail_window(self):
        with Server("--delay", "0", "--log", "--schedule", "1s-2s fail=0.5") as s:
            got = sweep(s, 3.0)
            _, stats = s.get_json("/_stats")
            s.stop()
        # by the server's clock: the log names the phase of each request
        logged = phases_logged(s.stderr)
        self.assertEqual(len(logged), len(got))
        inside = [st for (_, st, _, _), ph in zip(got, logged) if ph == "1s-2s"]
        outside = [st for (_, st, _, _), ph in zip(got, logged) if ph == ""]
        self.assertEqual(len(inside) + len(outside), len(got))
        self.assertGreater(len(inside), 30, len(got))
        self.assertEqual(set(outside), {200})
        self.assertEqual(set(inside), {200, 500})
        self.assertTrue(0.3 <= inside.count(500) / len(inside) <= 0.7,
                        (inside.count(500), len(inside)))
        # and by the client's: well inside the window means inside it
        for sent, status, _, _ in got:
            if sent < 0.9 or sent > 2.1:
                self.assertEqual(status, 200, sent)
        middle = [st for sent, st, _, _ in got if 1.1 < sent < 1.9]
        self.assertTrue(all(ph == "1s-2s" for (sent, _, _, _), ph in zip(got, logged)
                            if 1.1 < sent < 1.9))
        self.assertGreater(len(middle), 20)
        phase = stats["schedule"]["phases"][0]
        self.assertEqual((phase["name"], phase["start"], phase["end"]),
                         ("1s-2s fail=0.5", 1.0, 2.0))
        self.assertEqual(phase["requests"], len(inside))
        self.assertEqual(stats["faults"]["fail"], inside.count(500))

    def test_delay_window(self):
        with Server("--delay", "0", "--schedule", "0.5s-1500ms delay=0.2") as s:
            got = sweep(s, 2.2)
        for sent, status, took, waited in got:
            self.assertEqual(status, 200)
            if 0.6 < sent < 1.3:
                self.assertGreaterEqual(took, 0.2, sent)
                self.assertLess(took, 0.4, sent)
            elif sent < 0.4 or sent > 1.6:
                # outside the window: no wait, by the server's account
                self.assertEqual(waited, (0.0, 0.0), sent)

    def test_hang_window_ends_at_the_timeout(self):
        with Server("--delay", "0", "--timeout", "1", "--schedule", "0s-1s hang=1") as s:
            sock = socket.create_connection((HOST, s.port), timeout=5)
            try:
                t0 = time.monotonic()
                sock.sendall(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
                out = read_until_close(sock, 4)
                took = time.monotonic() - t0
            finally:
                sock.close()
            # no answer at all, and closed by --timeout
            self.assertEqual(out, b"")
            self.assertGreaterEqual(took, 0.95)
            self.assertLess(took, 2.5)
            # the window is over: answered again
            self.assertEqual(s.get("/users/1")[0], 200)
            _, stats = s.get_json("/_stats")
            self.assertEqual(stats["faults"]["hang"], 1)
            self.assertIsNone(stats["phase"])

    def test_route_and_client_delay_in_a_phase(self):
        sched = "0s-1.5s route-delay=users=0.3 client-delay=true max-delay=0.25"
        with Server("--delay", "0", "--schedule-from", "start", "--schedule", sched) as s:
            t0 = time.monotonic()
            status, _, _ = s.get("/users")
            self.assertEqual(status, 200)
            self.assertGreaterEqual(time.monotonic() - t0, 0.3)
            self.assertEqual(waited_ms(s.get("/customers")[1]), (0.0, 0.0), "no route delay")
            t0 = time.monotonic()
            s.get("/customers/1", headers={"X-Delay": "5"})   # cut to max-delay
            took = time.monotonic() - t0
            self.assertGreaterEqual(took, 0.25)
            self.assertLess(took, 0.45)
            while time.monotonic() - t0 < 1.6:
                time.sleep(0.05)
            # the options as given again: no route delay, X-Delay ignored
            self.assertEqual(waited_ms(s.get("/users", headers={"X-Delay": "5"})[1]), (0.0, 0.0))


class Clock(unittest.TestCase):
    SCHED = "0s-1s fail=1"

    def test_from_the_first_api_request(self):
        with Server("--delay", "0", "--schedule", self.SCHED) as s:
            _, stats = s.get_json("/_stats")
            self.assertIsNone(stats["phase"])
            self.assertIsNone(stats["schedule"]["elapsed"])
            self.assertEqual(stats["schedule"]["from"], "first-request")
            # neither "/" nor /_stats starts the clock
            self.assertEqual(s.get("/")[0], 200)
            time.sleep(1.2)
            self.assertEqual(s.get("/users/1")[0], 500)
            _, stats = s.get_json("/_stats")
            self.assertEqual(stats["phase"], self.SCHED)
            self.assertTrue(0 <= stats["schedule"]["elapsed"] < 0.5, stats["schedule"])
            self.assertEqual(stats["schedule"]["phases"][0]["requests"], 1)
            time.sleep(1.0)
            self.assertEqual(s.get("/users/1")[0], 200)
            _, stats = s.get_json("/_stats")
            self.assertIsNone(stats["phase"])
            self.assertGreater(stats["schedule"]["elapsed"], 1.0)

    def test_from_the_start(self):
        with Server("--delay", "0", "--schedule-from", "start", "--schedule", self.SCHED) as s:
            _, stats = s.get_json("/_stats")
            self.assertEqual(stats["phase"], self.SCHED)
            self.assertEqual(stats["schedule"]["from"], "start")
            self.assertGreaterEqual(stats["schedule"]["elapsed"], 0)
            self.assertEqual(s.get("/users/1")[0], 500)
            deadline = time.monotonic() + 3
            while s.get_json("/_stats")[1]["uptime"] < 1.1 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(s.get("/users/1")[0], 200)
            self.assertIsNone(s.get_json("/_stats")[1]["phase"])

    def test_lua_stats_name_the_phase(self):
        code = ('local srv = server.start{delay = 0, schedule_from = "start", '
                'schedule = "0s-10s fail=1; 20s-21s delay=2"} '
                'local r = http.get(srv.url .. "/users/1") '
                'local st = srv:stats() '
                'print(r.status, st.phase, st.schedule.from, #st.schedule.phases, '
                'st.schedule.phases[1].requests, st.schedule.phases[2]["end"], '
                'st.schedule.elapsed >= 0) srv:stop()')
        rc, out, err = run(["-e", code])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.split("\t"),
                         ["500", "0s-10s fail=1", "start", "2", "1", "21.0", "true\n"])


def serve_error(schedule, *more):
    rc, out, err = run(["serve", "--port", "0", "--schedule", schedule] + list(more))
    assert rc == 2, (schedule, rc, err)
    assert out == "" and err.count("\n") == 1, (out, err)
    m = re.match(r"^dockscript serve: --schedule: (.*) \(see --help\)\n$", err)
    assert m, err
    return m.group(1)


def lua_error(schedule):
    code = ("local ok, err = pcall(server.start, {schedule = %r}) "
            "io.write(ok and 'started' or tostring(err))" % schedule)
    rc, out, err = run(["-e", code])
    assert rc == 0, err
    prefix = "server.start: 'schedule': "
    assert out.startswith(prefix), out
    return out[len(prefix):]


class BadSchedules(unittest.TestCase):
    CASES = [
        ("10s-15s fail=0.5; 12s-20s delay=1", "'12s-20s delay=1' overlaps '10s-15s fail=0.5'"),
        ("15s-10s fail=0.5", "'15s-10s fail=0.5': the end 10s must be after the start 15s"),
        ("1s-2s fial=0.5", "'1s-2s fial=0.5': unknown key 'fial'; did you mean 'fail'?"),
        ("1s-2s workers=2", "'1s-2s workers=2': workers cannot change in a phase (a phase "
                            "sets delay, route-delay, client-delay, max-delay, fail, reset "
                            "or hang)"),
        ("1s-2s fail=2", "'1s-2s fail=2': fail: expected a fraction 0..1, got '2'"),
        ("1s-2s delay=zipf:1", "'1s-2s delay=zipf:1': delay: unknown distribution 'zipf' "
                               "(use uniform:A,B, exp:MEAN or lognormal:MEDIAN,P99), got "
                               "'zipf:1'"),
        ("1q-2s fail=1", "'1q-2s fail=1': bad time '1q' (e.g. 10s, 500ms, 1m30s; at most 7 "
                         "days)"),
        ("1s-2s", "'1s-2s': expected KEY=VALUE after the window"),
        ("fail=1", "'fail=1': expected START-END (e.g. 10s-15s) first, got 'fail=1'"),
    ]

    def test_one_line_exit_2(self):
        for schedule, want in self.CASES:
            with self.subTest(schedule=schedule):
                self.assertEqual(serve_error(schedule), want)

    def test_same_message_from_server_start(self):
        for schedule, want in self.CASES:
            with self.subTest(schedule=schedule):
                self.assertEqual(lua_error(schedule), want)

    def test_the_options_as_given_count(self):
        self.assertEqual(serve_error("1s-2s hang=0.6", "--fail", "0.5"),
                         "'1s-2s hang=0.6': fail + reset + hang must be at most 1, got 1.1")

    def test_schedule_from(self):
        rc, out, err = run(["serve", "--port", "0", "--schedule-from", "end"])
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "dockscript serve: --schedule-from: expected first-request or "
                              "start, got 'end' (see --help)\n")

    def test_uncaught_in_a_script(self):
        rc, out, err = run(["-e", "server.start{schedule = '2s-1s fail=1'}"])
        self.assertEqual(rc, 1, err)
        self.assertIn("server.start: 'schedule': '2s-1s fail=1': the end 1s must be after "
                      "the start 2s", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
