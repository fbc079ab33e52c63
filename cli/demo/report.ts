/**
 * The demo's HTML report: one self-contained file (inline SVG, no scripts, no network) with the incidents, their
 * timelines and alerts, and per-tenant burn-rate and budget charts with alert markers.
 */
import { countPages, workflowSummary } from './run';
import type { DemoResult, TenantTrack } from './run';

const esc = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const hhmm = (at: number): string => new Date(at).toISOString().slice(11, 16);
const TIMELINE_ENTRIES = 14;

interface Marker {
  readonly at: number;
  readonly label: string;
  readonly color: string;
}

const LEVEL_COLOR: Record<string, string> = { page: '#c62828', ticket: '#ef6c00', ok: '#2e7d32' };

/** A line chart of `values` (one per tick) with a threshold line and vertical markers. */
function chart(
  values: Float32Array,
  times: Float64Array,
  options: { width: number; height: number; max: number; threshold?: number; markers: readonly Marker[]; color: string; label: string; percent?: boolean },
): string {
  const { width, height, max } = options;
  const pad = 28;
  const n = values.length;
  const x = (i: number): number => pad + ((width - pad - 4) * i) / Math.max(1, n - 1);
  const y = (v: number): number => height - 14 - ((height - 24) * Math.min(Math.max(v, 0), max)) / max;
  const step = Math.max(1, Math.floor(n / 480));
  let path = '';
  for (let i = 0; i < n; i += step) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    path += `${path === '' ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  }
  const first = times[0] ?? 0;
  const tickMs = n > 1 ? ((times[n - 1] ?? first) - first) / (n - 1) : 60_000;
  const markers = options.markers
    .map((m) => {
      const i = (m.at - first) / tickMs;
      if (i < 0 || i > n) return '';
      return `<line x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="8" y2="${height - 14}" stroke="${m.color}" stroke-dasharray="3,2"><title>${esc(m.label)}</title></line>`;
    })
    .join('');
  const threshold =
    options.threshold !== undefined
      ? `<line x1="${pad}" x2="${width - 4}" y1="${y(options.threshold).toFixed(1)}" y2="${y(options.threshold).toFixed(1)}" stroke="#999" stroke-dasharray="6,3"/>`
      : '';
  const fmt = (v: number): string => (options.percent ? `${Math.round(v * 100)}%` : `${v}x`);
  const hours = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${x(f * (n - 1)).toFixed(0)}" y="${height - 2}" font-size="9" text-anchor="middle">${hhmm(first + f * (n - 1) * tickMs)}</text>`)
    .join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.label)}">
<rect x="${pad}" y="8" width="${width - pad - 4}" height="${height - 22}" fill="#fafafa" stroke="#ddd"/>
<text x="2" y="14" font-size="9">${fmt(max)}</text><text x="2" y="${height - 14}" font-size="9">${fmt(0)}</text>
${threshold}${markers}<path d="${path}" fill="none" stroke="${options.color}" stroke-width="1.3"/>${hours}</svg>`;
}

function maxOf(values: Float32Array): number {
  let max = 0;
  for (const v of values) if (!Number.isNaN(v) && v > max) max = v;
  return max;
}

export function renderReport(result: DemoResult): string {
  const { scenario, tracks, tickTimes, transitions, incidents, alerts } = result;
  const pageRule = scenario.slo.rules.reduce((a, b) => (b.longWindowMinutes < a.longWindowMinutes ? b : a));
  const markersByTenant = new Map<string, Marker[]>();
  for (const t of transitions) {
    const list = markersByTenant.get(t.tenant) ?? [];
    list.push({ at: t.state.updatedAt, label: `${hhmm(t.state.updatedAt)} ${t.transition} (${t.state.level})`, color: LEVEL_COLOR[t.state.level] ?? '#555' });
    markersByTenant.set(t.tenant, list);
  }
  const affected = [...tracks.keys()].filter((t) => markersByTenant.has(t));
  const quiet = [...tracks.keys()].filter((t) => !markersByTenant.has(t));
  const bigChart = (tenant: string, track: TenantTrack): string => {
    const markers = markersByTenant.get(tenant) ?? [];
    const burnMax = Math.max(pageRule.burnRate * 1.5, Math.ceil(maxOf(track.burn)));
    return `<div class="tenant"><h3>${esc(tenant)}</h3>
