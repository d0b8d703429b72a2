#!/usr/bin/env node
// Build: compile TypeScript to dist/, precompile schemas (when the generator exists), and write
// oclif's command manifest so `spin --help` never has to import every command to list them.
import {execFileSync} from 'node:child_process';
import {existsSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, {cwd: root, stdio: 'inherit'});

rmSync(join(root, 'dist'), {recursive: true, force: true});
rmSync(join(root, 'oclif.manifest.json'), {force: true});
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
if (existsSync(join(root, 'scripts/gen-validators.js'))) run(process.execPath, [join(root, 'scripts/gen-validators.js')]);

const {Plugin} = await import('@oclif/core');
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true});
await plugin.load();
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2) + '\n');
process.stderr.write(`built dist/ and oclif.manifest.json (${Object.keys(plugin.manifest.commands).length} commands)\n`);
