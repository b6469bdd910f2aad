#!/usr/bin/python3
"""Opens report pages in headless Chromium and checks them as a reader's
browser would see them, through the DevTools protocol on a pipe
(--remote-debugging-pipe: no port, no driver to install).

usage: report_browser.py CHROMIUM SHOTS_DIR PAGE.html[=CHART:MIN,CHART:MIN...] ...

For each page: no script error (uncaught exceptions, console errors, the
browser's error log, the page's own window.__report.errors); every chart
the page lists drew all of its points and inked its canvas; each
CHART:MIN named on the command line exists and drew at least MIN points;
and the page asked for nothing but itself: every request is intercepted
(Fetch domain), recorded, and any that is not the page's own file:// URL
or a data: URL is refused and makes the check fail. A full-page PNG goes
to SHOTS_DIR/<page>.png, and the page in 1,000-pixel tiles to
SHOTS_DIR/<page>-<k>.png. Prints one line per check; exit 1 if any failed.
"""
import base64
import select
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-pipe"]
WIDTH, HEIGHT = 1280, 900
PAGE_TIMEOUT = 30.0
TILE = 1000


class Browser:
    """Chromium with the protocol on fds 3 (its input) and 4 (its output)."""

    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix="ds-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        # Chromium reads fd 3 and writes fd 4; the pipe ends are put there
        # in the child (pass_fds keeps 3 and 4 from being closed after).
        def fds():
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read_one(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe: " + self.stderr_tail())
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=PAGE_TIMEOUT):
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
                self.on_event(msg)

    def pump(self, seconds):
        """Reads events for a while (answers to nothing)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self._read_one(deadline)
                if "method" in msg:
                    self.events.append(msg)
                    self.on_event(msg)
        except TimeoutError:
            pass

    def on_event(self, msg):
        pass

    def stderr_tail(self):
        try:
            self.proc.kill()
            return self.proc.stderr.read().decode(errors="replace")[-2000:]
        except Exception:  # noqa: BLE001 - best effort for a message
            return ""

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.to_chrome)
            os.close(self.from_chrome)
            shutil.rmtree(self.profile, ignore_errors=True)


class PageCheck:
    def __init__(self, browser, path):
        self.b = browser
        self.url = "file://" + os.path.abspath(path)
        self.requests = []
        self.refused = []
        self.errors = []
        self.session = None

    def on_event(self, msg):
        if msg.get("sessionId") != self.session:
            return
        m, p = msg["method"], msg.get("params", {})
        if m == "Fetch.requestPaused":
            url = p["request"]["url"]
            self.requests.append(url)
            allowed = url.split("#")[0] == self.url or url.startswith("data:")
            if allowed:
                self.b.send("Fetch.continueRequest", {"requestId": p["requestId"]}, self.session)
            else:
                self.refused.append(url)
                self.b.send("Fetch.failRequest", {"requestId": p["requestId"],
                                                  "errorReason": "BlockedByClient"}, self.session)
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            self.errors.append("uncaught: %s" % text)
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.errors.append("console.%s: %s" % (p["type"], args))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            e = p["entry"]
            self.errors.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))

    def run(self, shot):
        b = self.b
        b.on_event = self.on_event
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = b.call("Target.attachToTarget",
                              {"targetId": target, "flatten": True})["sessionId"]
        s = self.session
        for domain in ("Page", "Runtime", "Log"):
            b.call(domain + ".enable", session=s)
        b.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=s)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
               session=s)
        b.call("Page.navigate", {"url": self.url}, session=s)
        state = None
        deadline = time.monotonic() + PAGE_TIMEOUT
        while time.monotonic() < deadline:
            res = b.call("Runtime.evaluate", {"expression": "JSON.stringify(window.__report || null)",
                                              "returnByValue": True}, session=s)
            value = res.get("result", {}).get("value")
            state = json.loads(value) if value else None
            if state and state.get("done"):
                break
            b.pump(0.2)
        b.pump(0.3)  # late console messages and requests
        metrics = b.call("Page.getLayoutMetrics", session=s)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        png = b.call("Page.captureScreenshot",
                     {"format": "png", "captureBeyondViewport": True,
                      "clip": {"x": 0, "y": 0, "width": WIDTH,
                               "height": min(int(size["height"]) + 1, 16000), "scale": 1}},
                     session=s)
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png["data"]))
        # The same page in screen-sized tiles, for a person to look at.
        top, k = 0, 1
        while top < size["height"] and k <= 20:
            tile = b.call("Page.captureScreenshot",
                          {"format": "png", "captureBeyondViewport": True,
                           "clip": {"x": 0, "y": top, "width": WIDTH, "height": TILE, "scale": 1}},
                          session=s)
            with open(shot[:-4] + "-%d.png" % k, "wb") as f:
                f.write(base64.b64decode(tile["data"]))
            top, k = top + TILE, k + 1
        overflow = b.call("Runtime.evaluate", {"expression": "document.documentElement.scrollWidth",
                                               "returnByValue": True}, session=s)
        b.call("Target.closeTarget", {"targetId": target})
        return state, int(size["height"]), overflow["result"]["value"]


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    exe, shots = sys.argv[1], sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures += 1

    browser = Browser(exe)
    try:
        for arg in sys.argv[3:]:
            path, _, want = arg.partition("=")
            name = os.path.splitext(os.path.basename(path))[0]
            page = PageCheck(browser, path)
            shot = os.path.join(shots, name + ".png")
            state, height, width = page.run(shot)
            print("page %s: %s px tall, screenshot %s" % (name, height, shot))
            check(state is not None and state.get("done"),
                  "%s: every chart reported (state %s)" % (name, json.dumps(state)[:300]))
            errors = page.errors + (state or {}).get("errors", [])
            check(not errors, "%s: no script error %s" % (name, errors))
            check(not page.refused and page.requests and
                  all(u.split("#")[0] == page.url or u.startswith("data:") for u in page.requests),
                  "%s: no request but the page itself (%d requests; refused %s)"
                  % (name, len(page.requests), page.refused))
            check(width <= WIDTH, "%s: no horizontal overflow (%s px wide)" % (name, width))
            charts = (state or {}).get("charts", {})
            for cid, c in sorted(charts.items()):
                check(not c.get("error") and c["points"] > 0 and c["drawn"] == c["points"]
                      and c["painted"] > 0.01,
                      "%s: chart %s drew %s of %s points, inked %.1f%% of its canvas"
                      % (name, cid, c.get("drawn"), c.get("points"), 100 * c.get("painted", 0)))
            for spec in filter(None, want.split(",")):
                cid, _, least = spec.rpartition(":")
                c = charts.get(cid)
                check(c is not None and c["drawn"] >= int(least),
                      "%s: chart %s present with at least %s points (%s)"
                      % (name, cid, least, c and c["drawn"]))
    finally:
        browser.close()
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
