/* Charts of the overview and station pages (Apache ECharts, served from this server). */
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el || !window.echarts) return;
  var data = JSON.parse(el.textContent);
  var charts = [];
  function make(id, option) {
    var box = document.getElementById(id);
    if (!box) return;
    var chart = window.echarts.init(box);
    chart.setOption(option);
    charts.push(chart);
  }
  var grid = { left: 50, right: 16, top: 40, bottom: 60, containLabel: false };
  if (data.counties) {
    make("chart-counties", {
      title: { text: "各县（区）活动场次与目标（折算）", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, legend: { top: 32, left: "center" }, grid: { left: 50, right: 16, top: 70, bottom: 40 },
      xAxis: { type: "category", data: data.counties, axisLabel: { interval: 0, rotate: data.counties.length > 4 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [
        { name: "活动场次", type: "bar", data: data.activities, itemStyle: { color: "#0b5cad" } },
        { name: "目标", type: "bar", data: data.activities_target, itemStyle: { color: "#c9d3dd" } }
      ]
    });
    make("chart-stations", {
      title: { text: "各站人均参与次数（虚线为折算目标）", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, grid: grid,
      dataZoom: data.stations.length > 20 ? [{ type: "inside" }, { type: "slider", height: 14, bottom: 4 }] : [],
      xAxis: { type: "category", data: data.stations, axisLabel: { rotate: 45, fontSize: 10,
        formatter: function (v) { return v.length > 6 ? v.slice(0, 6) + "…" : v; } } },
      // Keep the target line in view even when every station is far below it.
      yAxis: { type: "value", max: function (v) { return Math.ceil(Math.max(v.max, data.per_resident_target) * 11) / 10; },
        axisLabel: { formatter: function (v) { return Math.round(v * 100) / 100; } } },
      series: [{
        name: "人均参与次数", type: "bar", data: data.per_resident, itemStyle: { color: "#2f855a" },
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#a61b1b" }, label: { formatter: "目标 {c}" },
          data: [{ yAxis: data.per_resident_target }] }
      }]
    });
  }
  if (data.months) {
    make("chart-months", {
      title: { text: "逐月活动场次与参与人次", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, legend: { top: 32, left: "center" }, grid: { left: 50, right: 60, top: 80, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: [{ type: "value", name: "场次" }, { type: "value", name: "人次" }],
      series: [
        { name: "活动场次", type: "bar", data: data.activities, itemStyle: { color: "#0b5cad" } },
        { name: "参与人次", type: "line", yAxisIndex: 1, data: data.person_visits, itemStyle: { color: "#d69e2e" } }
      ]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
