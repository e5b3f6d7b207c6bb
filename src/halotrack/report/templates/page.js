/* halotrack stats page: draws the charts from the inlined JSON with uPlot. The numbers are in
   the HTML already; this script only adds the time series. */
(function () {
  "use strict";
  // Long tables open on a wide screen; on a phone all but the first fold into their title.
  if (window.matchMedia && window.matchMedia("(max-width: 560px)").matches) {
    var folds = document.querySelectorAll("details.fold");
    for (var i = 1; i < folds.length; i++) folds[i].removeAttribute("open");
  }
  var source = document.getElementById("halotrack-data");
  if (!source || typeof uPlot === "undefined") return;
  var data = JSON.parse(source.textContent);
  var plots = [];
  var HEIGHT = 240;

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function fmt(value, unit) {
    if (value == null) return "–";
    var text = Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
    return unit === "%" ? value.toFixed(1) + "%" : text;
  }

  function alpha(hex, a) {
    var m = /^#([0-9a-f]{6})$/i.exec(hex);
    if (!m) return hex;
    var n = parseInt(m[1], 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function options(chart, width) {
    var palette = ["--c1", "--c2", "--c3", "--c4", "--c5"].map(cssVar);
    var muted = cssVar("--muted");
    var grid = cssVar("--grid");
    var hasRight = chart.series.some(function (s) { return s.axis === "right"; });
    var series = [{}];
    chart.series.forEach(function (s, i) {
      var color = palette[i % palette.length];
      var opt = {
        label: s.label,
        stroke: color,
        width: 2,
        scale: s.axis === "right" ? "right" : "y",
        spanGaps: true,
        points: { show: chart.x.length < 40 },
        value: function (u, v) { return fmt(v, s.unit); }
      };
      if (s.style === "bars") {
        opt.fill = alpha(color, 0.55);
        opt.width = 1;
        opt.points = { show: false };
        opt.paths = uPlot.paths.bars({ size: [0.8, 40] });
      } else if (s.style === "step") {
        opt.paths = uPlot.paths.stepped({ align: 1 });
      } else if (s.style === "points") {
        // Markers only (placement matches): no line between them.
        opt.paths = function () { return null; };
        opt.points = { show: true, size: 9, width: 2, stroke: color, fill: alpha(color, 0.35) };
      } else if (s.style === "dash") {
        opt.dash = [6, 4];
        opt.width = 1.5;
      }
      series.push(opt);
    });
    var axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    var axes = [
      Object.assign({}, axis),
      Object.assign({}, axis, { scale: "y", label: chart.leftUnit, size: 52 })
    ];
    if (hasRight) {
      axes.push(Object.assign({}, axis, {
        scale: "right", side: 1, label: chart.rightUnit, size: 48, grid: { show: false }
      }));
    }
    var scales = { x: { time: true } };
    if (chart.series.some(function (s) { return s.style === "bars"; })) {
      // Bars are centred on their week: pad the x range by half a week on both sides.
      var half = 3.5 * 86400;
      scales.x.range = function (u, lo, hi) { return [lo - half, hi + half]; };
      scales.y = { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } };
    } else {
      // A nearly flat line gets a readable range, not ticks like 2.045 2.045 2.044.
      scales.y = { range: function (u, lo, hi) {
        var pad = Math.max((hi - lo) * 0.1, Math.abs(hi + lo) * 0.025, 0.05);
        return [lo - pad, hi + pad];
      } };
    }
    if (hasRight) scales.right = { range: [0, 100] };
    return { width: width, height: HEIGHT, series: series, axes: axes, scales: scales, legend: { live: true } };
  }

  function draw() {
    plots.forEach(function (p) { p.plot.destroy(); });
    plots = [];
    data.charts.forEach(function (chart) {
      var host = document.getElementById("chart-" + chart.id);
      if (!host || !chart.x.length) return;
      var columns = [chart.x].concat(chart.series.map(function (s) { return s.values; }));
      var width = Math.max(200, host.clientWidth);
      var plot = new uPlot(options(chart, width), columns, host);
      host.setAttribute("data-drawn", "1");
      plots.push({ plot: plot, host: host });
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      plots.forEach(function (p) {
        p.plot.setSize({ width: Math.max(200, p.host.clientWidth), height: HEIGHT });
      });
    });
  });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", draw);
  }
  draw();
})();
