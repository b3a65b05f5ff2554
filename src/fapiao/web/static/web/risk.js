// The risk alerts' trend (Apache ECharts): alerts raised per day of the last 30 days, stacked by
// severity; the days come from the page, the severities' names from the box's data attributes.
(function () {
  "use strict";
  const box = document.getElementById("risk-trend");
  const source = document.getElementById("risk-trend-data");
  if (!window.echarts || !box || !source) return;
  const days = JSON.parse(source.textContent);
  const dark = document.documentElement.dataset.bsTheme === "dark";
  const colours = { info: "#6c757d", warning: "#d39e00", critical: "#c0392b" };
  const chart = window.echarts.init(box, dark ? "dark" : null, { renderer: "svg" });
  chart.setOption({
    backgroundColor: "transparent",
    aria: { enabled: true },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 30, right: 10, top: 30, bottom: 20 },
    xAxis: { type: "category", data: days.map((d) => d.day.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: ["info", "warning", "critical"].map((level) => ({
      name: box.dataset[level],
      type: "bar",
      stack: "alerts",
      itemStyle: { color: colours[level] },
      data: days.map((d) => d[level]),
    })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
