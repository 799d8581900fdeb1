/* callrec console: the overview's charts, drawn with the vendored uPlot from the JSON the
   page embeds (#overview-data). The x axis is the series' buckets in order, labelled as the
   server labels them (in the workspace's zone), so the browser's own zone plays no part.
   The figures themselves are in the page's tables; a chart only draws them. */
(function () {
  "use strict";
  var source = document.getElementById("overview-data");
  if (!source || typeof uPlot === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var labels = data.labels;
  var daily = data.series === "day";
  var xs = labels.map(function (_label, index) { return index; });
  var bars = uPlot.paths.bars({ size: [0.8, 60] });
  var ink = "#1d2430", accent = "#0b5cad", good = "#1c6b34", warm = "#b4580a";

  function shortLabel(index) {
    var label = labels[index];
    if (label === undefined) { return ""; }
    // 2024-03-10 -> 03-10; 2024-03-10T14:00+05:30 -> 03-10 14h (00h, 01h... by the hour)
    return daily ? label.slice(5, 10) : label.slice(5, 10) + " " + label.slice(11, 13) + "h";
  }

  function xAxis() {
    return {
      stroke: ink,
      grid: { show: false },
      splits: function (u) {
        var step = Math.max(1, Math.ceil(xs.length / Math.max(2, Math.floor(u.bbox.width / devicePixelRatio / 70))));
        return xs.filter(function (x) { return x % step === 0; });
      },
      values: function (_u, splits) { return splits.map(shortLabel); },
    };
  }

  function options(element, series, axes, scales) {
    return {
      width: Math.max(260, element.clientWidth),
      height: 220,
      scales: Object.assign({ x: { time: false, range: [-0.5, xs.length - 0.5] } }, scales || {}),
      series: [{ label: daily ? "Day" : "Hour", value: function (_u, x) { return x == null ? "" : labels[x]; } }].concat(series),
      axes: [xAxis()].concat(axes),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
  }

  function count(label, values, colour, asBars) {
    return {
      label: label, stroke: colour, width: asBars ? 1 : 2,
      fill: asBars ? colour + "33" : undefined, paths: asBars ? bars : undefined,
      points: { show: !asBars && xs.length < 60 },
    };
  }

  var charts = [];
  function draw(id, series, values, axes, scales) {
    var element = document.getElementById(id);
    if (!element) { return; }
    charts.push([element, new uPlot(options(element, series, axes, scales), [xs].concat(values), element)]);
  }

  draw("chart-calls",
    [count("Calls", data.attempts, accent, true), count("Answered", data.answered, good, false),
     { label: "ASR %", stroke: warm, width: 2, scale: "%", value: function (_u, v) { return v == null ? "–" : v.toFixed(2) + " %"; } }],
    [data.attempts, data.answered, data.asr],
    [{ stroke: ink }, { scale: "%", side: 1, stroke: warm, grid: { show: false }, values: function (_u, s) { return s.map(function (v) { return v + " %"; }); } }],
    { "%": { range: [0, 100] } });
  draw("chart-minutes", [count("Charged min", data.minutes, accent, true)], [data.minutes], [{ stroke: ink }]);
  draw("chart-spend",
    [Object.assign(count("Spend " + data.currency, data.spend, good, true), { value: function (_u, v) { return v == null ? "" : v.toFixed(6); } })],
    [data.spend], [{ stroke: ink, size: 70 }]);

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { cancelAnimationFrame(pending); }
    pending = requestAnimationFrame(function () {
      charts.forEach(function (pair) {
        pair[1].setSize({ width: Math.max(260, pair[0].clientWidth), height: 220 });
      });
    });
  });
  document.documentElement.setAttribute("data-charts", String(charts.length));
})();
