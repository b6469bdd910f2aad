"""Malformed and hostile requests sent raw over a socket: the server answers
400/414/431/505 or closes, never crashes or hangs, and idle or stalled
connections time out."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import Server, HOST, raw, status_of  # noqa: E402


def trickle(port, data, step=512, timeout=5.0):
    """Sends data in pieces, stopping as soon as the server answers, so an
    early error answer is read before the server resets the connection."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        for i in range(0, len(data), step):
            s.sendall(data[i:i + step])
            s.settimeout(0.02)
            try:
                chunk = s.recv(65536)
                out += chunk
                if not chunk or b"\r\n\r\n" in out:
                    break
            except socket.timeout:
                pass
            if time.monotonic() > deadline:
                break
        return out
    finally:
        s.close()


class Raw(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--delay", "0", "--timeout", "1").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def tearDown(self):
        # whatever the test sent, the server still answers
        self.assertEqual(self.srv.get("/users/1")[0], 200)

    def status(self, data):
        return status_of(raw(self.srv.port, data, timeout=5))

    def test_malformed_header_line(self):
        self.assertEqual(self.status(b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"), 400)

    def test_http11_without_host(self):
        self.assertEqual(self.status(b"GET /users HTTP/1.1\r\n\r\n"), 400)

    def test_binary_garbage(self):
        t0 = time.monotonic()
        self.assertIn(self.status(bytes(range(1, 256)) + b"\r\n\r\n"), (None, 400))
        self.assertIn(self.status(bytes(range(32, 256)) + b"\r\n\r\n"), (None, 400))
        self.assertLess(time.monotonic() - t0, 4.0)

    def test_bad_content_length(self):
        self.assertEqual(self.status(b"POST /users HTTP/1.1\r\nHost: x\r\n"
                                     b"Content-Length: abc\r\n\r\n"), 400)

    def test_bad_chunked_body(self):
        self.assertEqual(self.status(b"POST /users HTTP/1.1\r\nHost: x\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 400)

    def test_request_line_without_spaces_is_closed(self):
        # libmicrohttpd drops such a connection without an answer
        out = raw(self.srv.port, b"GARBAGE\r\n\r\n", timeout=5)
        self.assertIn(status_of(out), (None, 400))

    def test_unsupported_version(self):
        self.assertEqual(self.status(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"), 505)

    def test_http10_answered_and_closed(self):
        out = raw(self.srv.port, b"GET /users/1 HTTP/1.0\r\n\r\n", timeout=5)
        self.assertEqual(status_of(out), 200)
        self.assertTrue(out.endswith(b'{"id":"1","name":"John Liu","role":"sales"}'))

    def test_absolute_form(self):
        out = raw(self.srv.port, b"GET http://x/users/2 HTTP/1.0\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(out), 200)
        self.assertIn(b'"William Ott"', out)

    def test_uri_too_long(self):
        req = b"GET /users?name=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        self.assertEqual(status_of(trickle(self.srv.port, req)), 414)

    def test_header_too_large(self):
        req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n"
        self.assertEqual(status_of(trickle(self.srv.port, req)), 431)

    def test_too_many_headers(self):
        req = (b"GET / HTTP/1.1\r\nHost: x\r\n"
               + b"".join(b"X-%d: v\r\n" % i for i in range(3000)) + b"\r\n")
        self.assertEqual(status_of(trickle(self.srv.port, req)), 431)

    def test_moderate_url_and_headers_fit(self):
        req = (b"GET /users?name=" + b"j" * 1500 + b" HTTP/1.1\r\nHost: x\r\nX-A: "
               + b"a" * 1500 + b"\r\nConnection: close\r\n\r\n")
        out = raw(self.srv.port, req)
        self.assertEqual(status_of(out), 200)
        self.assertTrue(out.endswith(b"[]"))

    def test_control_bytes_in_path(self):
        out = raw(self.srv.port, b"GET /\x01\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(status_of(out), 404)
        self.assertIn(b'"Path /\\u0001\x7f not found"', out)

    def test_idle_connection_times_out(self):
        s = socket.create_connection((HOST, self.srv.port), timeout=6)
        try:
            t0 = time.monotonic()
            self.assertEqual(s.recv(100), b"")  # closed by the server
            self.assertLess(time.monotonic() - t0, 4.5)
        finally:
            s.close()

    def test_stalled_headers_time_out(self):
        s = socket.create_connection((HOST, self.srv.port), timeout=6)
        try:
            s.sendall(b"GET /users HTTP/1.1\r\nHost: x\r\n")  # never finished
            t0 = time.monotonic()
            data = s.recv(100)
            self.assertIn(data, (b"",))
            self.assertLess(time.monotonic() - t0, 4.5)
        finally:
            s.close()

    def test_idle_keep_alive_times_out(self):
        s = socket.create_connection((HOST, self.srv.port), timeout=6)
        try:
            s.sendall(b"GET /users/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            self.assertEqual(status_of(got), 200)
            self.assertLess(time.monotonic() - (deadline - 6), 4.5)
        finally:
            s.close()

    def test_many_bad_connections_in_a_row(self):
        for i in range(200):
            s = socket.create_connection((HOST, self.srv.port), timeout=5)
            s.sendall(b"\x16\x03\x01\x02\x00" * (i % 5 + 1))  # TLS-ish junk
            s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
