#!/usr/bin/env node
/**
 * No function under packages/sdk/src or packages/react/src passes MAX lines (its whole span, nested functions included:
 * a factory whose closure holds the rest is exactly what this catches). Tests are left out.
 * Usage: node scripts/check-function-length.mjs [dir …] [--max=150]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const max = Number(args.find((a) => a.startsWith('--max='))?.slice(6) ?? 150);
const dirs = args.filter((a) => !a.startsWith('--'));
if (dirs.length === 0) dirs.push('packages/sdk/src', 'packages/react/src');

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.tsx?$/.test(entry.name) && !/\.(test|test-d|bench)\.tsx?$/.test(entry.name)) yield path;
  }
}

function nameOf(node) {
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
    return parent.name.getText();
  return '(anonymous)';
}

const tooLong = [];
for (const dir of dirs) {
  for (const file of sources(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > max) tooLong.push(`${relative('.', file)}:${start + 1} ${nameOf(node)}: ${lines} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}
if (tooLong.length > 0) {
  console.error(`Functions past ${max} lines (split them by concern):\n  ${tooLong.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-function-length: no function past ${max} lines in ${dirs.join(', ')}`);
