// Build + push runs that time themselves (Command.measuresItself): each starts its own
// htpasswd registry on 127.0.0.1 and a fresh Docker config, logs both tools in, and removes
// every image it built afterwards, none of which is timed. Prints the milliseconds alone on the
// last line of stdout.
//
//   node bench/lib/ship-probe.ts cold|warm spin|docker EXAMPLE_DIR
//     cold: no build cache (--no-cache for both) and an empty registry: time build + push.
//     warm: build + push once (untimed), then time build + push of the unchanged app again.

import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {BIN} from '../../test/helpers/cli.ts';
import {startRegistry} from '../../test/helpers/registry.ts';
import {run, timed} from './process.ts';

const SERVICES = ['web', 'api'];



const [mode, tool, dir] = process.argv.slice(2);
if (!['cold', 'warm'].includes(mode) || !['spin', 'docker'].includes(tool) || !dir) {
  process.stderr.write('usage: ship-probe.ts cold|warm spin|docker EXAMPLE_DIR\n');
  process.exit(2);
}

const registry = await startRegistry();
const config = mkdtempSync(join(tmpdir(), 'spin-bench-docker-'));
const tag = `b${Date.now().toString(36)}`;
const project = 'bench';
const env = {DOCKER_CONFIG: config, SPIN_REGISTRY: registry.host, SPIN_PROJECT: project, DOCKER_BUILDKIT: '0', SPIN_URL: '', SPIN_TOKEN: ''};
// Cold means no build cache (the example's layers may be cached by earlier builds) and an empty registry.
const noCache = mode === 'cold' ? ['--no-cache'] : [];
const image = (service: string) => `${registry.host}/${project}/${service}:${tag}`;
try {
  if (tool === 'spin') await run(process.execPath, [BIN, 'registry', 'login', registry.host, '-u', registry.username, '--password-stdin'], env, registry.password);
  else await run('docker', ['login', registry.host, '-u', registry.username, '--password-stdin'], env, registry.password);
  const once =
    tool === 'spin'
      ? async () => {
          await run(process.execPath, [BIN, 'build', '--tag', tag, ...noCache], env);
          await run(process.execPath, [BIN, 'push', '--tag', tag], env);
        }
      : async () => {
          for (const s of SERVICES) await run('docker', ['build', '-q', ...noCache, '-t', image(s), join(dir, s)], env);
          for (const s of SERVICES) await run('docker', ['push', '-q', image(s)], env);
        };
  // spin reads the compose file of the folder it runs in.
  process.chdir(dir);
  if (mode === 'warm') await once();
  const ms = await timed(once);
  process.stdout.write(`${ms.toFixed(1)}\n`);
} finally {
  const {default: Docker} = await import('dockerode');
  const docker = new Docker();
  for (const s of SERVICES) await docker.getImage(image(s)).remove({force: true}).catch(() => undefined);
  await registry.stop();
  rmSync(config, {recursive: true, force: true});
}
