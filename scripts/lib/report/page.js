// dockscript's report page (report/html.lua inlines this file after
// Chart.js): draws each chart of the JSON in #report-charts, then records
// in window.__report what it drew, for the browser test and for a reader's
// console: {expected, charts: {id: {points, drawn, painted}}, errors, done}.
(function () {
  "use strict";
  var state = { expected: 0, charts: {}, errors: [], done: false };
  window.__report = state;
  window.addEventListener("error", function (e) { state.errors.push(String(e.message)); });

  var MS = function (v) {
    if (v === 0) return "0";
    if (v >= 1000) return +(v / 1000).toPrecision(3) + " s";
    if (v >= 1) return +v.toPrecision(3) + " ms";
    return Math.round(v * 1000) + " us";
  };
  var UNITS = {
    ms: MS,
    s: function (v) { return +v.toPrecision(3) + " s"; },
    "%": function (v) { return +v.toPrecision(3) + "%"; },
    "/s": function (v) { return +v.toPrecision(4) + "/s"; },
    "": function (v) { return String(+v.toPrecision(4)); }
  };
  // 1/(1-p) -> "99.9%"
  function percentileOf(x) { return +(100 * (1 - 1 / x)).toPrecision(6) + "%"; }
  function isPow10(v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9; }
  // 1, 2 and 5 times a power of 10: the labelled ticks of a log axis
  function isRound(v) {
    var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
    return [1, 2, 5].some(function (r) { return Math.abs(m - r) < 1e-6; });
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function points(xs, ys) {
    var out = [];
    for (var i = 0; i < ys.length; i++) out.push({ x: xs[i], y: ys[i] === null ? null : ys[i] });
    return out;
  }
  function countValues(ys) {
    var n = 0;
    for (var i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined) n++;
    return n;
  }

  function xScale(spec) {
    var x = spec.x || {};
    var s = { type: x.scale === "log" || x.scale === "spectrum" ? "logarithmic" : "linear",
              title: { display: !!x.label, text: x.label } };
    if (x.scale === "spectrum") {
      s.min = 1;
      s.ticks = { autoSkip: false, maxRotation: 0,
                  callback: function (v) { return isPow10(v) ? percentileOf(v) : ""; } };
      s.afterBuildTicks = function (axis) {
        axis.ticks = axis.ticks.filter(function (t) { return isPow10(t.value); });
      };
    } else if (x.integer) {
      // seconds of the run: whole numbers, from the first to the last
      s.ticks = { precision: 0 };
      if (x.values && x.values.length) {
        s.min = x.values[0];
        s.max = x.values[x.values.length - 1];
      }
    } else if (x.scale === "log") {
      s.ticks = { autoSkip: false, maxRotation: 0, callback: function (v) { return String(v); } };
      if (x.values && x.values.length) {
        // a sweep's sizes: a tick at each N measured, and room around them
        var vals = x.values.slice();
        s.min = Math.min.apply(null, vals) / 1.25;
        s.max = Math.max.apply(null, vals) * 1.25;
        s.afterBuildTicks = function (axis) {
          axis.ticks = vals.map(function (v) { return { value: v }; });
        };
      } else {
        s.ticks.callback = function (v) { return isRound(v) ? String(+v.toPrecision(6)) : ""; };
      }
    }
    return s;
  }
  function yScale(spec) {
    var y = spec.y || {};
    var fmt = UNITS[y.unit || ""] || UNITS[""];
    var s = { type: y.scale === "log" ? "logarithmic" : "linear",
              title: { display: !!y.label, text: y.label },
              ticks: { autoSkip: y.scale !== "log",
                       callback: function (v) { return y.scale === "log" && !isRound(v) ? "" : fmt(v); } } };
    if (typeof y.min === "number") s.min = y.min;
    if (y.scale === "log") {
      s.grid = { color: function (c) { return c.tick && isRound(c.tick.value) ? "rgba(0,0,0,0.1)" : "transparent"; } };
    }
    return s;
  }

  function lineConfig(spec) {
    var datasets = [], expected = 0;
    spec.series.forEach(function (s) {
      var xs = s.x || spec.x.values;
      var many = xs.length > 60;
      var radius = s.points === false ? 0 : (s.points || !many ? 2.5 : 0);
      datasets.push({ label: s.label, data: points(xs, s.y), borderColor: s.color,
                      backgroundColor: s.color, borderWidth: s.width || 1.5,
                      borderDash: s.dash ? [6, 4] : [], pointRadius: radius,
                      pointHoverRadius: 4, fill: false, spanGaps: false, tension: 0 });
      expected += countValues(s.y);
      if (s.band) {
        // lo, then hi filled down to lo ("-1"); the legend shows hi only
        datasets.push({ label: "", data: points(xs, s.band.lo), borderWidth: 0, pointRadius: 0,
                        fill: false, borderColor: "transparent" });
        datasets.push({ label: s.band.label, data: points(xs, s.band.hi), borderWidth: 0,
                        pointRadius: 0, fill: "-1", backgroundColor: alpha(s.color, 0.15),
                        borderColor: "transparent" });
        expected += countValues(s.band.lo) + countValues(s.band.hi);
      }
    });
    var fmt = UNITS[(spec.y && spec.y.unit) || ""] || UNITS[""];
    var spectrum = spec.x && spec.x.scale === "spectrum";
    return { expected: expected, config: {
      type: "line", data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
        interaction: { mode: "nearest", intersect: false },
        scales: { x: xScale(spec), y: yScale(spec) },
        plugins: {
          title: { display: true, text: spec.title, font: { size: spec.small ? 13 : 14 } },
          legend: { position: "bottom",
                    labels: { boxWidth: 14, font: { size: 11 },
                              filter: function (item) { return item.text !== ""; } } },
          tooltip: { callbacks: {
            title: function (items) {
              if (!items.length) return "";
              var x = items[0].parsed.x;
              return spectrum ? "p" + percentileOf(x).replace("%", "") : (spec.x.label + " " + x);
            },
            label: function (item) { return item.dataset.label + ": " + fmt(item.parsed.y); } } }
        }
      } } };
  }

  function intervalConfig(spec) {
    var red = "#d62728", grey = "#8c959f";
    var bars = spec.lo.map(function (lo, i) { return [lo, spec.hi[i]]; });
    return { expected: 2 * spec.labels.length, config: {
      type: "bar",
      data: { labels: spec.labels, datasets: [
        { label: "interval of the change", data: bars, indexAxis: "y", barPercentage: 0.6,
          backgroundColor: spec.significant.map(function (s) { return alpha(s ? red : grey, 0.45); }),
          borderColor: spec.significant.map(function (s) { return s ? red : grey; }), borderWidth: 1 },
        { type: "line", label: "change", data: spec.mid, indexAxis: "y", showLine: false,
          pointStyle: "rectRot", pointRadius: 5, backgroundColor: "#1b1f23", borderColor: "#1b1f23" }
      ] },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { title: { display: true, text: "change, %" },
               grid: { color: function (c) { return c.tick && c.tick.value === 0 ? "#1b1f23" : "rgba(0,0,0,0.1)"; } },
               ticks: { callback: function (v) {
                 v = Math.round(v * 1e6) / 1e6;
                 return (v > 0 ? "+" : "") + v + "%";
               } } },
          y: { ticks: { autoSkip: false, font: { size: 11 } } }
        },
        plugins: {
          title: { display: true, text: spec.title },
          legend: { position: "bottom", labels: { boxWidth: 14, font: { size: 11 } } },
          tooltip: { callbacks: { label: function (item) {
            var v = item.raw;
            if (Array.isArray(v)) return "interval " + v[0].toFixed(1) + "%.." + v[1].toFixed(1) + "%";
            return "change " + (+v).toFixed(1) + "%";
          } } }
        }
      } } };
  }

  // What a chart drew: its elements with a position, and the share of its
  // canvas that is not blank (sampled every 4th pixel of every 4th row).
  function drawn(chart) {
    var n = 0;
    chart.data.datasets.forEach(function (_, i) {
      chart.getDatasetMeta(i).data.forEach(function (el) {
        if (!el.skip && isFinite(el.x) && isFinite(el.y)) n++;
      });
    });
    return n;
  }
  function painted(canvas) {
    var w = canvas.width, h = canvas.height;
    if (!w || !h) return 0;
    var data = canvas.getContext("2d").getImageData(0, 0, w, h).data, inked = 0, seen = 0;
    for (var y = 0; y < h; y += 4) {
      for (var x = 0; x < w; x += 4) {
        seen++;
        if (data[(y * w + x) * 4 + 3] > 0) inked++;
      }
    }
    return seen ? inked / seen : 0;
  }

  function record(id, rec) {
    state.charts[id] = rec;
    var done = Object.keys(state.charts).length === state.expected;
    if (done && !state.done) {
      state.done = true;
      document.body.setAttribute("data-charts-drawn", String(state.expected));
    }
  }

  // Draws the charts #report-charts lists, anew: the live page (live.js)
  // replaces the report and calls it again each second.
  function draw() {
    var specs = JSON.parse(document.getElementById("report-charts").textContent);
    state.expected = specs.length;
    state.charts = {};
    state.done = false;
    if (typeof Chart === "undefined") {
      state.errors.push("Chart.js did not load");
      return;
    }
    specs.forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      try {
        var old = Chart.getChart(canvas);
        if (old) old.destroy();
        var built = spec.type === "interval" ? intervalConfig(spec) : lineConfig(spec);
        var once = false;
        built.config.plugins = [{ id: "dockscript-drawn", afterRender: function (chart) {
          if (once) return;
          once = true;
          var n = drawn(chart);
          canvas.setAttribute("data-points", String(n));
          record(spec.id, { points: built.expected, drawn: n, painted: painted(canvas) });
        } }];
        new Chart(canvas, built.config);
      } catch (e) {
        state.errors.push(spec.id + ": " + (e && e.message ? e.message : String(e)));
        record(spec.id, { points: 0, drawn: 0, painted: 0, error: String(e) });
      }
    });
  }
  state.draw = draw;
  draw();
})();
