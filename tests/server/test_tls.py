"""`dockscript serve` over TLS: --tls-cert/--tls-key with a pair made by
openssl, --tls-self-signed DIR (its certificate trusted as a CA file by
python requests and by curl, refused without it and for another host name),
server.start{tls_*}, one-line usage errors for bad files, and garbage and
half handshakes on the TLS port that neither crash nor stall the server."""
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

import requests

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import HOST, LuaServer, Server, run, server_conns, wait_until  # noqa: E402

CURL = shutil.which("curl")
OPENSSL = shutil.which("openssl")


def need(tool, name):
    # tools/deps.sh --test installs both; a missing one fails, never skips
    assert tool, "%s not found: install it with tools/deps.sh --test" % name


def make_pair(d, name="srv", san="IP:127.0.0.1,DNS:localhost"):
    """An EC key and a self-signed certificate for san, by openssl."""
    need(OPENSSL, "openssl")
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + name, "-addext",
                    "subjectAltName=" + san], check=True, capture_output=True, timeout=30)
    return cert, key


def curl(*args):
    need(CURL, "curl")
    p = subprocess.run([CURL, "-sS", "--noproxy", "*", "--max-time", "10"] + list(args),
                       capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def serve_error(args):
    """The one line of a `dockscript serve` that must fail with exit 2."""
    rc, out, err = run(["serve", "--port", "0"] + args)
    assert rc == 2, (args, rc, err)
    assert out == "" and err.count("\n") == 1, (out, err)
    return err


def lua_error(opts):
    code = ("local ok, err = pcall(server.start, %s) "
            "io.write(ok and 'started' or tostring(err))" % opts)
    rc, out, err = run(["-e", code])
    assert rc == 0, err
    return out


def client_hello():
    """The bytes of a TLS ClientHello, from Python's own TLS stack."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.create_default_context()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[0] == 0x16 and len(hello) > 100, hello[:8]
    return hello


class TLS(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ds-tls-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_cert_and_key_files(self):
        cert, key = make_pair(self.dir)
        with Server("--delay", "0", "--tls-cert", cert, "--tls-key", key) as srv:
            self.assertTrue(srv.url.startswith("https://127.0.0.1:"), srv.url)
            r = requests.get(srv.url + "/users/1", verify=cert, timeout=10)
            self.assertEqual((r.status_code, r.json()["name"]), (200, "John Liu"))
            rc, out, err = curl("--cacert", cert, "-w", "%{http_version} %{scheme}",
                                "-o", "/dev/null", srv.url + "/users")
            self.assertEqual((rc, out, err), (0, "1.1 HTTPS", ""))

    def test_self_signed_trusted_with_its_cert_only(self):
        with Server("--delay", "0", "--tls-self-signed", self.dir) as srv:
            cert = os.path.join(self.dir, "cert.pem")
            self.assertEqual(os.listdir(self.dir), ["cert.pem"])  # the key stays in memory
            r = requests.get(srv.url + "/users/1", verify=cert, timeout=10)
            self.assertEqual(r.status_code, 200)
            # the system's CAs do not know it
            with self.assertRaises(requests.exceptions.SSLError):
                requests.get(srv.url + "/users/1", timeout=10)
            rc, out, _ = curl("--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}",
                              "https://localhost:%d/users/1" % srv.port)
            self.assertEqual((rc, out), (0, "200"))
            # the certificate is for 127.0.0.1, ::1 and localhost: not another name
            rc, _, err = curl("--cacert", cert, "--resolve", "other.test:%d:127.0.0.1"
                              % srv.port, "https://other.test:%d/users/1" % srv.port)
            self.assertEqual(rc, 60, err)
            self.assertIn("other.test", err)
            # plain HTTP on the TLS port gets no HTTP answer, and the server goes on
            with self.assertRaises(requests.exceptions.ConnectionError):
                requests.get("http://127.0.0.1:%d/users/1" % srv.port, timeout=10)
            self.assertEqual(requests.get(srv.url + "/", verify=cert, timeout=10).status_code,
                             200)

    def test_a_new_certificate_every_start(self):
        pems = []
        for _ in range(2):
            with Server("--delay", "0", "--tls-self-signed", self.dir):
                with open(os.path.join(self.dir, "cert.pem")) as f:
                    pems.append(f.read())
        self.assertTrue(pems[0].startswith("-----BEGIN CERTIFICATE-----"), pems[0][:40])
        self.assertNotEqual(pems[0], pems[1])

    def test_server_start(self):
        opts = "{port = 0, delay = 0, tls_self_signed = %r}" % self.dir
        with LuaServer(opts) as srv:
            self.assertTrue(srv.url.startswith("https://127.0.0.1:"), srv.url)
            r = requests.get(srv.url + "/users/2", verify=os.path.join(self.dir, "cert.pem"),
                             timeout=10)
            self.assertEqual(r.status_code, 200)
        cert, key = make_pair(self.dir, "lua")
        with LuaServer("{port = 0, delay = 0, tls_cert = %r, tls_key = %r}" % (cert, key)) as srv:
            r = requests.get(srv.url + "/users/2", verify=cert, timeout=10)
            self.assertEqual(r.status_code, 200)

    def test_bad_files_one_line_exit_2(self):
        cert, key = make_pair(self.dir)
        other_cert, other_key = make_pair(self.dir, "other")
        junk = os.path.join(self.dir, "junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        missing = os.path.join(self.dir, "missing.pem")
        pre = "dockscript serve: "
        cases = [
            (["--tls-cert", missing, "--tls-key", key],
             "--tls-cert: cannot read '%s': No such file or directory" % missing),
            (["--tls-cert", junk, "--tls-key", key], "--tls-cert: '%s': no PEM certificate" % junk),
            (["--tls-cert", cert, "--tls-key", junk],
             "--tls-key: '%s': no unencrypted PEM private key" % junk),
            (["--tls-cert", cert, "--tls-key", cert],
             "--tls-key: '%s': no unencrypted PEM private key" % cert),
            (["--tls-cert", cert, "--tls-key", other_key],
             "--tls-key: '%s' is not the key of --tls-cert '%s'" % (other_key, cert)),
            (["--tls-cert", cert], "--tls-cert needs --tls-key"),
            (["--tls-key", key], "--tls-key needs --tls-cert"),
            (["--tls-self-signed", missing],
             "--tls-self-signed: cannot write to directory '%s': No such file" % missing),
            (["--tls-self-signed", cert],
             "--tls-self-signed: cannot write to directory '%s': not a directory" % cert),
            (["--tls-self-signed", self.dir, "--tls-cert", cert, "--tls-key", key],
             "--tls-self-signed and --tls-cert: give one or the other"),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                self.assertTrue(serve_error(args).startswith(pre + want), (args, want))
        self.assertEqual(
            lua_error("{port = 0, tls_cert = %r, tls_key = %r}" % (cert, other_key)),
            "server.start: 'tls_key': '%s' is not the key of 'tls_cert' '%s'"
            % (other_key, cert))
        self.assertTrue(lua_error("{port = 0, tls_cert = %r, tls_key = %r}"
                                  % (missing, key)).startswith(
            "server.start: 'tls_cert': cannot read"))

    def test_garbage_and_half_handshakes(self):
        hello = client_hello()
        rng = random.Random(7)
        with Server("--delay", "0", "--timeout", "2", "--tls-self-signed", self.dir) as srv:
            cert = os.path.join(self.dir, "cert.pem")
            held = []
            try:
                ctx = ssl.create_default_context(cafile=cert)
                for i in range(400):
                    s = socket.create_connection((HOST, srv.port), timeout=10)
                    if i % 4 == 0:
                        s.sendall(hello[:len(hello) // 2])     # half a ClientHello
                    elif i % 4 == 1:
                        s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))))
                    elif i % 4 == 2:
                        s.sendall(hello[:5] + b"\xff" * 200)   # a record header, then junk
                    elif i % 8 == 3:
                        pass                                   # connects, says nothing
                    else:                                      # slowloris over TLS
                        s = ctx.wrap_socket(s, server_hostname="localhost")
                        s.sendall(b"GET /users HTTP/1.1\r\nHost: x\r\n")
                    held.append(s)
                # meanwhile the server answers real clients
                with requests.Session() as sess:
                    for _ in range(20):
                        r = sess.get(srv.url + "/users/1", verify=cert, timeout=10)
                        self.assertEqual(r.status_code, 200)
                # and closes every broken or stalled handshake or request (--timeout 2)
                self.assertTrue(wait_until(lambda: server_conns(srv.port) == 0, 15),
                                server_conns(srv.port))
            finally:
                for s in held:
                    s.close()
            r = requests.get(srv.url + "/users/1", verify=cert, timeout=10)
            self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
