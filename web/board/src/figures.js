// The month's figures: the three rates (三率) and the ranking of street offices (or districts).
import { BarChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { escape } from "./words.js";

echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

const percent = (value) => (value == null ? "—" : `${(value * 100).toFixed(1)}%`);

export function showRates(element, rates) {
  element.innerHTML = [
    ["响应率", rates.responseRate, rates.responded, rates.received],
    ["解决率", rates.resolutionRate, rates.resolved, rates.received],
    ["满意率", rates.satisfactionRate, rates.satisfied, rates.rated],
  ].map(([name, rate, part, whole]) => `<div class="rate" data-rate="${name}"><b>${percent(rate)}</b><span>${name}</span><small>${part}/${whole}</small></div>`).join("");
}

export function showRanking(element, rankings, ownCode) {
  const rows = rankings.filter((r) => r.jurisdiction).slice(0, 20).reverse();
  element.dataset.ranked = String(rankings.length);
  const chart = echarts.getInstanceByDom(element) ?? echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 40, top: 4, bottom: 4, containLabel: true },
    tooltip: { trigger: "item", formatter: (p) => `${escape(p.name)}：${p.value.toFixed(1)} 分` },
    xAxis: { type: "value", max: 100, show: false },
    yAxis: { type: "category", data: rows.map((r) => `${r.rank}. ${r.jurisdiction.name}`), axisLabel: { fontSize: 12 } },
    series: [{
      type: "bar",
      data: rows.map((r) => ({ value: r.score, itemStyle: { color: r.jurisdiction.code === ownCode ? "#0353a4" : "#8ea9c8" } })),
      label: { show: true, position: "right", formatter: (p) => p.value.toFixed(1) },
    }],
  });
  addEventListener("resize", () => chart.resize());
}
