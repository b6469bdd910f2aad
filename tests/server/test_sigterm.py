"""SIGTERM to `dockscript serve` with 1,000 requests in flight: it exits 0
within a bounded time, and every client gets a complete response or a clean
close; none is left hanging (each read has a deadline, and none may hit it)."""
import os
import re
import selectors
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from dsserve import (Server, open_requests, server_conns, server_unread,  # noqa: E402
                     wait_held)

CLIENTS = 1000
CLIENT_TIMEOUT = 20.0


def complete(buf):
    """True when buf holds a whole response (headers and Content-Length body)."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    return bool(m) and len(body) >= int(m.group(1))


def collect(socks, timeout):
    """Reads every socket until the server closes it or its response is
    complete; returns (complete responses, clean closes, hung) counts."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    done = closed = 0
    deadline = time.monotonic() + timeout
    while bufs and time.monotonic() < deadline:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                chunk = b""
            bufs[s] += chunk
            full = complete(bufs[s])
            if full or not chunk:
                if full:
                    done += 1
                elif bufs[s] == b"":
                    closed += 1       # closed with nothing sent: clean
                sel.unregister(s)
                del bufs[s]
    sel.close()
    return done, closed, len(bufs)


class Sigterm(unittest.TestCase):
    def stop_with_inflight(self, *args, exit_within):
        srv = Server(*args, "--timeout", "60").__enter__()
        socks = []
        try:
            socks = open_requests(srv.port, CLIENTS)
            # in flight = established and the request read by the server;
            # connections still in the listen backlog would rightly be closed
            held = wait_held(srv.port, CLIENTS)
            self.assertTrue(held, "only %d connected, %d unread"
                            % (server_conns(srv.port), server_unread(srv.port)))
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            done, closed, hung = collect(socks, CLIENT_TIMEOUT)
            rc = srv.proc.wait(timeout=exit_within + 5)
            took = time.monotonic() - t0
            srv.returncode = rc
        finally:
            for s in socks:
                s.close()
            srv.stop()
        print("%s: %d complete, %d closed, %d hung; exit %d after %.2f s"
              % (args, done, closed, hung, rc, took), file=sys.stderr)
        self.assertEqual(hung, 0)
        self.assertEqual(rc, 0)
        self.assertLess(took, exit_within)
        return done, closed

    def test_in_flight_requests_are_answered(self):
        # in flight with 2 s to go: the stop waits for them (delay + 1 s)
        done, closed = self.stop_with_inflight("--delay", "2", exit_within=6)
        self.assertEqual(done, CLIENTS)

    def test_long_workers_queue_is_answered_at_once(self):
        # 1,000 behind 4 slots would take 500 s: after the bounded wait the
        # rest are answered at once
        done, closed = self.stop_with_inflight("--delay", "2", "--workers", "4",
                                               exit_within=8)
        self.assertEqual(done + closed, CLIENTS)
        self.assertGreaterEqual(done, CLIENTS - 10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
