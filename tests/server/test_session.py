"""Sessions of the Docking API (docs/serve.md, "Sessions"): POST /login by form
or JSON sets a `session` cookie, GET /me answers its user or 401, POST /logout
ends it; bad bodies, wrong methods, keep-alive, and the delay /login waits."""
import http.client
import json
import sys
import unittest

sys.path.insert(0, __import__("os").path.dirname(__file__))
from dsserve import Server, HOST  # noqa: E402

U1 = {"id": "1", "name": "John Liu", "role": "sales"}
U2 = {"id": "2", "name": "William Ott", "role": "sales"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def cookie_of(headers):
    """The session token a Set-Cookie header gives, and its attributes."""
    parts = [p.strip() for p in headers["set-cookie"].split(";")]
    name, _, value = parts[0].partition("=")
    assert name == "session", headers
    return value, parts[1:]


class Sessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--delay", "0").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def login(self, body, headers=FORM):
        return self.srv.get("/login", method="POST", headers=headers, body=body)

    def me(self, token):
        headers = {"Cookie": "session=" + token} if token is not None else {}
        status, h, body = self.srv.get("/me", headers=headers)
        return status, json.loads(body)

    def test_login_form_and_json(self):
        status, headers, body = self.login("name=john")
        self.assertEqual((status, json.loads(body)), (200, U1))
        self.assertEqual(headers["content-type"], "application/json")
        token, attrs = cookie_of(headers)
        self.assertRegex(token, "^[0-9a-f]{40}$")
        self.assertIn("HttpOnly", attrs)
        self.assertIn("Path=/", attrs)
        status, headers, body = self.login(json.dumps({"name": "William Ott", "x": [1]}), JSON)
        self.assertEqual((status, json.loads(body)), (200, U2))
        # no Content-Type is a form, as curl -d sends it
        self.assertEqual(self.login("name=Liu", headers={})[0], 200)

    def test_two_sessions_keep_their_users(self):
        john = cookie_of(self.login("name=john")[1])[0]
        william = cookie_of(self.login('{"name": "william"}', JSON)[1])[0]
        self.assertNotEqual(john, william)
        self.assertEqual(self.me(john), (200, U1))
        self.assertEqual(self.me(william), (200, U2))
        self.assertEqual(self.me(john), (200, U1))

    def test_me_logged_out(self):
        for token in (None, "", "nonsense", "0" * 40, "ffffffff" + "0" * 32):
            with self.subTest(token=token):
                status, body = self.me(token)
                self.assertEqual(status, 401)
                self.assertEqual(body["type"], "Unauthorized")

    def test_logout(self):
        token = cookie_of(self.login("name=john")[1])[0]
        status, headers, body = self.srv.get("/logout", method="POST",
                                             headers={"Cookie": "session=" + token})
        self.assertEqual((status, body), (204, ""))
        value, attrs = cookie_of(headers)
        self.assertEqual(value, "")
        self.assertIn("Max-Age=0", attrs)
        self.assertEqual(self.me(token)[0], 401)

    def test_bad_logins(self):
        cases = [
            ("name=jo", FORM, 401, "Unauthorized", "2 users"),   # John Liu, Jordan Lin
            ("name=nobody", FORM, 401, "Unauthorized", "nobody"),
            ("", FORM, 400, "BadRequest", "needs a name"),
            ("nam=john", FORM, 400, "BadRequest", "needs a name"),
            ("name=a%00", FORM, 400, "BadRequest", "NUL"),
            ('{"name": 1}', JSON, 400, "BadRequest", "needs a name"),
            ('{"name": "john"', JSON, 400, "BadRequest", "not a JSON object"),
            ('["john"]', JSON, 400, "BadRequest", "not a JSON object"),
            ("name=john", {"Content-Type": "text/plain"}, 415, "UnsupportedMediaType",
             "text/plain"),
            ("name=" + "j" * 5000, FORM, 413, "PayloadTooLarge", "4096"),
        ]
        for body, headers, status, kind, text in cases:
            with self.subTest(body=body[:40], headers=headers):
                got, h, answer = self.login(body, headers)
                self.assertEqual(got, status)
                self.assertNotIn("set-cookie", h)
                answer = json.loads(answer)
                self.assertEqual(answer["type"], kind)
                self.assertIn(text, answer["message"])

    def test_methods(self):
        for path, allow, methods in (("/login", "POST", ("GET", "PUT", "DELETE")),
                                     ("/logout", "POST", ("GET", "PATCH")),
                                     ("/me", "GET", ("POST", "PUT", "DELETE"))):
            for method in methods:
                with self.subTest(path=path, method=method):
                    status, headers, body = self.srv.get(path, method=method)
                    self.assertEqual(status, 405)
                    self.assertEqual(headers["allow"], allow)
        # the other routes still take GET only
        status, headers, _ = self.srv.get("/users", method="POST", body="name=john")
        self.assertEqual((status, headers["allow"]), (405, "GET"))

    def test_keep_alive(self):
        """Login, me and logout on one connection, none answered with close."""
        c = http.client.HTTPConnection(HOST, self.srv.port, timeout=5)
        try:
            c.request("POST", "/login", body="name=william", headers=FORM)
            r = c.getresponse()
            r.read()
            token = cookie_of({"set-cookie": r.getheader("set-cookie")})[0]
            sock = c.sock
            for method, path in (("GET", "/me"), ("POST", "/logout"), ("GET", "/me")):
                c.request(method, path, headers={"Cookie": "session=" + token})
                r = c.getresponse()
                r.read()
                self.assertNotEqual((r.getheader("connection") or "").lower(), "close")
            self.assertIs(c.sock, sock, "one connection served all requests")
            self.assertEqual(r.status, 401)
        finally:
            c.close()

    def test_stats_count_them(self):
        def counts():
            requests = json.loads(self.srv.get("/_stats")[2])["requests"]
            return requests["total"], requests["by_route"]["other"]
        total, other = counts()
        self.login("name=john")
        self.me(None)
        # counted, under "other" (by_route names the four lookup routes);
        # the total also counts the first /_stats, done once it answered
        self.assertEqual(counts(), (total + 3, other + 2))


def planned_delay(headers):
    """The delay (ms) the server's Server-Timing says the request waited."""
    for part in headers["server-timing"].split(","):
        name, _, dur = part.strip().partition(";dur=")
        if name == "delay":
            return float(dur)
    raise AssertionError(headers)


class Delays(unittest.TestCase):
    def delays(self, users, user):
        """(login's delay, me's delay) under --route-delay users=.. user=.."""
        with Server("--delay", "0", "--route-delay", "users=%g" % users,
                    "--route-delay", "user=%g" % user) as srv:
            status, headers, _ = srv.get("/login", method="POST", headers=FORM, body="name=john")
            self.assertEqual(status, 200)
            token = cookie_of(headers)[0]
            status, me_headers, _ = srv.get("/me", headers={"Cookie": "session=" + token})
            self.assertEqual(status, 200)
            return planned_delay(headers), planned_delay(me_headers)

    def test_login_waits_as_users_and_me_as_user(self):
        login, me = self.delays(0.3, 0)
        self.assertGreaterEqual(login, 300)
        self.assertEqual(me, 0)
        login, me = self.delays(0, 0.3)
        self.assertEqual(login, 0)
        self.assertGreaterEqual(me, 300)

    def test_injected_faults_apply(self):
        with Server("--delay", "0", "--fail", "1") as srv:
            status, headers, body = srv.get("/login", method="POST", headers=FORM,
                                            body="name=john")
            self.assertEqual(status, 500)
            self.assertNotIn("set-cookie", headers)
            self.assertEqual(srv.get("/me")[0], 500)


if __name__ == "__main__":
    unittest.main(verbosity=2)
