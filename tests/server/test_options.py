"""The server's options have one table behind both front ends: a typo gets
"did you mean" from `dockscript serve` (exit 2) and from server.start; the
same bad value gets the same message from both, naming --flag or 'key';
and both start with the same defaults."""
import os
import re
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import LuaServer, Server, run  # noqa: E402


def serve_error(args):
    """`dockscript serve ARGS` must fail as a usage error: its one line,
    without the command's prefix and the --help hint."""
    rc, out, err = run(["serve", "--port", "0"] + args)
    assert rc == 2, (args, rc, err)
    assert out == "", out
    assert err.count("\n") == 1, err
    m = re.match(r"^dockscript serve: (.*) \(see --help\)\n$", err)
    assert m, err
    return m.group(1)


def lua_error(opts):
    """The message server.start(OPTS) raises, without its prefix."""
    code = ("local ok, err = pcall(server.start, %s) "
            "io.write(ok and 'started' or tostring(err))" % opts)
    rc, out, err = run(["-e", code])
    assert rc == 0, err
    assert out.startswith("server.start: "), out
    return out[len("server.start: "):]


def as_keys(serve_message):
    """serve's message with every --flag spelled as server.start's key."""
    m = re.sub(r"--route-delay (\w+)", r"'route_delay.\1'", serve_message)
    return re.sub(r"--([a-z-]+)", lambda f: "'%s'" % f.group(1).replace("-", "_"), m)


class Typos(unittest.TestCase):
    def test_serve_did_you_mean(self):
        cases = [
            (["--dely", "0.1"], "unknown option '--dely'; did you mean '--delay'?"),
            (["--dely=0.1"], "unknown option '--dely'; did you mean '--delay'?"),
            (["--wrokers", "2"], "unknown option '--wrokers'; did you mean '--workers'?"),
            (["--no-stat"], "unknown option '--no-stat'; did you mean '--no-stats'?"),
            (["--quite"], "unknown option '--quite'; did you mean '--quiet'?"),
            (["-port", "80"], "unknown option '-port'; did you mean '--port'?"),
            # getopt_long's abbreviations are not taken: a new option must not
            # change what an old command line means
            (["--del", "0.1"], "unknown option '--del'; did you mean '--delay'?"),
            (["--bogus"], "unknown option '--bogus'"),
            (["--d", "1"], "unknown option '--d'"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                self.assertEqual(serve_error(args), want)

    def test_serve_typo_exact_line(self):
        rc, out, err = run(["serve", "--dely", "0.1"])
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "dockscript serve: unknown option '--dely'; did you mean "
                              "'--delay'? (see --help)\n")

    def test_server_start_did_you_mean(self):
        self.assertEqual(lua_error("{dely = 1}"), "unknown option 'dely'; did you mean 'delay'?")
        self.assertEqual(lua_error("{port = 0, wokers = 2}"),
                         "unknown option 'wokers'; did you mean 'workers'?")
        # the flag's spelling for the key's
        self.assertEqual(lua_error("{['max-delay'] = 1}"),
                         "unknown option 'max-delay'; did you mean 'max_delay'?")
        self.assertEqual(lua_error("{bogus = 1}"), "unknown option 'bogus'")

    def test_uncaught_typo_in_a_script(self):
        rc, out, err = run(["-e", "server.start{dely = 1}"])
        self.assertEqual(rc, 1, err)
        self.assertIn("server.start: unknown option 'dely'; did you mean 'delay'?", err)


class SameMessages(unittest.TestCase):
    # (serve's arguments, server.start's options): the same mistake
    CASES = [
        (["--port", "70000"], "{port = 70000}"),
        (["--port", "abc"], "{port = 'abc'}"),
        (["--port", "1.5"], "{port = 1.5}"),
        (["--fail", "2"], "{fail = 2}"),
        (["--reset", "-0.1"], "{reset = -0.1}"),
        (["--max-delay", "4000"], "{max_delay = 4000}"),
        (["--timeout", "1000000"], "{timeout = 1e6}"),
        (["--workers", "1000001"], "{workers = 1000001}"),
        (["--seed", "1.5"], "{seed = 1.5}"),
        (["--host", ""], "{host = ''}"),
        (["--delay", "4000"], "{delay = 4000}"),
        (["--delay", "exp:-1"], "{delay = 'exp:-1'}"),
        (["--delay", "pareto:1"], "{delay = 'pareto:1'}"),
        (["--route-delay", "users=exp:0"], "{route_delay = {users = 'exp:0'}}"),
        (["--route-delay", "nosuch=1"], "{route_delay = {nosuch = 1}}"),
        (["--fail", "0.6", "--hang", "0.6"], "{fail = 0.6, hang = 0.6}"),
        (["--queue-max", "4"], "{queue_max = 4}"),
        (["--workers", "2", "--queue-max", "1000001"], "{workers = 2, queue_max = 1000001}"),
    ]

    def test_same_message_from_both_front_ends(self):
        for args, opts in self.CASES:
            with self.subTest(args=args):
                self.assertEqual(as_keys(serve_error(args)), lua_error(opts))

    def test_range_messages(self):
        self.assertEqual(serve_error(["--port", "70000"]),
                         "--port: expected an integer 0..65535, got '70000'")
        self.assertEqual(lua_error("{port = 70000}"),
                         "'port': expected an integer 0..65535, got '70000'")
        self.assertEqual(serve_error(["--fail", "2"]), "--fail: expected a fraction 0..1, got '2'")
        self.assertEqual(lua_error("{fail = 2}"), "'fail': expected a fraction 0..1, got '2'")


class Help(unittest.TestCase):
    def test_help_is_the_table(self):
        rc, out, err = run(["serve", "--help"])
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[0], "usage: dockscript serve [OPTIONS]")
        for line in lines:
            self.assertLessEqual(len(line), 79, line)
        # every option once, in order, each line's text in one column
        flags = [line.split()[0] for line in lines if line.startswith("  --")]
        self.assertEqual(flags, ["--host", "--port", "--delay", "--route-delay", "--seed",
                                 "--client-delay", "--max-delay", "--fail", "--reset",
                                 "--hang", "--schedule", "--schedule-from", "--workers",
                                 "--queue-max", "--no-stats", "--no-server-timing", "--data",
                                 "--timeout", "--log", "--tls-cert", "--tls-key",
                                 "--tls-self-signed", "--help"])
        for line in lines[2:-2]:
            # a flag column too wide for the gap stands alone on its line
            self.assertRegex(line, r"^  --\S.{17} \S|^ {23}\S|^  --\S+( [A-Z]+)?$", line)
        text = " ".join(out.split())
        for shown in ("--host ADDR listen address (default 127.0.0.1)",
                      "--port N TCP port; 0 picks a free port (default 5000)",
                      "(default 0.5)", "--seed S seed of the delay and fault draws (default 1)",
                      "--max-delay SECONDS longest X-Delay honoured; longer is cut (default 60)",
                      "0 = unlimited (default 0)", "0 = never (default 10)",
                      "--log / --quiet access log on stderr on / off (default off)",
                      "--route-delay R=SPEC one route's delay, repeatable"):
            self.assertIn(shown, text)
        # a default is never cut across two lines
        self.assertNotRegex(out, r"\(default\n")


