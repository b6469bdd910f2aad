"""Every route and filter of the Docking API, exactly (docs/serve.md, "The Docking
API", and docs/DockingAPIServer.apib): bodies, statuses, headers, key order,
keep-alive."""
import http.client
import sys
import unittest

sys.path.insert(0, __import__("os").path.dirname(__file__))
from dsserve import Server, HOST  # noqa: E402

U1 = {"id": "1", "name": "John Liu", "role": "sales"}
U2 = {"id": "2", "name": "William Ott", "role": "sales"}
U3 = {"id": "3", "name": "Jordan Lin", "role": "manager"}
C = [{"id": "1", "name": "Andy Ziemmer", "salesId": "1"},
     {"id": "2", "name": "Michael Jordan", "salesId": "1"},
     {"id": "3", "name": "Kobe Bryant", "salesId": "2"},
     {"id": "4", "name": "Nick Kamar", "salesId": "2"},
     {"id": "5", "name": "Jack Bledie", "salesId": "2"}]


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--delay", "0").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def json(self, path, status=200):
        got_status, body = self.srv.get_json(path)
        self.assertEqual(got_status, status, path)
        return body

    def test_root(self):
        status, headers, body = self.srv.get("/")
        self.assertEqual((status, body), (200, "Docking API"))
        self.assertTrue(headers["content-type"].startswith("text/plain"))

    def test_users(self):
        self.assertEqual(self.json("/users"), [U1, U2, U3])

    def test_users_filters(self):
        cases = {
            "/users?name=John": [U1],
            "/users?name=john": [U1],
            "/users?name=JOR": [U3],
            "/users?name=li": [U1, U2, U3],      # substring, anywhere
            "/users?name=o": [U1, U2, U3],
            "/users?role=sales": [U1, U2],
            "/users?role=SaL": [U1, U2],
            "/users?role=manager": [U3],
            "/users?role=ag": [U3],
            "/users?role=sales&name=william": [U2],
            "/users?role=manager&name=john": [],
            "/users?name=nobody": [],
            "/users?name=": [U1, U2, U3],        # empty filter: no filter
            "/users?role=&name=": [U1, U2, U3],
            "/users?colour=red": [U1, U2, U3],   # unknown filter: ignored
            "/users?name=John+Liu": [U1],        # + is a space in a query
            "/users?name=john%20LIU": [U1],
            "/users?%6Eame=john": [U1],          # encoded key
            "/users?name=john&name=william": [U1],  # first value wins
            "/users?name=%zz": [],               # odd escapes stay literal
        }
        for path, want in cases.items():
            with self.subTest(path=path):
                self.assertEqual(self.json(path), want)

    def test_user(self):
        for u in (U1, U2, U3):
            self.assertEqual(self.json("/users/" + u["id"]), u)

    def test_customers(self):
        self.assertEqual(self.json("/customers"), C)

    def test_customers_filters(self):
        cases = {
            "/customers?salesId=1": C[0:2],
            "/customers?salesId=2": C[2:5],
            "/customers?salesId=3": [],
            "/customers?salesId=01": [],         # exact, not numeric
            "/customers?salesId=1%20": [],
            "/customers?salesId=": C,            # empty filter: no filter
            "/customers?name=jordan": [C[1]],
            "/customers?name=K": [C[2], C[3], C[4]],
            "/customers?name=k&salesId=2": [C[2], C[3], C[4]],
            "/customers?name=an&salesId=1": [C[0], C[1]],
            "/customers?name=an&salesId=2": [C[2]],
            "/customers?name=ie&salesId=1": [C[0]],
            "/customers?sales=1": C,             # unknown filter: ignored
        }
        for path, want in cases.items():
            with self.subTest(path=path):
                self.assertEqual(self.json(path), want)

    def test_customer(self):
        for c in C:
            self.assertEqual(self.json("/customers/" + c["id"]), c)

    def test_not_found_bodies_exact(self):
        cases = {
            "/users/9": '{"message":"User ID 9 not found","type":"ResourceNotFound"}',
            "/users/99": '{"message":"User ID 99 not found","type":"ResourceNotFound"}',
            "/customers/6": '{"message":"Customer ID 6 not found","type":"ResourceNotFound"}',
            "/users/a%2Fb": '{"message":"User ID a/b not found","type":"ResourceNotFound"}',
            "/users/%22x": '{"message":"User ID \\"x not found","type":"ResourceNotFound"}',
            "/nope": '{"message":"Path /nope not found","type":"NotFound"}',
            "/users/": '{"message":"Path /users/ not found","type":"NotFound"}',
            "/users/1/x": '{"message":"Path /users/1/x not found","type":"NotFound"}',
        }
        for path, want in cases.items():
            with self.subTest(path=path):
                status, headers, body = self.srv.get(path)
                self.assertEqual((status, body), (404, want))
                self.assertEqual(headers["content-type"], "application/json")

    def test_exact_bytes_and_key_order(self):
        status, headers, body = self.srv.get("/customers?salesId=1")
        self.assertEqual(body, '[{"id":"1","name":"Andy Ziemmer","salesId":"1"},'
                               '{"id":"2","name":"Michael Jordan","salesId":"1"}]')
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["content-length"], str(len(body)))
        self.assertEqual(self.srv.get("/users/1")[2],
                         '{"id":"1","name":"John Liu","role":"sales"}')

    def test_other_methods_405(self):
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
            for path in ("/", "/users", "/users/1", "/customers", "/customers/9"):
                with self.subTest(method=method, path=path):
                    status, headers, body = self.srv.get(path, method=method)
                    self.assertEqual(status, 405)
                    self.assertEqual(headers["allow"], "GET")
                    if method != "HEAD":
                        self.assertEqual(body, '{"message":"Method %s not allowed",'
                                               '"type":"MethodNotAllowed"}' % method)

    def test_post_with_body(self):
        status, headers, body = self.srv.get("/users", method="POST", body=b"x" * 100000)
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET")

    def test_unknown_path_beats_method(self):
        self.assertEqual(self.srv.get("/nope", method="POST")[0], 404)

    def test_bad_percent_encoding(self):
        for path in ("/users/%00", "/users?name=%00", "/customers?salesId=a%00"):
            with self.subTest(path=path):
                status, headers, body = self.srv.get(path)
                self.assertEqual(status, 400)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertIn('"type":"BadRequest"', body)

    def test_non_utf8_echo_is_valid_json(self):
        status, body = self.srv.get_json("/users/%FF%FEx")
        self.assertEqual(status, 404)
        self.assertEqual(body["message"], "User ID \ufffd\ufffdx not found")

    def test_keep_alive(self):
        c = http.client.HTTPConnection(HOST, self.srv.port, timeout=5)
        try:
            socks = set()
            for path in ("/users/1", "/users/2", "/nope", "/customers?salesId=2"):
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                self.assertNotEqual((r.getheader("connection") or "").lower(), "close")
                socks.add(id(c.sock))
            self.assertEqual(len(socks), 1, "one connection served all requests")
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
