#!/usr/bin/env node
// Screenshots of the dashboard's main pages for the README (docs/dashboard/*.png): a real agent on
// the real engine with stacks deployed through the CLI (test/helpers/dashboard.ts), photographed
// in Debian's Chromium. Needs the built CLI (`npm run build`) and the Docker engine.
//
//   node scripts/screenshots.ts [OUT_DIR]

import {mkdir} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

import {CHROMIUM, startDashboardLab} from '../test/helpers/dashboard.ts';
import {dockerClient} from '../test/helpers/docker.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'docs/dashboard'));
await mkdir(out, {recursive: true});

const lab = await startDashboardLab(dockerClient());
const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
try {
  await lab.deploy('portal', 'v1', {replicas: 3});
  await lab.deploy('portal', 'v2', {replicas: 3});
  await lab.deploy('api', 'v1');
  await lab.deploy('notebooks', 'v1', {replicas: 2});
  await lab.say('portal', Array.from({length: 40}, (_, i) => `GET /datasets/${1000 + i} 200 ${(i * 7) % 90 + 3}ms`).join('\n'));

  const page = await browser.newPage({viewport: {width: 1200, height: 720}});
  await page.goto(`${lab.url}/login`);
  await page.getByLabel('Token').fill(lab.tokens.alice);
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.waitForURL(`${lab.url}/`);
  const stack = `${lab.url}/projects/${lab.projectA}/stacks/portal`;
  const shots: [string, string, () => Promise<unknown>][] = [
    ['stacks', `${lab.url}/`, async () => undefined],
    ['stack', stack, async () => undefined],
    ['revisions', `${stack}/revisions`, async () => undefined],
    ['upgrade', `${stack}/upgrade`, async () => undefined],
    ['logs', `${stack}/logs`, () => page.locator('#log').getByText('GET /datasets/1039', {exact: false}).waitFor()],
  ];
  for (const [name, url, ready] of shots) {
    await page.goto(url);
    await ready();
    const file = join(out, `${name}.png`);
    await page.screenshot({path: file});
    process.stderr.write(`wrote ${file}\n`);
  }
} finally {
  await browser.close();
  await lab.cleanup();
}