<div class="pair"><div><div class="cap">${esc(pageRule.name.split('/')[0] ?? '')} burn rate (page threshold ${pageRule.burnRate.toFixed(1)}x dashed)</div>${chart(track.burn, tickTimes, { width: 460, height: 130, max: burnMax, threshold: pageRule.burnRate, markers, color: '#1565c0', label: `${tenant} burn rate` })}</div>
<div><div class="cap">error budget remaining</div>${chart(track.budget, tickTimes, { width: 460, height: 130, max: 1, markers, color: '#6a1b9a', label: `${tenant} budget remaining`, percent: true })}</div></div>
<ul class="marks">${markers.map((m) => `<li style="color:${m.color}">${esc(m.label)}</li>`).join('')}</ul></div>`;
  };
  const smallChart = (tenant: string, track: TenantTrack): string =>
    `<div class="small"><div class="cap">${esc(tenant)}</div>${chart(track.burn, tickTimes, { width: 220, height: 70, max: Math.max(2, Math.ceil(maxOf(track.burn))), markers: [], color: '#1565c0', label: `${tenant} burn rate` })}</div>`;

  const incidentRows = incidents
    .map((i) => {
      // Large incidents have an entry per tenant; the report keeps the first ones and says how many more there are.
      const shown = i.timeline.slice(0, TIMELINE_ENTRIES);
      const more = i.timeline.length - shown.length;
      const timeline =
        shown.map((e) => `<li>${hhmm(e.at)} <b>${esc(e.step)}</b> ${esc(e.detail)}</li>`).join('') +
        (more > 0 ? `<li>... ${more} more entries in the incident record</li>` : '');
      const incidentAlerts = alerts
        .filter((a) => a.incidentId === i.id)
        .map((a) => `<li>${hhmm(a.at)} <b>${esc(a.type)}</b> <code>${esc(a.subject)}</code></li>`)
        .join('');
      const tenants = i.tenants
        .map((t) => `${esc(t.tenant)}${t.recoveredAt !== null ? ` (recovered ${hhmm(t.recoveredAt)}, lost ${((t.budgetLost ?? 0) * 100).toFixed(2)}% budget)` : ''}`)
        .join(', ');
      const done = workflowSummary(result.workflow.get(i.id));
      const workflow =
        `<ul class="workflow">${done.actions.map((a) => `<li>action: ${esc(a)}</li>`).join('')}` +
        `${done.validations.map((v) => `<li>validation ${v.at.slice(11, 16)}: ${v.tenantsRecovered}/${v.tenantsTotal} tenants recovered</li>`).join('')}` +
        `${done.recovery === null ? '' : `<li>workflow: <b>${esc(done.recovery)}</b></li>`}</ul>`;
      return `<tr><td><code>${esc(i.id)}</code></td><td class="${esc(i.severity)}">${esc(i.severity)}</td><td>${hhmm(i.openedAt)}</td><td>${i.resolvedAt === null ? 'open' : hhmm(i.resolvedAt)}</td>
<td>${i.tenants.length}: ${tenants}</td><td>${esc(i.suspectedCause ?? '—')}<br><small>${esc(i.failureMode ?? '')}</small>${workflow}</td>
<td><ul>${incidentAlerts}</ul><ul class="timeline">${timeline}</ul></td></tr>`;
    })
    .join('\n');
  const pages = countPages(alerts);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Burnwatch demo: ${esc(scenario.name)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:14px;margin:8px 0 2px}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
.page{color:#c62828;font-weight:bold}.ticket{color:#ef6c00;font-weight:bold}
.pair{display:flex;gap:16px}.cap{font-size:11px;color:#555}.marks{font-size:11px;margin:2px 0 10px;columns:3}
.grid{display:flex;flex-wrap:wrap;gap:6px}.small{border:1px solid #eee;padding:2px}
ul{margin:0;padding-left:16px}code{font-size:11px}.timeline{color:#555}
</style></head><body>
<h1>Burnwatch demo: ${esc(scenario.name)}</h1>
<p>SLO <b>${esc(scenario.slo.name)}</b> at ${scenario.slo.objectivePercent}% over ${scenario.slo.periodDays} days; rules:
${scenario.slo.rules.map((r) => `${esc(r.severity)} ${esc(r.name)} at ${r.burnRate.toFixed(1)}x`).join(', ')}.
${result.ticks} evaluator ticks of ${tracks.size} tenants, from ${new Date(scenario.start).toISOString()} to ${new Date(scenario.end).toISOString()},
run in ${result.wallSeconds.toFixed(1)} s. <b>${incidents.length}</b> incidents, <b>${pages}</b> pages, <b>${alerts.length}</b> alerts.</p>
<h2>Incidents</h2>
<table><thead><tr><th>incident</th><th>severity</th><th>opened</th><th>resolved</th><th>tenants</th><th>suspected cause and workflow</th><th>alerts and timeline</th></tr></thead>
<tbody>
${incidentRows}
</tbody></table>
<h2>Tenants with alerts (${affected.length})</h2>
${affected.map((t) => bigChart(t, tracks.get(t) as TenantTrack)).join('\n')}
<h2>Tenants without alerts (${quiet.length}): ${esc(pageRule.name.split('/')[0] ?? '')} burn rate</h2>
<div class="grid">${quiet.map((t) => smallChart(t, tracks.get(t) as TenantTrack)).join('')}</div>
</body></html>
`;
}
