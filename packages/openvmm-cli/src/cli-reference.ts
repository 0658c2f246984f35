/**
 * The CLI reference page (`docs/cli.md`), rendered from the same option table that drives
 * parsing and `--help`, so the documentation cannot drift: a test compares the file with this
 * output, and `node scripts/gen-cli-doc.mjs` rewrites it.
 */

import { OPTION_GROUPS, PROGRAM_NAME, type OptionSpec } from './options.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function spelling(o: OptionSpec): string {
  const names = o.short ? `\`${o.short}\`, \`${o.name}\`` : `\`${o.name}\``;
  return o.value ? `${names} \`${o.value}\`` : names;
}

function values(o: OptionSpec): string {
  if (o.choices) return o.choices.map((c) => `\`${c}\``).join(', ');
  if (o.expected) return cell(o.expected);
  return o.value ? '' : 'flag';
}

/** Renders the Markdown CLI reference. */
export function renderCliReference(): string {
  const out: string[] = [
    '# CLI reference',
    '',
    `<!-- Generated from the option table in packages/openvmm-cli/src/options.ts by scripts/gen-cli-doc.mjs; a test keeps it in sync. -->`,
    '',
    `\`${PROGRAM_NAME} [OPTIONS]\`. From the repository root: \`npm start -- [OPTIONS]\` (which adds \`--gfx\`).`,
    'A bad value exits with status 2 and one line on stderr naming the option, the value and what',
    'is expected; a listener that cannot bind (address in use, not local) exits with status 1.',
    'Ctrl-C (SIGINT) or SIGTERM stops the VM and the server cleanly (status 0).',
  ];
  for (const g of OPTION_GROUPS) {
    out.push('', `## ${g.title}`, '', '| option | values | default | meaning |', '|---|---|---|---|');
    for (const o of g.options) out.push(`| ${spelling(o)} | ${values(o)} | ${o.default ? `\`${o.default}\`` : ''} | ${cell(o.help)} |`);
  }
  return `${out.join('\n')}\n`;
}
