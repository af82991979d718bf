// Analytics charts: each figure[data-chart] holds a table of its data (what people without
// JavaScript, and screen readers, get). This draws the chart from that table with Chart.js
// (served from our own origin) and folds the table into a "Show the table" box.
(function () {
  'use strict';
  if (typeof Chart === 'undefined') return;
  const css = getComputedStyle(document.documentElement);
  const color = function (name, fallback) { return (css.getPropertyValue(name) || '').trim() || fallback; };
  const palette = [color('--accent', '#0f766e'), color('--info', '#0b5cad'), '#b45309', '#7c3aed'];
  Chart.defaults.color = color('--muted', '#57606a');
  Chart.defaults.borderColor = color('--border', '#d8dee4');
  Chart.defaults.font.family = css.getPropertyValue('--font') || 'system-ui';

  for (const figure of document.querySelectorAll('figure[data-chart]')) {
    const table = figure.querySelector('table[data-chart-table]');
    if (!table) continue;
    const names = Array.from(table.querySelectorAll('thead th[data-series]')).map(function (th) { return th.textContent.trim(); });
    const rows = Array.from(table.querySelectorAll('tbody tr'));
    const labels = rows.map(function (tr) { const th = tr.querySelector('th'); return th ? th.dataset.label || th.textContent.trim() : ''; });
    const datasets = names.map(function (name, i) {
      return {
        label: name,
        data: rows.map(function (tr) {
          const cell = tr.querySelectorAll('td[data-value]')[i];
          return cell && cell.dataset.value !== '' ? Number(cell.dataset.value) : null;
        }),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        pointRadius: rows.length > 60 ? 0 : 2,
        borderWidth: 2,
        spanGaps: false,
      };
    });
    const kind = figure.dataset.chart === 'bar' ? 'bar' : 'line';
    const box = document.createElement('div');
    box.className = 'chart__canvas chart__canvas--' + kind;
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', (figure.querySelector('figcaption') || figure).textContent.trim());
    box.appendChild(canvas);
    figure.insertBefore(box, figure.querySelector('.table-scroll') || table);
    new Chart(canvas, {
      type: kind,
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: kind === 'bar' ? 'y' : 'x',
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { display: datasets.length > 1 } },
        scales: kind === 'bar' ? { x: { beginAtZero: true } } : { x: { ticks: { maxTicksLimit: 8, autoSkip: true } } },
      },
    });
    const holder = table.closest('.table-scroll') || table;
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = figure.dataset.tableLabel || 'Table';
    details.appendChild(summary);
    holder.parentNode.insertBefore(details, holder);
    details.appendChild(holder);
    figure.classList.add('chart--drawn');
  }
})();
