"""The Lua module `server`: server.start from a script runs the server
in-process on its own threads while Lua keeps running (lserver_test.lua)."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import EXE, read_line  # noqa: E402
import http.client  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lserver_test.lua")


class LuaModule(unittest.TestCase):
    def test_in_process_server(self):
        p = subprocess.Popen([EXE, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            url = (read_line(p.stdout, 10) or "").strip()
            self.assertTrue(url.startswith("http://127.0.0.1:"), (url, p.stderr.read()
                                                                   if p.poll() is not None else ""))
            port = int(url.rsplit(":", 1)[1])
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            t0 = time.monotonic()
            c.request("GET", "/customers?salesId=1")
            r = c.getresponse()
            body = r.read().decode()
            elapsed = time.monotonic() - t0
            c.close()
            self.assertEqual(r.status, 200)
            self.assertIn("Michael Jordan", body)
            self.assertGreaterEqual(elapsed, 0.2)
            out, err = p.communicate("stop\n", timeout=15)
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual(out.strip(), "done")
            with self.assertRaises(OSError):
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
