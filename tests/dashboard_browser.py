#!/usr/bin/python3
"""Watches load.lua --dashboard in headless Chromium (the DevTools pipe of
report_browser.py) while the run goes: the page's charts gain points from
one update of its event stream to the next, no script error, no request but
the page's own (GET / and its /events stream; every request is
intercepted, any other refused and counted), a screenshot mid-run, and at
the end the final report with every chart drawn.

usage: dashboard_browser.py CHROMIUM SHOTS_DIR URL
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_browser  # noqa: E402

RUN_TIMEOUT = 60.0
CHART = "latency-chain"


class LiveCheck(report_browser.PageCheck):
    def __init__(self, browser, url):
        super().__init__(browser, "/dev/null")
        self.url = url
        self.own = (url, url + "events")

    def on_event(self, msg):
        # the page's own address and its stream are its own requests
        if msg.get("method") == "Fetch.requestPaused" and msg.get("sessionId") == self.session:
            p = msg["params"]
            url = p["request"]["url"]
            self.requests.append(url)
            if url in self.own:
                self.b.send("Fetch.continueRequest", {"requestId": p["requestId"]}, self.session)
            else:
                self.refused.append(url)
                self.b.send("Fetch.failRequest", {"requestId": p["requestId"],
                                                  "errorReason": "BlockedByClient"}, self.session)
            return
        super().on_event(msg)


def main():
    exe, shots, url = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(shots, exist_ok=True)
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures += 1

    b = report_browser.Browser(exe)
    try:
        page = LiveCheck(b, url)
        b.on_event = page.on_event
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = page.session = b.call("Target.attachToTarget",
                                  {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.call(domain + ".enable", session=s)
        b.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=s)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": report_browser.WIDTH, "height": report_browser.HEIGHT,
                "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.call("Page.navigate", {"url": url}, session=s)

        def state():
            res = b.call("Runtime.evaluate", {
                "expression": "JSON.stringify({live: window.__live || null, "
                              "report: window.__report || null})",
                "returnByValue": True}, session=s)
            return json.loads(res.get("result", {}).get("value") or "{}")

        seen = []  # (updates, points of CHART) as the run goes
        shot = None
        last = {}
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            last = state()
            live, rep = last.get("live") or {}, last.get("report") or {}
            c = (rep.get("charts") or {}).get(CHART)
            if rep.get("done") and c and not live.get("final"):
                if not seen or seen[-1][0] != live.get("updates"):
                    seen.append((live.get("updates"), c.get("drawn", 0)))
                if shot is None and len(seen) >= 3:
                    shot = os.path.join(shots, "dashboard-live.png")
                    png = b.call("Page.captureScreenshot", {"format": "png"}, session=s)
                    with open(shot, "wb") as f:
                        f.write(base64.b64decode(png["data"]))
            if live.get("final") and rep.get("done"):
                break
            b.pump(0.3)
        b.pump(0.3)
        print("chart %s (updates, points) while the run went: %s" % (CHART, seen))
        check(len(seen) >= 3, "at least 3 live updates seen before the end (%d)" % len(seen))
        check(len(seen) >= 2 and seen[-1][1] > seen[0][1],
              "the chart gained points while the run went (%s -> %s)"
              % (seen and seen[0][1], seen and seen[-1][1]))
        check(shot is not None, "a screenshot mid-run: %s" % shot)
        live, rep = last.get("live") or {}, last.get("report") or {}
        check(live.get("final") is True, "the page got the final report")
        charts = rep.get("charts") or {}
        check(rep.get("done") and charts and all(
            c["drawn"] == c["points"] and c["points"] > 0 for c in charts.values()),
            "the final report drew every chart (%d charts)" % len(charts))
        errors = page.errors + rep.get("errors", []) + live.get("errors", [])
        check(not errors, "no script error %s" % errors)
        check(not page.refused and url in page.requests and url + "events" in page.requests,
              "no request but the page's own (%s; refused %s)"
              % (sorted(set(page.requests)), page.refused))
        b.call("Target.closeTarget", {"targetId": target})
    finally:
        b.close()
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