class SameDefaults(unittest.TestCase):
    """Started with nothing but a free port, serve and server.start run the
    same server: delay 0.5 s on every API route, no client delays, unlimited
    workers, /_stats on, seed 1."""

    def timed_get(self, srv, path, headers=None):
        t0 = time.monotonic()
        status = srv.get(path, headers=headers, timeout=10)[0]
        return status, time.monotonic() - t0

    def observe(self, srv):
        status, took = self.timed_get(srv, "/users/1", {"X-Delay": "0"})
        self.assertEqual(status, 200)
        # 0.5 s, and X-Delay does not count without client delays
        self.assertGreaterEqual(took, 0.5)
        self.assertLess(took, 0.9)
        # 8 at once: no slot limit (one slot would take 4 s)
        times = []
        threads = [threading.Thread(target=lambda: times.append(self.timed_get(srv, "/users/2")))
                   for _ in range(8)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual([s for s, _ in times], [200] * 8)
        self.assertLess(time.monotonic() - t0, 2.0)
        status, stats = srv.get_json("/_stats")
        self.assertEqual(status, 200)
        self.assertEqual(stats["requests"]["by_route"]["user"], 9)
        return stats["delay"]["p50"]

    def test_defaults_match(self):
        with Server() as serve:
            serve_p50 = self.observe(serve)
        with LuaServer() as lua:
            self.assertTrue(lua.url.startswith("http://127.0.0.1:"))
            lua_p50 = self.observe(lua)
        self.assertAlmostEqual(serve_p50, 0.5, delta=0.02)
        self.assertAlmostEqual(lua_p50, 0.5, delta=0.02)

    def test_same_default_seed(self):
        # the access log shows each request's draw: the same default seed
        # draws the same delays
        def delays(srv):
            for _ in range(5):
                self.assertEqual(srv.get("/users/1", timeout=10)[0], 200)
            srv.stop()
            return re.findall(r"delay=([0-9.]+)", srv.stderr)

        with Server("--delay", "uniform:0,0.05", "--log") as serve:
            from_serve = delays(serve)
        with LuaServer("{delay = 'uniform:0,0.05', log = true}") as lua:
            from_lua = delays(lua)
        self.assertEqual(len(from_serve), 5, from_serve)
        self.assertEqual(from_serve, from_lua)
        self.assertEqual(len(set(from_serve)), 5, from_serve)


if __name__ == "__main__":
    unittest.main(verbosity=2)
