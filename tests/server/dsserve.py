"""Shared helpers for the server tests: start `dockscript serve` on a free
port, talk to it, stop it. Standard library only; run with /usr/bin/python3.
The binary comes from the DOCKSCRIPT environment variable (ctest sets it)."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

EXE = os.environ.get("DOCKSCRIPT", "dockscript")
HOST = "127.0.0.1"
LISTEN_RE = re.compile(r"listening on (https?)://127\.0\.0\.1:(\d+) ")


class Server:
    """`dockscript serve --port 0 ARGS`, started in __enter__, stopped with
    SIGTERM in __exit__ (the exit code is checked there)."""

    def __init__(self, *args, start_timeout=10.0):
        self.args = [EXE, "serve", "--port", "0"] + [str(a) for a in args]
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.returncode = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = read_line(self.proc.stdout, self.start_timeout)
        m = LISTEN_RE.search(line or "")
        if not m:
            self.proc.kill()
            err = self.proc.communicate(timeout=5)[1]
            raise AssertionError("server did not start: %r %r" % (line, err))
        self.port = int(m.group(2))
        self.url = "%s://%s:%d" % (m.group(1), HOST, self.port)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.returncode is None:
            self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(timeout=timeout)
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc.stdout.close()
            self.stderr = self.proc.stderr.read()
            self.proc.stderr.close()
        return self.returncode

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, "server exited with %r: %s" % (rc, self.stderr)

    def get(self, path, method="GET", headers=None, body=None, timeout=10.0):
        """One request on a fresh connection: (status, headers dict, body str)."""
        c = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
        finally:
            c.close()

    def get_json(self, path):
        status, headers, body = self.get(path)
        assert headers.get("content-type") == "application/json", headers
        return status, json.loads(body)


class LuaServer(Server):
    """server.start(OPTS) in a `dockscript -e` process (OPTS is Lua source,
    a table constructor); the script prints the URL, waits for a line on
    stdin and stops the server."""

    SCRIPT = ('local srv = server.start(%s) print(srv.url) io.stdout:flush() '
              'io.read("l") srv:stop()')

    def __init__(self, opts="{}", start_timeout=10.0):
        super().__init__(start_timeout=start_timeout)
        self.args = [EXE, "-e", self.SCRIPT % opts]

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = (read_line(self.proc.stdout, self.start_timeout) or "").strip()
        m = re.match(r"^https?://127\.0\.0\.1:(\d+)$", line)
        if not m:
            self.proc.kill()
            err = self.proc.communicate(timeout=5)[1]
            raise AssertionError("server.start did not start: %r %r" % (line, err))
        self.port = int(m.group(1))
        self.url = line
        return self

    def stop(self, sig=None, timeout=10.0):
        if self.returncode is None:
            try:
                _, self.stderr = self.proc.communicate("stop\n", timeout=timeout)
                self.returncode = self.proc.returncode
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        return self.returncode


def read_line(stream, timeout):
    """A line from a child's pipe, or None after timeout seconds."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            return None
        return stream.readline()
    finally:
        sel.close()


def run(args, timeout=20.0):
    """Runs dockscript ARGS to completion: (exit code, stdout, stderr)."""
    p = subprocess.run([EXE] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def read_until_close(s, timeout, headers_only=False):
    """Everything s receives until the peer closes (or, with headers_only,
    until a header block is complete); bounded in time and size."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(out) < 1 << 20:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
        if headers_only and b"\r\n\r\n" in out:
            break
    return out


def raw(port, data, timeout=5.0, read_all=True):
    """Sends raw bytes, returns everything read until the server closes
    (or timeout); bounded in time and size."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)
        return read_until_close(s, timeout, headers_only=not read_all)
    finally:
        s.close()


SERVER_TIMING_RE = re.compile(r"queue;dur=(\d+\.\d{3}), delay;dur=(\d+\.\d{3}), "
                              r"total;dur=(\d+\.\d{3})$")


def waited_ms(headers):
    """(queue, delay) in ms as the answer's Server-Timing says, from
    headers with lower-cased names (Server.get's): what the server made
    the request wait, by its own clock. (0.0, 0.0) is an answer at once,
    which a client's stopwatch on a busy machine cannot tell."""
    m = SERVER_TIMING_RE.match(headers.get("server-timing", ""))
    assert m, headers
    return float(m.group(1)), float(m.group(2))


def status_of(response_bytes):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response_bytes)
    return int(m.group(1)) if m else None


def _server_sockets(port):
    """(state, rx_queue) of each server-side TCP socket on port, from
    /proc/net/tcp and tcp6 (state 01 ESTABLISHED, 08 CLOSE_WAIT)."""
    hexport = ":%04X" % port
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[1].endswith(hexport):
                        yield cols[3], int(cols[4].split(":")[1], 16)
        except FileNotFoundError:
            pass


def server_conns(port):
    """Server-side TCP connections on port that are still open (ESTABLISHED
    or CLOSE_WAIT: the client has gone, the server has not closed yet)."""
    return sum(1 for state, _ in _server_sockets(port) if state in ("01", "08"))


def server_unread(port):
    """Server-side connections on port whose received bytes the server has
    not read yet (rx_queue > 0), accepted or still in the listen backlog."""
    return sum(1 for state, rx in _server_sockets(port) if state == "01" and rx > 0)


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def wait_until(cond, timeout, step=0.05):
    """Polls cond() until it is true or timeout seconds pass; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def wait_held(port, n, timeout=10):
    """Waits until the server holds n connections on port with every request
    read (none left in the listen backlog or unread); returns whether it
    did."""
    return wait_until(lambda: server_conns(port) >= n and server_unread(port) == 0, timeout)


def open_requests(port, n, request=b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n"):
    """n sockets, each with a request sent and nothing read."""
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((HOST, port), timeout=10)
            s.sendall(request)
            socks.append(s)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks
