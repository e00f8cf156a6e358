#!/usr/bin/env node
/**
 * Compiles every ```ts / ```tsx block of README.md and docs/*.md against the BUILT packages (run
 * `pnpm build` first), the way a user's project would see them: `@activity/sdk` and `@activity/react`
 * resolve through their package.json exports to dist/, strict mode, no skipLibCheck.
 *
 * A block that is not a whole module (it uses names defined elsewhere on the page) says so with
 * `<!-- fragment -->` on the line before its fence, and is skipped. Each other block is its own module.
 * Also compiles one CommonJS file importing every entry point under `module: node16`, as a CommonJS
 * consumer would (date-fns' or a driver's types leaking into ours would fail here).
 *
 * Usage: node scripts/check-doc-blocks.mjs [--list]   exit 1 when a block does not compile.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository's node_modules, so the blocks' other imports (react, @types/node, hono …)
// resolve to the workspace's own copies; ignored by git.
const work = join(root, 'node_modules', '.cache', 'doc-blocks');
const FRAGMENT = /^<!--\s*fragment\b.*-->$/;
/** `<!-- file: activity-api.ts -->`: the block is written under that name, so another block may import it. */
const FILE = /^<!--\s*file:\s*(\S+)\s*-->$/;

/** Every checked block: { doc, line, lang, source }, plus the count of fragments skipped. */
export function extractBlocks(files) {
  const blocks = [];
  let fragments = 0;
  for (const doc of files) {
    const lines = readFileSync(join(root, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(ts|tsx|typescript)\s*$/.exec(lines[i] ?? '');
      if (!open) continue;
      let end = i + 1;
      while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
      let before = i - 1;
      while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
      const source = lines.slice(i + 1, end).join('\n');
      const marker = (lines[before] ?? '').trim();
      const file = FILE.exec(marker)?.[1];
      if (FRAGMENT.test(marker)) fragments++;
      else blocks.push({ doc, line: i + 2, lang: open[1] === 'tsx' ? 'tsx' : 'ts', source, file });
      i = end;
    }
  }
  return { blocks, fragments };
}

const CJS_ENTRIES = ['', '/client', '/server', '/sqlite', '/postgres', '/clickhouse'];

function docFiles() {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
}

function main() {
  const { blocks, fragments } = extractBlocks(docFiles());
  if (process.argv.includes('--list')) {
    for (const b of blocks) console.log(`${b.doc}:${b.line} ${b.lang}`);
    return 0;
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'blocks'), { recursive: true });
  mkdirSync(join(work, 'node_modules', '@activity'), { recursive: true });
  for (const pkg of ['sdk', 'react']) {
    symlinkSync(join(root, 'packages', pkg), join(work, 'node_modules', '@activity', pkg), 'dir');
  }
  writeFileSync(join(work, 'package.json'), '{ "private": true, "type": "module" }\n');
  const origin = new Map();
  const files = blocks.map((b) => {
    // One folder per page: its blocks may import each other by their file names.
    const name = `blocks/${b.doc.replace(/[/.]/g, '_')}/${b.file ?? `block_${b.line}.${b.lang}`}`;
    mkdirSync(dirname(join(work, name)), { recursive: true });
    // `export {}` makes every block a module, so the names of one do not clash with another's.
    writeFileSync(join(work, name), `${b.source}\nexport {};\n`);
    origin.set(name, b);
    return name;
  });
  writeFileSync(
    join(work, 'cjs-consumer.cts'),
    // Not /testing: it is built on vitest, whose own CommonJS declarations do not compile under node16.
    `${CJS_ENTRIES.map((entry, i) => `import * as sdk${i} from '@activity/sdk${entry}';`).join('\n')}
import * as react from '@activity/react';
export = { react, ${CJS_ENTRIES.map((_, i) => `sdk${i}`).join(', ')} };
`,
  );
  writeFileSync(
    join(work, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'node16',
          moduleResolution: 'node16',
          lib: ['es2023', 'dom', 'dom.iterable'],
          types: ['node'],
          jsx: 'react-jsx',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          allowImportingTsExtensions: false,
        },
        files: [...files, 'cjs-consumer.cts'],
      },
      null,
      2,
    )}\n`,
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let output = '';
  let failed = false;
  try {
    execFileSync(process.execPath, [tsc, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: work,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    failed = true;
    output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
  }
  // Errors point at the doc: blocks/docs_mounting_md_42.ts(3,5) → docs/mounting.md:44:5.
  const mapped = output.replace(/^(blocks\/[^(]+)\((\d+),(\d+)\)/gm, (whole, name, line, col) => {
    const b = origin.get(name);
    return b ? `${b.doc}:${b.line + Number(line) - 1}:${col}` : whole;
  });
  if (mapped) console.log(mapped.trim().replaceAll(`${relative(root, work)}/`, ''));
  console.log(
    `${failed ? 'FAILED' : 'ok'}: ${blocks.length} doc blocks compiled against the built packages (${fragments} marked fragments skipped), plus a CommonJS consumer of every entry`,
  );
  return failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
