// Rewrites docs/cli.md from the CLI's option table (build first: pnpm build).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';

const { renderCliReference } = await import(join(root, 'packages/openvmm-cli/dist/index.js'));
writeFileSync(join(root, 'docs/cli.md'), renderCliReference());
console.log('docs/cli.md written');
