// The live page of load.lua --dashboard (report/html.lua adds this file
// after page.js): each event of the page's own /events stream carries the
// report so far ({main: the page's body, charts: the chart specs, final});
// it replaces the body and the charts are drawn again. window.__live
// counts the updates, for the browser test.
(function () {
  "use strict";
  var live = { updates: 0, final: false, errors: [] };
  window.__live = live;
  if (typeof EventSource === "undefined") return;
  var es = new EventSource("/events");
  es.onmessage = function (e) {
    try {
      var d = JSON.parse(e.data);
      var y = window.scrollY;
      document.querySelector("main").innerHTML = d.main;
      document.getElementById("report-charts").textContent = JSON.stringify(d.charts);
      window.__report.draw();
      window.scrollTo(0, y);
      live.updates++;
      if (d.final) {
        live.final = true;
        es.close();
      }
    } catch (err) {
      live.errors.push(String(err && err.message ? err.message : err));
    }
  };
})();
