"""`dockscript serve` as a command: options, exit codes, --data files,
port in use, graceful stop on SIGTERM/SIGINT, the access log."""
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import Server, HOST, run  # noqa: E402


class Options(unittest.TestCase):
    def test_help(self):
        rc, out, err = run(["serve", "--help"])
        self.assertEqual(rc, 0)
        for opt in ("--host", "--port", "--delay", "--workers", "--data", "--log", "--quiet"):
            self.assertIn(opt, out)

    def test_usage_errors_exit_2_with_one_line(self):
        cases = [
            (["--port", "abc"], "--port"), (["--port", "70000"], "--port"),
            (["--port", "-1"], "--port"), (["--delay", "-1"], "--delay"),
            (["--delay", "nan"], "--delay"), (["--delay", "x"], "--delay"),
            (["--workers", "two"], "--workers"), (["--timeout", "-3"], "--timeout"),
            (["--bogus"], "--bogus"), (["stray"], "stray"), (["--port"], "--port"),
            (["--host", "not a host"], "not a host"),
        ]
        for args, word in cases:
            with self.subTest(args=args):
                rc, out, err = run(["serve"] + args)
                self.assertEqual(rc, 2, err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertTrue(err.startswith("dockscript serve: "), err)
                self.assertIn(word, err)

    def test_equals_form(self):
        with Server("--delay=0", "--workers=3") as s:
            self.assertEqual(s.get("/users/1")[0], 200)


class DataFiles(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_bad_files(self):
        good_user = '{"id":"1","name":"A","role":"sales"}'
        cases = {
            "missing.json": (None, "No such file"),
            "notjson.json": ("{users: []}", "not valid JSON: line 1, column 2: "),
            "truncated.json": ('{"users":[', "not valid JSON: line 1, column 11: "),
            "empty.json": ("", "not valid JSON: line 1, column 1: "),
            "badline.json": ('{"users": [],\n "customers": [\n   1,]}',
                             "not valid JSON: line 3, column 6: "),
            "array.json": ("[]", "expected an object"),
            "number.json": ("42", "expected an object"),
            "nousers.json": ('{"customers":[]}', 'missing field "users"'),
            "nocustomers.json": ('{"users":[]}', 'missing field "customers"'),
            "usersobj.json": ('{"users":{"a":1},"customers":[]}',
                              '"users" must be an array, got object'),
            "usersstr.json": ('{"users":"x","customers":[]}', '"users" must be an array, got string'),
            "extra.json": ('{"users":[],"customers":[],"x":1}', 'unknown top-level field "x"'),
            "notobj.json": ('{"users":[1],"customers":[]}', "users[0] must be an object, got number"),
            "arrayrec.json": ('{"users":[["1"]],"customers":[]}',
                              "users[0] must be an object, got array"),
            "nullfield.json": ('{"users":[{"id":"1","name":null,"role":"r"}],"customers":[]}',
                               "users[0].name must be a string, got null"),
            "nulbyte.json": ('{"users":[{"id":"1","name":"a\\u0000b","role":"r"}],"customers":[]}',
                             "users[0].name contains a NUL character"),
            "missingfield.json": ('{"users":[{"id":"1","name":"A"}],"customers":[]}',
                                  'users[0]: missing field "role"'),
            "numid.json": ('{"users":[{"id":1,"name":"A","role":"r"}],"customers":[]}',
                           "users[0].id must be a string, got number"),
            "unknownfield.json": ('{"users":[{"id":"1","name":"A","role":"r","age":3}],'
                                  '"customers":[]}', 'unknown field "age"'),
            "dupuser.json": ('{"users":[%s,\n%s],"customers":[]}' % (good_user, good_user),
                             'duplicate user id "1" (users[0] and users[1])'),
            "dupcustomer.json": ('{"users":[],"customers":[{"id":"7","name":"a","salesId":"1"},'
                                 '{"id":"7","name":"b","salesId":"2"}]}',
                                 'duplicate customer id "7" (customers[0] and customers[1])'),
            "emptyid.json": ('{"users":[{"id":"","name":"A","role":"r"}],"customers":[]}',
                             "empty id"),
        }
        for name, (text, problem) in cases.items():
            with self.subTest(name=name):
                path = os.path.join(self.dir.name, name) if text is None else self.write(name, text)
                rc, out, err = run(["serve", "--port", "0", "--data", path])
                self.assertEqual(rc, 2, err)
                self.assertEqual(out, "")
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertIn(path, err)
                self.assertIn(problem, err)

    def test_directory_is_rejected(self):
        rc, out, err = run(["serve", "--port", "0", "--data", self.dir.name])
        self.assertEqual(rc, 2, err)
        self.assertIn(self.dir.name, err)

    def test_custom_data_is_served_in_id_order(self):
        data = {"users": [{"id": "10", "name": "Ten Zéro", "role": "sales"},
                          {"id": "2", "name": "Two \"Q\"", "role": "Sales"},
                          {"id": "b", "name": "Bee", "role": "x"}],
                "customers": [{"id": "3", "name": "C3", "salesId": "10"},
                              {"id": "1", "name": "C1", "salesId": "10"},
                              {"id": "2", "name": "C2", "salesId": "2"}]}
        path = self.write("ok.json", json.dumps(data))
        with Server("--delay", "0", "--data", path) as s:
            status, users = s.get_json("/users?role=sales")
            self.assertEqual([u["id"] for u in users], ["2", "10"])
            self.assertEqual(users[1]["name"], "Ten Zéro")
            self.assertEqual(s.get_json("/users/2")[1]["name"], 'Two "Q"')
            status, cs = s.get_json("/customers?salesId=10")
            self.assertEqual([c["id"] for c in cs], ["1", "3"])
            self.assertEqual([c["id"] for c in s.get_json("/customers")[1]], ["1", "2", "3"])
            self.assertEqual(s.get_json("/users/1")[0], 404)


class Lifecycle(unittest.TestCase):
    def test_port_in_use_exit_1(self):
        busy = socket.socket()
        busy.bind((HOST, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        try:
            rc, out, err = run(["serve", "--port", port])
        finally:
            busy.close()
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(str(port), err)
        self.assertIn("in use", err)

    def test_start_line(self):
        with Server("--delay", "0.25", "--workers", "8") as s:
            pass
        self.assertEqual(s.returncode, 0)

    def graceful(self, sig):
        """A request in flight when the signal comes still gets its answer."""
        with Server("--delay", "0.5") as s:
            result = {}

            def client():
                t0 = time.monotonic()
                result["status"] = s.get("/users/1", timeout=5)[0]
                result["elapsed"] = time.monotonic() - t0

            t = threading.Thread(target=client)
            t.start()
            time.sleep(0.15)
            t0 = time.monotonic()
            rc = s.stop(sig)
            stop_time = time.monotonic() - t0
            t.join(5)
            self.assertEqual(rc, 0, s.stderr)
            self.assertEqual(result.get("status"), 200)
            self.assertGreaterEqual(result["elapsed"], 0.5)
            self.assertLess(stop_time, 3.0)
            with self.assertRaises(OSError):
                socket.create_connection((HOST, s.port), timeout=2).close()

    def test_sigterm_graceful(self):
        self.graceful(signal.SIGTERM)

    def test_sigint_graceful(self):
        self.graceful(signal.SIGINT)

    def test_stop_with_a_long_workers_queue_is_bounded(self):
        with Server("--delay", "0.5", "--workers", "1") as s:
            results = []

            def client():
                try:
                    results.append(s.get("/users/2", timeout=10)[0])
                except OSError as e:
                    results.append(repr(e))

            threads = [threading.Thread(target=client) for _ in range(20)]
            for t in threads:
                t.start()
            time.sleep(0.3)
            t0 = time.monotonic()
            self.assertEqual(s.stop(), 0)
            self.assertLess(time.monotonic() - t0, 4.0)
            for t in threads:
                t.join(10)
            self.assertEqual(results, [200] * 20)

    def test_stop_does_not_wait_for_unfinished_headers(self):
        # in flight means read: a client still sending its headers is closed
        # at once, like one in the listen backlog (it used to hold the stop
        # for the drain time and 1 s more: 2.5 s here)
        with Server("--delay", "0.5") as s:
            c = socket.create_connection((HOST, s.port), timeout=5)
            try:
                c.sendall(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n")
                time.sleep(0.2)
                t0 = time.monotonic()
                self.assertEqual(s.stop(), 0)
                self.assertLess(time.monotonic() - t0, 1.0)
                try:
                    got = c.recv(100)
                except ConnectionResetError:
                    got = b""
                self.assertEqual(got, b"")   # closed, no answer
            finally:
                c.close()

    def test_access_log(self):
        with Server("--delay", "0", "--log") as s:
            s.get("/users?name=john")
            s.get("/nope")
        lines = s.stderr.splitlines()
        self.assertTrue(any("GET /users?name=john 200" in line for line in lines), lines)
        self.assertTrue(any("GET /nope 404" in line for line in lines), lines)

    def test_quiet_is_default_but_the_stop_says_what_was_served(self):
        with Server("--delay", "0") as s:
            s.get("/users")
            s.get("/nope")
        self.assertEqual(len(s.stderr.splitlines()), 1, s.stderr)
        self.assertRegex(s.stderr, r"^dockscript serve: stopped: 2 requests in [0-9.]+ s "
                                   r"\(200: 1, 404: 1\); in flight at most 1; ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
