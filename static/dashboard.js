/* Dashboard charts (数据看板): reads GET /api/v1/dashboard (the URL is in #dashboard's data-source, with
   the page's period and department) and draws each [data-chart] element with the local ECharts copy.
   The numbers are also in the page's tables, so the page stays complete without JavaScript. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) { return; }
  var L = JSON.parse(root.getAttribute("data-labels") || "{}");
  var COLORS = ["#0b4f9c", "#2f9e6f", "#f2a900", "#b42318", "#7a5af8", "#52606d"];

  function pct(v) { return v === null || v === undefined ? null : Math.round(v * 10000) / 100; }
  function kindName(k) { return (L.kinds && L.kinds[k]) || k; }
  function base(extra) {
    var opt = {
      color: COLORS,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      // richText tooltips draw on the canvas: HTML tooltips would need inline styles, which the CSP forbids
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 32, containLabel: true }
    };
    for (var key in extra) { if (Object.prototype.hasOwnProperty.call(extra, key)) { opt[key] = extra[key]; } }
    return opt;
  }

  var builders = {
    share_month: function (d) {
      var rows = d.on_demand_share_rate.by_month;
      return base({
        xAxis: { type: "category", data: rows.map(function (r) { return r.month; }) },
        yAxis: [{ type: "value", name: L.decided, minInterval: 1 },
                { type: "value", name: "%", min: 0, max: 100 }],
        series: [
          { name: L.decided, type: "bar", data: rows.map(function (r) { return r.decided; }) },
          { name: L.fulfilled, type: "bar", data: rows.map(function (r) { return r.fulfilled; }) },
          { name: L.rate, type: "line", yAxisIndex: 1, connectNulls: true,
            data: rows.map(function (r) { return pct(r.rate); }) }
        ]
      });
    },
    approval_time: function (d) {
      var kinds = Object.keys(d.approval_time_hours);
      return base({
        xAxis: { type: "category", data: kinds.map(kindName) },
        yAxis: { type: "value", name: L.hours },
        series: ["median", "p90"].map(function (p) {
          return { name: L[p], type: "bar", data: kinds.map(function (k) { return d.approval_time_hours[k][p]; }) };
        })
      });
    },
    breaches: function (d) {
      var kinds = Object.keys(d.deadline_breaches).filter(function (k) { return k !== "all"; });
      var parts = [["decided_on_time", L.on_time, "#2f9e6f"], ["decided_late", L.late, "#f2a900"],
                   ["open_overdue", L.overdue, "#b42318"], ["open_in_time", L.open_in_time, "#9aa5b1"]];
      return base({
        xAxis: { type: "category", data: kinds.map(kindName) },
        yAxis: { type: "value", minInterval: 1 },
        series: parts.map(function (p) {
          return { name: p[1], type: "bar", stack: "steps", itemStyle: { color: p[2] },
                   data: kinds.map(function (k) { return d.deadline_breaches[k][p[0]]; }) };
        })
      });
    },
    share_department: function (d) {
      // every department with decided lines, best at the top; the box grows with the number of bars
      var rows = d.on_demand_share_rate.by_department.filter(function (r) { return r.rate !== null; }).reverse();
      this.height = Math.max(280, rows.length * 22 + 60);
      return base({
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 32, top: 24, bottom: 24, containLabel: true },
        legend: { show: false },
        xAxis: { type: "value", min: 0, max: 100, name: "%" },
        yAxis: { type: "category", data: rows.map(function (r) { return r.department; }) },
        series: [{ name: L.rate, type: "bar", data: rows.map(function (r) { return pct(r.rate); }) }]
      });
    },
    coverage: function (d) {
      var rows = d.catalog_coverage.categories;
      return base({
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        xAxis: { type: "category", data: rows.map(function (r) { return r.category || L.uncategorised; }),
                 axisLabel: { rotate: rows.length > 8 ? 40 : 0, interval: 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: L.entries, type: "bar", data: rows.map(function (r) { return r.entries; }) },
                 { name: L.requested, type: "bar", data: rows.map(function (r) { return r.requested; }) }]
      });
    },
    demands: function (d) {
      var rows = d.demand_fulfilment_rate.by_state;
      return base({
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        legend: { show: false },
        xAxis: { type: "category", data: rows.map(function (r) { return (L.states && L.states[r.state]) || r.state; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: L.demands, type: "bar", data: rows.map(function (r) { return r.demands; }) }]
      });
    },
    objections: function (d) {
      var rows = d.objection_resolution_time_hours.by_outcome;
      return base({
        tooltip: { trigger: "item", renderMode: "richText" },
        series: [{ name: L.objections, type: "pie", radius: ["40%", "68%"], top: 24,
                   data: rows.map(function (r) {
                     return { name: (L.outcomes && L.outcomes[r.outcome]) || r.outcome, value: r.objections };
                   }) }]
      });
    }
  };

  function draw(data) {
    var charts = [];
    Array.prototype.forEach.call(root.querySelectorAll("[data-chart]"), function (el) {
      var build = builders[el.getAttribute("data-chart")];
      if (!build) { return; }
      var sizing = {};
      var option = build.call(sizing, data);
      if (sizing.height) { el.style.height = sizing.height + "px"; }  // CSSOM, allowed by the CSP
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.classList.add("chart-ready");
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  function fail() {
    Array.prototype.forEach.call(root.querySelectorAll("[data-chart]"), function (el) {
      el.classList.add("chart-failed");
    });
  }

  fetch(root.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(draw, fail);
}());
