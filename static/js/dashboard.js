// The place dashboard's charts: Apache ECharts configured from the JSON in #dashboard-charts (no
// inline script, so the Content-Security-Policy holds). Every bar or slice links to the projects
// behind it; the charts follow the width of their card.
(function () {
  "use strict";
  function start() {
    var data = document.getElementById("dashboard-charts");
    if (!data || !window.echarts) return;
    var specs = JSON.parse(data.textContent);
    var lang = document.documentElement.lang || "zh-hans";
    var compact;
    try { compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }); }
    catch (e) { compact = new Intl.NumberFormat(); }
    var charts = [];
    specs.forEach(function (spec) {
      var el = document.querySelector('.chart[data-chart="' + spec.id + '"]');
      if (!el || !spec.labels.length) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      var option;
      if (spec.type === "pie") {
        option = {
          tooltip: { trigger: "item" },
          legend: { type: "scroll", bottom: 0 },
          series: [{
            name: spec.series[0], type: "pie", radius: ["30%", "58%"], center: ["50%", "45%"],
            label: { formatter: "{c}" },
            data: spec.labels.map(function (l, i) { return { name: l, value: spec.values[0][i] }; })
              .filter(function (d) { return d.value; })
          }]
        };
      } else {
        option = {
          tooltip: { trigger: "axis" },
          legend: spec.series.length > 1 ? { top: 0 } : undefined,
          grid: { left: 8, right: 16, top: spec.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
          xAxis: { type: "value", splitNumber: 3,
                   axisLabel: { hideOverlap: true, formatter: function (v) { return compact.format(v); } } },
          yAxis: { type: "category", data: spec.labels, inverse: true,
                   axisLabel: { width: 96, overflow: "truncate" } },
          series: spec.series.map(function (name, i) {
            return { name: name, type: "bar", data: spec.values[i] };
          })
        };
      }
      chart.setOption(option);
      chart.on("click", function (p) {
        var i = spec.labels.indexOf(p.name);
        if (i >= 0 && spec.links[i]) window.location.href = spec.links[i];
      });
      charts.push(chart);
    });
    var resize = function () { charts.forEach(function (c) { c.resize(); }); };
    window.addEventListener("resize", resize);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
