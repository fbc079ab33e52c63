/**
 * bench/out/scale.svg: wall time per tick and cost per tenant-month against the tenant count, Burnwatch beside the
 * naive baseline. Plain SVG text (no dependencies), so the chart diffs and renders on GitHub.
 */

export interface ChartPoint {
  readonly tenants: number;
  readonly wallSeconds: number;
  readonly costPerTenantMonthUsd: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: readonly ChartPoint[];
}

const WIDTH = 880;
const BASE_HEIGHT = 360;
const NOTE_LINE = 16;
const PANEL = { width: 360, height: 240, top: 50, left: [70, 510] as const };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicksLog(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp += 1) ticks.push(10 ** exp);
  return ticks;
}

function niceTicksLinear(max: number): number[] {
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

/** Tenant counts as 1k, 10k; other values as plain numbers. */
function label(value: number, thousands: boolean): string {
  if (thousands && value >= 1000) return `${value / 1000}k`;
  return String(Math.round(value * 1000) / 1000);
}

interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly value: (p: ChartPoint) => number;
  readonly logY: boolean;
  readonly reference?: { readonly value: number; readonly text: string };
}

function renderPanel(panel: Panel, left: number, series: readonly ChartSeries[], xTicks: readonly number[]): string[] {
  const { top, width, height } = PANEL;
  const values = series.flatMap((s) => s.points.map(panel.value)).filter((v) => v > 0);
  if (panel.reference) values.push(panel.reference.value);
  const yMax = Math.max(...values) * 1.15;
  const yMin = panel.logY ? Math.min(...values) / 1.5 : 0;
  const yTicks = panel.logY ? niceTicksLog(yMin, yMax) : niceTicksLinear(yMax);
  const yTop = panel.logY ? Math.max(yMax, yTicks[yTicks.length - 1] ?? yMax) : (yTicks[yTicks.length - 1] ?? yMax);
  const yBottom = panel.logY ? Math.min(yMin, yTicks[0] ?? yMin) : 0;
  const xMin = xTicks[0] ?? 1;
  const xMax = xTicks[xTicks.length - 1] ?? 10;
  const x = (tenants: number): number => left + ((Math.log10(tenants) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * width;
  const y = (v: number): number => {
    const share = panel.logY ? (Math.log10(v) - Math.log10(yBottom)) / (Math.log10(yTop) - Math.log10(yBottom)) : (v - yBottom) / (yTop - yBottom);
    return top + height - share * height;
  };
  const out: string[] = [
    `<text x="${left + width / 2}" y="${top - 18}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  for (const tick of yTicks.filter((t) => t >= yBottom && t <= yTop)) {
    out.push(`<line x1="${left}" x2="${left + width}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${label(tick, false)}</text>`);
  }
  for (const tick of xTicks) {
    out.push(`<text x="${x(tick).toFixed(1)}" y="${top + height + 16}" text-anchor="middle">${label(tick, true)}</text>`);
  }
  out.push(`<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle">tenants</text>`);
  out.push(`<text transform="translate(${left - 48},${top + height / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`);
  if (panel.reference) {
    const ry = y(panel.reference.value).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + width}" y1="${ry}" y2="${ry}" stroke="#c00" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${left + 4}" y="${Number(ry) - 4}" fill="#c00">${escapeXml(panel.reference.text)}</text>`);
  }
  for (const s of series) {
    const points = s.points.filter((p) => panel.value(p) > 0);
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.tenants).toFixed(1)},${y(panel.value(p)).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`);
    for (const p of points) {
      out.push(`<circle cx="${x(p.tenants).toFixed(1)}" cy="${y(panel.value(p)).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
  }
  return out;
}

/** `notes` are printed under the legend, e.g. why a point is missing. */
export function renderScaleChart(series: readonly ChartSeries[], subtitle: string, notes: readonly string[] = []): string {
  const HEIGHT = BASE_HEIGHT + notes.length * NOTE_LINE;
  const tenants = series.flatMap((s) => s.points.map((p) => p.tenants));
  const xTicks = niceTicksLog(Math.min(...tenants), Math.max(...tenants));
  const panels: Panel[] = [
    { title: 'Wall time per tick (mean over the hour)', yLabel: 'seconds', value: (p) => p.wallSeconds, logY: true, reference: { value: 60, text: 'one tick a minute' } },
    { title: 'Cost per tenant and month', yLabel: 'USD (us-east-1 list prices)', value: (p) => p.costPerTenantMonthUsd, logY: false },
  ];
  const legend = series.map(
    (s, i) =>
      `<line x1="${70 + i * 220}" x2="${100 + i * 220}" y1="${BASE_HEIGHT - 16}" y2="${BASE_HEIGHT - 16}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>` +
      `<text x="${106 + i * 220}" y="${BASE_HEIGHT - 12}">${escapeXml(s.name)}</text>`,
  );
  const noteLines = notes.map((note, i) => `<text x="70" y="${BASE_HEIGHT + 4 + i * NOTE_LINE}" fill="#555">${escapeXml(note)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="14" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
    ...renderPanel(panels[0] as Panel, PANEL.left[0], series, xTicks),
    ...renderPanel(panels[1] as Panel, PANEL.left[1], series, xTicks),
    ...legend,
    ...noteLines,
    '</svg>',
    '',
  ].join('\n');
}
