/**
 * Result types and their presentation: every benchmark returns a {@link BenchResult}, printed
 * as a plain-text table and stored as JSON (raw numbers, not formatted text).
 */

/** One cell value: numbers stay numbers in JSON; formatting is the table's business. */
export type Cell = number | string | boolean | null;

/** One table row, keyed by column key. */
export type Row = Record<string, Cell>;

/** A column of a result table. */
export interface Column {
  /** Key into each {@link Row}. */
  readonly key: string;
  /** Header text. */
  readonly header: string;
  /** How to print a number (default: up to 3 significant decimals). */
  readonly format?: (v: number) => string;
}

/** What one benchmark produced. */
export interface BenchResult {
  /** Benchmark name (as given on the command line). */
  readonly name: string;
  /** One-line title. */
  readonly title: string;
  /** Table columns, in order. */
  readonly columns: readonly Column[];
  /** Table rows. */
  readonly rows: readonly Row[];
  /** Free-text notes printed under the table (targets, expectations, caveats). */
  readonly notes: readonly string[];
}

/** A runnable benchmark. */
export interface Benchmark {
  /** Short name used on the command line, e.g. `tile-diff`. */
  readonly name: string;
  /** Runs it and returns its table. */
  run(): Promise<BenchResult> | BenchResult;
}

/** Formats a duration in ms with a unit that suits its size. */
export function fmtTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 1 : 3)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(ms >= 0.1 ? 1 : 3)} µs`;
  return `${(ms * 1e6).toFixed(1)} ns`;
}

/** Formats microseconds. */
export function fmtUs(us: number): string {
  return us >= 100 ? us.toFixed(1) : us >= 1 ? us.toFixed(2) : us.toFixed(3);
}

/** Formats a ratio as `1.23x`. */
export function fmtRatio(r: number): string {
  return `${r.toFixed(r >= 100 ? 0 : 2)}x`;
}

/** Formats an integer with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Formats a throughput in MB/s. */
export function fmtMbs(n: number): string {
  return n.toFixed(0);
}

function defaultFormat(v: number): string {
  if (Number.isInteger(v)) return fmtInt(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3);
}

function cellText(col: Column, v: Cell | undefined): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'number') return (col.format ?? defaultFormat)(v);
  return String(v);
}

/** Text columns (no number in any row) are left-aligned; numeric ones right-aligned. */
function leftAligned(r: BenchResult): boolean[] {
  return r.columns.map((c) => !r.rows.some((row) => typeof row[c.key] === 'number'));
}

/** Renders a result as an aligned plain-text table followed by its notes. */
export function renderResult(r: BenchResult): string {
  const header = r.columns.map((c) => c.header);
  const body = r.rows.map((row) => r.columns.map((c) => cellText(c, row[c.key])));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const left = leftAligned(r);
  const line = (cells: string[]): string =>
    cells.map((c, i) => (left[i] ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [`== ${r.name}: ${r.title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const b of body) out.push(line(b));
  for (const n of r.notes) out.push(`  * ${n}`);
  return out.join('\n');
}

/** Renders a result as a Markdown table (for docs/performance.md). */
export function renderMarkdown(r: BenchResult): string {
  const left = leftAligned(r);
  const out = [`| ${r.columns.map((c) => c.header).join(' | ')} |`, `|${left.map((l) => (l ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of r.rows) out.push(`| ${r.columns.map((c) => cellText(c, row[c.key])).join(' | ')} |`);
  return out.join('\n');
}
