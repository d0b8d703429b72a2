import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {parse} from 'yaml';

import {ROOT, runSpin} from '../helpers/cli.ts';

const HELLO = join(ROOT, 'examples/hello');

describe('spin config', () => {
  test('prints the resolved model as YAML on stdout', async () => {
    const r = await runSpin(['config'], {cwd: HELLO, env: {GREETING: 'hi there'}});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const model = parse(r.stdout);
    assert.equal(model.name, 'hello');
    assert.deepEqual(Object.keys(model.services), ['api', 'web']);
    assert.equal(model.services.web.environment.GREETING, 'hi there');
    assert.deepEqual(model.services.web.ports, [{mode: 'ingress', target: 8080, published: '8080', protocol: 'tcp'}]);
    assert.equal(model.services.web.build.context, join(HELLO, 'web'));
    assert.deepEqual(model.services.web.depends_on, {api: {condition: 'service_healthy', required: true}});
  });

  test('--format json, --services and --images', async () => {
    const json = await runSpin(['config', '--format', 'json'], {cwd: HELLO});
    assert.equal(JSON.parse(json.stdout).services.api.user, '1000:1000');
    const services = await runSpin(['config', '--services'], {cwd: HELLO});
    assert.equal(services.stdout, 'api\nweb\n');
    const bad = await runSpin(['config', '--format', 'toml'], {cwd: HELLO});
    assert.equal(bad.code, 2);
  });

  test('an invalid project: exit 3, problems on stderr, nothing on stdout', async () => {
    const r = await runSpin(['config', '-f', join(ROOT, 'test/fixtures/compose/broken.yaml')]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /broken\.yaml:4:5: error: services\.web: additional property "imgae" is not allowed/);
    assert.match(r.stderr, /error: the compose project is invalid/);
  });
});
