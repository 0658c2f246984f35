/**
 * The `--help` text, rendered from the option table in `options.ts`.
 *
 * Layout: a usage line, a one-line description, then one section per option group with the
 * option spellings in a left column and the help text, defaults and accepted values wrapped in a
 * right column, all within {@link HELP_WIDTH} columns.
 */

import { OPTION_GROUPS, PROGRAM_NAME } from './options.js';
import type { OptionGroup, OptionSpec } from './options.js';

/** Maximum line width of the rendered help, in columns. */
export const HELP_WIDTH = 100;

/** Settings for {@link helpText}; every field is optional. */
export interface HelpTextOptions {
  /** Program name for the usage line (default `openvmm-cli`). */
  readonly programName?: string;
  /** Groups to render (default {@link OPTION_GROUPS}). */
  readonly groups?: readonly OptionGroup[];
  /** Maximum line width (default {@link HELP_WIDTH}, at least 40). */
  readonly width?: number;
}

/** Widest left column before the help text moves to its own line. */
const MAX_LEFT = 36;

/** Joins words that must stay on one line; turned back into a space after wrapping. */
const GLUE = '\u00a0';

/**
 * The full `--help` text: usage, description and every option group under its own heading, with
 * defaults and accepted values. Ends with a newline; no line is longer than the width.
 */
export function helpText(options: HelpTextOptions = {}): string {
  const programName = options.programName ?? PROGRAM_NAME;
  const groups = options.groups ?? OPTION_GROUPS;
  const width = Math.max(40, options.width ?? HELP_WIDTH);

  const lefts = groups.flatMap((g) => g.options.map(leftColumn));
  const fitting = lefts.map((l) => l.length).filter((n) => n <= MAX_LEFT);
  // Keep at least half the width for the help text; longer spellings get a line of their own.
  const column = Math.min(Math.max(0, ...fitting) + 2, Math.floor(width / 2));

  const lines: string[] = [
    `Usage: ${programName} [OPTIONS]`,
    '',
    ...wrap(
      'Run a built-in guest and serve its display to VNC viewers. Options take their value as ' +
        `--option${GLUE}VALUE or --option=VALUE.`,
      width,
    ),
  ];
  for (const group of groups) {
    lines.push('', `${group.title}:`);
    for (const spec of group.options) {
      const left = leftColumn(spec);
      const body = wrap(describeOption(spec), width - column);
      if (left.length + 2 <= column) {
        lines.push(left.padEnd(column) + (body[0] ?? ''));
        for (const rest of body.slice(1)) lines.push(' '.repeat(column) + rest);
      } else {
        lines.push(left);
        for (const rest of body) lines.push(' '.repeat(column) + rest);
      }
    }
  }
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/** `  -h, --help` or `      --vnc-port PORT`. */
function leftColumn(spec: OptionSpec): string {
  const short = spec.short === undefined ? '    ' : `${spec.short}, `;
  const value = spec.value === undefined ? '' : ` ${spec.value}`;
  return `  ${short}${spec.name}${value}`;
}

/** The help sentence followed by `[default: …]` and `[possible values: …]`. */
function describeOption(spec: OptionSpec): string {
  let text = spec.help;
  if (spec.default !== undefined) text += ` [default:${GLUE}${spec.default}]`;
  if (spec.choices !== undefined) {
    text += ` [possible${GLUE}values:${GLUE}${spec.choices.join(`,${GLUE}`)}]`;
  }
  return text;
}

/**
 * Greedy word wrap at spaces, and at {@link GLUE} only where a glued group is wider than the
 * line (glue becomes a space in the output); a word longer than the width gets a line of its own.
 */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  const words = text
    .split(/[ \t\n]+/)
    .filter((w) => w !== '')
    .flatMap((w) => (w.length > width ? w.split(GLUE) : [w]));
  for (const word of words) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      out.push(line);
      line = word;
    }
  }
  if (line !== '') out.push(line);
  return out.map((l) => l.replaceAll(GLUE, ' '));
}
