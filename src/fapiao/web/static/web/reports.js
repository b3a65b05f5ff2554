// The report's charts (Apache ECharts): the sales trend, sales by kind and the shares by rate.
// Their data and titles come from the page; a click on a bar, a point or a slice opens the
// invoices it counts. Each chart has its table on the page.
(function () {
  "use strict";
  if (!window.echarts) return;
  const dark = document.documentElement.dataset.bsTheme === "dark";
  const drawn = [];

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(box, option, urls) {
    const chart = window.echarts.init(box, dark ? "dark" : null, { renderer: "svg" });
    chart.setOption(Object.assign({ backgroundColor: "transparent", animationDuration: 300, aria: { enabled: true } }, option));
    chart.on("click", (params) => {
      const url = urls[params.dataIndex];
      if (url) window.location.href = url;
    });
    drawn.push(chart);
  }

  const charts = data("chart-data");
  if (!charts) return;
  const brand = dark ? "#f0b7a4" : "#8a2f1a";
  for (const box of document.querySelectorAll("[data-chart]")) {
    const name = box.dataset.chart;
    const series = charts[name];
    if (!series || series.values.length === 0) continue;
    const grid = { left: 8, right: 16, top: 52, bottom: 8, containLabel: true };
    const title = { text: box.dataset.title, left: 0, textStyle: { fontSize: 14 } };
    const tooltip = { trigger: name === "rates" ? "item" : "axis" };
    if (name === "rates") {
      draw(box, {
        title: title, tooltip: tooltip,
        color: dark ? ["#f0b7a4", "#e07a5a", "#b5aca9", "#d9b36c", "#8fb3c9", "#a6c48a"]
          : ["#8a2f1a", "#c9663f", "#e8a48f", "#6b6b6b", "#b58b2a", "#3f6f8a"],
        series: [{ type: "pie", radius: ["35%", "65%"], top: 24, cursor: "pointer",
          label: { formatter: "{b}\n{d}%" },
          data: series.labels.map((label, i) => ({ name: label, value: series.values[i] })) }],
      }, series.urls);
    } else {
      draw(box, {
        title: title, tooltip: tooltip, grid: grid, color: [brand],
        xAxis: { type: "category", data: series.labels },
        yAxis: { type: "value" },
        series: [{ type: name === "trend" ? "line" : "bar", data: series.values, cursor: "pointer",
          areaStyle: name === "trend" ? { opacity: 0.12 } : undefined }],
      }, series.urls);
    }
    box.classList.add("drawn");
  }
  window.addEventListener("resize", () => drawn.forEach((chart) => chart.resize()));
})();
