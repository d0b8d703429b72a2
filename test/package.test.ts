// Every package the shipped code imports is declared in package.json's dependencies: one that
// only arrives as another package's dependency (ws, under @fastify/websocket) can vanish or change
// major version with that package, and `npm install --omit=dev` users would get whatever it brings.

import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {builtinModules} from 'node:module';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {ROOT} from './helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {dependencies: Record<string, string>; devDependencies: Record<string, string>};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {packages: Record<string, {version?: string; dependencies?: Record<string, string>}>};

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Packages imported for their code (not `import type`, which the build erases) by src/ and bin/. */
function runtimeImports(): Map<string, string> {
  const found = new Map<string, string>();
  const files = [...sources(join(ROOT, 'src')), join(ROOT, 'bin/run.js')];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*import\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'/gm),
      ...text.matchAll(/^\s*export\s+(?!type\b)[^'"]*?from\s+'([^'.][^']*)'/gm),
      ...text.matchAll(/\bimport\('([^'.][^']*)'\)/g),
    ].map((m) => m[1]);
    for (const s of specifiers) {
      if (s.startsWith('node:') || builtinModules.includes(s)) continue;
      const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
      if (!found.has(name)) found.set(name, file.slice(ROOT.length + 1));
    }
  }
  return found;
}

describe('package.json', () => {
  test('declares every package the code imports at run time', () => {
    const imports = runtimeImports();
    assert.ok(imports.has('ws'), 'the exec client imports ws');
    const missing = [...imports].filter(([name]) => !Object.hasOwn(pkg.dependencies, name)).map(([name, file]) => `${name} (imported by ${file})`);
    assert.deepEqual(missing, []);
  });

  test('package-lock.json agrees: the root lists the same dependencies, at the installed versions', () => {
    const root = lock.packages[''];
    assert.deepEqual(root.dependencies, pkg.dependencies);
    const ws = lock.packages['node_modules/ws'];
    assert.ok(ws?.version, 'ws is locked');
    const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules/ws/package.json'), 'utf8')).version;
    assert.equal(ws.version, installed);
    assert.equal(pkg.dependencies.ws, `^${installed}`);
  });
});
