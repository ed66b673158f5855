/* Charts of the overview and station pages (Apache ECharts, served from this server). */
(function () {
  "use strict";
  var el = document.getElementById("chart-data");
  if (!el) return;
  var data = JSON.parse(el.textContent);
  var charts = [];
  function hasData(values) {
    return (values || []).some(function (v) { return v !== null && v !== 0; });
  }
  // A chart with nothing to draw says so in words, not with empty axes.
  function empty(box, title, note) {
    box.classList.add("empty");
    box.textContent = "";
    var h = document.createElement("p");
    h.className = "chart-title";
    h.textContent = title;
    var p = document.createElement("p");
    p.className = "chart-empty";
    p.textContent = "暂无数据" + (note ? "（" + note + "）" : "");
    box.appendChild(h);
    box.appendChild(p);
  }
  function make(id, title, values, option, note) {
    var box = document.getElementById(id);
    if (!box) return;
    if (!hasData(values)) { empty(box, title, note); return; }
    if (!window.echarts) return;
    option.title = { text: title, textStyle: { fontSize: 14 } };
    option.animation = false;  // drawn at once: no half-grown bars on slow office PCs or in prints
    var chart = window.echarts.init(box);
    chart.setOption(option);
    charts.push(chart);
  }
  if (data.counties) {
    make("chart-counties", "各县（区）活动场次与目标（折算）",
      data.activities.concat(data.activities_target), {
        tooltip: { trigger: "axis" }, legend: { top: 32, left: "center" },
        grid: { left: 50, right: 16, top: 70, bottom: 40 },
        xAxis: { type: "category", data: data.counties, axisLabel: { interval: 0, rotate: data.counties.length > 4 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "活动场次", type: "bar", data: data.activities, itemStyle: { color: "#0b5cad" } },
          { name: "目标", type: "bar", data: data.activities_target, itemStyle: { color: "#8fa3b8" } }
        ]
      });
    // One horizontal bar per station, lowest first: 60+ names stay readable (the box grows
    // with the number of stations) and the target is a dashed line with its label inside.
    var n = data.stations.length;
    var box = document.getElementById("chart-stations");
    if (box && n > 10) { box.classList.add("wide"); box.style.height = (90 + n * 22) + "px"; }
    var target = data.per_resident_target;
    var of = data.bars_of === "站" ? "各站" : "各" + data.bars_of;
    make("chart-stations", of + "人均参与次数（虚线为折算目标 " + target + "）", data.per_resident, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 40, top: 40, bottom: 24, containLabel: true },
      yAxis: { type: "category", data: data.stations, inverse: true,
        axisLabel: { interval: 0, fontSize: 12, width: 170, overflow: "truncate" } },
      xAxis: { type: "value", max: function (v) { return Math.ceil(Math.max(v.max, target) * 11) / 10; },
        axisLabel: { formatter: function (v) { return Math.round(v * 100) / 100; } } },
      series: [{
        name: "人均参与次数", type: "bar", data: data.per_resident, barMaxWidth: 16, itemStyle: { color: "#2f855a" },
        markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#a61b1b" },
          label: { formatter: "目标 {c}", position: "insideStartTop", color: "#a61b1b" },
          data: [{ xAxis: target }] }
      }]
    }, data.no_population ? data.no_population + "个" + data.bars_of + "未填服务人口" : "");
  }
  if (data.months) {
    make("chart-months", "逐月活动场次与参与人次", data.activities.concat(data.person_visits), {
      tooltip: { trigger: "axis" }, legend: { top: 32, left: "center" }, grid: { left: 50, right: 60, top: 80, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      // Counts: whole-number ticks only (a few activities gave 0.2, 0.4 … on the 场次 axis).
      yAxis: [{ type: "value", name: "场次", minInterval: 1 }, { type: "value", name: "人次", minInterval: 1 }],
      series: [
        { name: "活动场次", type: "bar", data: data.activities, itemStyle: { color: "#0b5cad" } },
        { name: "参与人次", type: "line", yAxisIndex: 1, data: data.person_visits, itemStyle: { color: "#b7791f" } }
      ]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
