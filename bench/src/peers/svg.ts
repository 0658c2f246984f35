/**
 * The `peers` chart: a hand-written SVG of grouped bars (one group per workload and encoding,
 * one bar per server), one panel per metric. No dependencies; the output is deterministic for
 * the same numbers, so a re-run only changes the file when a figure changed.
 */

/** One panel: a metric over every group. */
export interface SvgPanel {
  readonly title: string;
  /** Logarithmic y axis (for metrics spanning orders of magnitude). */
  readonly log: boolean;
  /** Value of `server` in `group`, or undefined (no bar, "n/a" written). */
  readonly value: (group: string, server: string) => number | undefined;
  readonly format: (v: number) => string;
  /** This panel's own groups (default: the chart's). */
  readonly groups?: readonly string[];
}

/** What to draw. */
export interface SvgChart {
  readonly title: string;
  readonly subtitle: string;
  readonly groups: readonly string[];
  readonly servers: readonly { readonly id: string; readonly label: string; readonly colour: string }[];
  readonly panels: readonly SvgPanel[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders the chart as a standalone SVG document. */
export function renderSvg(c: SvgChart): string {
  const left = 70;
  const right = 20;
  // At least 88 px per group, so that labels such as "terminal zrle" do not run into each other.
  const W = Math.max(980, left + right + 88 * c.groups.length);
  const panelH = 190;
  const plotH = 120;
  const top = 78;
  const H = top + c.panels.length * panelH + 10;
  const defaultGroupW = (W - left - right) / Math.max(1, c.groups.length);
  const barW = Math.min(26, (defaultGroupW - 16) / Math.max(1, c.servers.length));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  out.push(`<text x="${left}" y="40" fill="#444">${esc(c.subtitle)}</text>`);
  c.servers.forEach((s, i) => {
    const x = left + i * 190;
    out.push(`<rect x="${x}" y="52" width="12" height="12" fill="${s.colour}"/>`);
    out.push(`<text x="${x + 17}" y="62">${esc(s.label)}</text>`);
  });
  c.panels.forEach((p, pi) => {
    const groups = p.groups ?? c.groups;
    const groupW = p.groups ? defaultGroupW : (W - left - right) / Math.max(1, groups.length);
    const y0 = top + pi * panelH + 18;
    const yBase = y0 + plotH;
    const vals = groups.flatMap((g) => c.servers.map((s) => p.value(g, s.id))).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
    const max = vals.length ? Math.max(...vals) : 1;
    const minPos = vals.length ? Math.min(...vals) : 1;
    let scale: (v: number) => number;
    const ticks: number[] = [];
    if (p.log) {
      const lo = Math.floor(Math.log10(minPos));
      const hi = Math.ceil(Math.log10(max * 1.0001));
      const span = Math.max(1, hi - lo);
      scale = (v) => (v <= 0 ? 0 : Math.max(2, ((Math.log10(v) - lo) / span) * plotH));
      for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    } else {
      const step = niceStep(max / 4);
      const top2 = Math.ceil(max / step) * step || 1;
      scale = (v) => (v / top2) * plotH;
      for (let t = 0; t <= top2 + 1e-9; t += step) ticks.push(t);
    }
    out.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(p.title)}${p.log ? ' (log scale)' : ''}</text>`);
    for (const t of ticks) {
      const y = yBase - scale(t);
      out.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e2e2e2"/>`);
      out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(p.format(t))}</text>`);
    }
    out.push(`<line x1="${left}" x2="${W - right}" y1="${yBase}" y2="${yBase}" stroke="#888"/>`);
    groups.forEach((g, gi) => {
      const gx = left + gi * groupW + (groupW - barW * c.servers.length) / 2;
      c.servers.forEach((s, si) => {
        const v = p.value(g, s.id);
        const x = gx + si * barW;
        if (v === undefined || !Number.isFinite(v)) {
          out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${yBase - 3}" text-anchor="middle" fill="#999" font-size="8">n/a</text>`);
          return;
        }
        const h = scale(v);
        out.push(`<rect x="${x.toFixed(1)}" y="${(yBase - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${esc(`${g}, ${s.label}: ${p.format(v)}`)}</title></rect>`);
        out.push(
          `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(yBase - h - 3).toFixed(1)}" text-anchor="middle" font-size="8" fill="#333">${esc(p.format(v))}</text>`,
        );
      });
      out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${yBase + 15}" text-anchor="middle" fill="#222">${esc(g)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(raw));
  const m = raw / e;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}
