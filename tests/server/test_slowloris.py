"""A slowloris client: 1,000 connections that send headers slowly and never
finish them. Meanwhile the server answers other clients (a request held
behind them would wait out its 5 s socket timeout and fail), and it closes
the slow connections once they stall for --timeout seconds. How long the
other clients' answers take meanwhile is a figure of
tools/bench/bench_test_figures.sh, not a bound here."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import HOST, Server, server_conns, wait_until  # noqa: E402

SLOW = 1000
TIMEOUT = 2


def closed_by_server(s):
    """True when the server has closed s (EOF or reset), within 0.1 s."""
    s.settimeout(0.1)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Slowloris(unittest.TestCase):
    def test_slow_headers_do_not_block_others_and_time_out(self):
        with Server("--delay", "0", "--timeout", TIMEOUT) as srv:
            slow = []
            try:
                for i in range(SLOW):
                    s = socket.create_connection((HOST, srv.port), timeout=5)
                    s.sendall(b"GET /users HTTP/1.1\r\nHost: x\r\n")
                    slow.append(s)
                self.assertTrue(wait_until(lambda: server_conns(srv.port) >= SLOW, 10))
                # keep trickling for a while, and meanwhile time normal requests
                worst = 0.0
                answered = 0
                t_end = time.monotonic() + 1.5
                step = 0
                while time.monotonic() < t_end:
                    if step % 5 == 0:
                        for s in slow:
                            s.sendall(b"X-Slow-%d: z\r\n" % step)
                    t0 = time.monotonic()
                    status, _, body = srv.get("/users/3", timeout=5)
                    worst = max(worst, time.monotonic() - t0)
                    self.assertEqual(status, 200)
                    self.assertIn('"Jordan Lin"', body)
                    answered += 1
                    step += 1
                    time.sleep(0.05)
                last_trickle = time.monotonic()
                print("normal requests meanwhile: %d, worst %.3f s" % (answered, worst),
                      file=sys.stderr)
                self.assertGreater(answered, 0)
                # answered while the slow ones were all still held
                self.assertGreaterEqual(server_conns(srv.port), SLOW)
                # stalled now: closed within the timeout plus libmicrohttpd's
                # one-second granularity and some margin
                gone = wait_until(lambda: server_conns(srv.port) == 0, TIMEOUT + 4)
                took = time.monotonic() - last_trickle
                print("slow connections closed %.2f s after their last byte" % took,
                      file=sys.stderr)
                self.assertTrue(gone, "%d slow connections still open"
                                % server_conns(srv.port))
                self.assertGreaterEqual(took, TIMEOUT - 1.0)
                self.assertTrue(all(closed_by_server(s) for s in slow[:50]))
            finally:
                for s in slow:
                    s.close()
            self.assertEqual(srv.get("/customers/1")[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
