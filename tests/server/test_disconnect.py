"""Clients that hang up while their request waits out the delay: the server
notices at once (libmicrohttpd alone would keep a suspended connection and
its memory until the delay ends): its connection count and descriptors go
back to their baseline, with and without --workers, and the memory of one
burst is reused by the next. The process keeps freed heap for the next
burst (one heap policy, src/main.c's; the server does not trim), so the
memory check is "no growth from burst to burst"."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import (EXE, Server, open_fds, open_requests, read_until_close, rss_kb,  # noqa: E402
                     server_conns, wait_held, wait_until)

CLIENTS = 1000


def asan_build():
    """Whether the binary under test links AddressSanitizer. Its allocator
    keeps freed memory in a quarantine, which would hide reuse; the test
    turns it off (and LeakSanitizer checks for leaks at exit)."""
    with open(EXE, "rb") as f:
        return b"libasan.so" in f.read()


class Disconnect(unittest.TestCase):
    def churn(self, srv, rounds):
        """rounds x CLIENTS clients that send a request and hang up once the
        server holds them all; returns (baseline, peak, after) figures."""
        pid = srv.proc.pid
        base = (server_conns(srv.port), open_fds(pid), rss_kb(pid))
        peak = after = None
        self.after_round = []
        for r in range(rounds):
            socks = open_requests(srv.port, CLIENTS)
            try:
                # every request read, so every client hangs up mid-delay
                held = wait_held(srv.port, CLIENTS)
                self.assertTrue(held, "server holds %d of %d"
                                % (server_conns(srv.port), CLIENTS))
                peak = (server_conns(srv.port), open_fds(pid), rss_kb(pid))
            finally:
                for s in socks:
                    s.close()
            gone = wait_until(lambda: server_conns(srv.port) <= base[0]
                              and open_fds(pid) <= base[1] + 2, 5)
            self.assertTrue(gone, "round %d: %d connections, %d fds after 5 s "
                            "(baseline %d, %d)" % (r, server_conns(srv.port),
                                                    open_fds(pid), base[0], base[1]))
            time.sleep(0.2)
            self.after_round.append(rss_kb(pid))
        after = (server_conns(srv.port), open_fds(pid), rss_kb(pid))
        print("connections/fds/RSS KB: baseline %s, peak %s, after %d rounds %s"
              % (base, peak, rounds, after), file=sys.stderr)
        return base, peak, after

    def test_hangups_free_connections_and_memory(self):
        asan = asan_build()
        if asan:
            os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "")
                                          + ":quarantine_size_mb=0")
        with Server("--delay", "30", "--timeout", "60") as srv:
            base, peak, after = self.churn(srv, 4)
            self.assertGreaterEqual(peak[0], CLIENTS)
            figures = (base, peak, after, self.after_round)
            # 1,000 waiting connections cost about 5 MB; the second burst
            # settles the heap (about 1.4 MB more), later ones reuse it
            # (measured: under 0.2 MB a burst; a leak of one 6 KB pool per
            # connection would be 6 MB)
            self.assertLess(self.after_round[3], self.after_round[1] + 1024, figures)
            self.assertLess(after[2], base[2] + 16384, figures)
            self.assertEqual(srv.get("/", timeout=5)[0], 200)

    def test_hangups_give_back_workers_slots(self):
        # 1,000 queued behind 4 slots; once they leave, a new request waits
        # one delay, not 250
        with Server("--delay", "1", "--workers", "4", "--timeout", "60") as srv:
            self.churn(srv, 1)
            t0 = time.monotonic()
            status, _, body = srv.get("/users/2", timeout=10)
            took = time.monotonic() - t0
            self.assertEqual(status, 200)
            self.assertIn('"William Ott"', body)
            self.assertGreaterEqual(took, 1.0)
            self.assertLess(took, 2.5)

    def test_pipelined_request_is_not_a_hangup(self):
        # a second request sent while the first waits is data, not a hang-up:
        # both are answered, in order, after the delay
        with Server("--delay", "0.5") as srv:
            s = open_requests(srv.port, 1, b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")[0]
            try:
                time.sleep(0.1)
                s.sendall(b"GET /users/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                got = read_until_close(s, 5)
            finally:
                s.close()
            self.assertEqual(got.count(b"HTTP/1.1 200 OK"), 2, got)
            self.assertLess(got.index(b"John Liu"), got.index(b"Jordan Lin"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
