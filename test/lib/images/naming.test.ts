import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {normalizeRegistry, parseReference, repositoryName, resolveNaming, serviceImage} from '../../../src/lib/images/naming.ts';

describe('image references', () => {
  test('registry, repository, tag and digest as Docker reads them', () => {
    assert.deepEqual(parseReference('nginx'), {registry: 'docker.io', repository: 'library/nginx'});
    assert.deepEqual(parseReference('team/web:1.0'), {registry: 'docker.io', repository: 'team/web', tag: '1.0'});
    assert.deepEqual(parseReference('127.0.0.1:5000/p/web:abc1234-dirty'), {registry: '127.0.0.1:5000', repository: 'p/web', tag: 'abc1234-dirty'});
    assert.deepEqual(parseReference('localhost/web'), {registry: 'localhost', repository: 'web'});
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseReference(`ghcr.io/o/r@${digest}`), {registry: 'ghcr.io', repository: 'o/r', digest});
    assert.equal(repositoryName(parseReference('nginx:1')), 'nginx');
    assert.equal(repositoryName(parseReference('127.0.0.1:5000/p/web:1')), '127.0.0.1:5000/p/web');
  });

  test('invalid names are exit-3 errors that quote the name', () => {
    assert.throws(() => parseReference('Team/Web'), {exitCode: 3, message: /^invalid image name "Team\/Web": /});
    assert.throws(() => parseReference('web:bad tag'), {exitCode: 3, message: 'invalid image name "web:bad tag": "bad tag" is not a valid tag'});
    assert.throws(() => parseReference('a//b'), {exitCode: 3});
  });

  test('registries from flags and the environment: scheme and trailing slash dropped, nonsense refused', () => {
    assert.equal(normalizeRegistry('https://Registry.Example.org:5000/'), 'registry.example.org:5000');
    assert.equal(normalizeRegistry('ghcr.io/team'), 'ghcr.io/team');
    assert.throws(() => normalizeRegistry('not a host'), {exitCode: 2, message: 'invalid registry "not a host"'});
  });
});

describe('image naming', () => {
  const naming = {registry: 'registry.example.org', project: 'genomics', tag: 'abc1234'};

  test('<registry>/<project>/<service>:<tag>, or local <project>/<service>:<tag>', () => {
    assert.equal(serviceImage('web', undefined, naming), 'registry.example.org/genomics/web:abc1234');
    assert.equal(serviceImage('Web', undefined, {project: 'genomics', tag: 't'}), 'genomics/web:t');
  });

  test("a service's own image: is used as is", () => {
    assert.equal(serviceImage('web', 'ghcr.io/me/portal:2', naming), 'ghcr.io/me/portal:2');
    assert.equal(serviceImage('web', 'portal', naming), 'portal');
  });

  test('names that cannot be image components are refused with a hint', () => {
    assert.throws(() => serviceImage('web_', undefined, naming), {exitCode: 3, message: 'service name "web_" cannot be part of an image name', hint: /set `image:` on service "web_"/});
    assert.throws(() => serviceImage('web', undefined, {...naming, tag: '-x'}), {exitCode: 2, message: 'invalid tag "-x"'});
  });

  test('precedence: flag, then environment, then context, then the compose project', () => {
    const context = {registry: 'ctx.example.org', project: 'ctxproj'};
    const env = {SPIN_REGISTRY: 'env.example.org', SPIN_PROJECT: 'envproj'};
    assert.deepEqual(resolveNaming({flags: {registry: 'flag.example.org', project: 'flagproj'}, env, context, composeProject: 'demo'}), {registry: 'flag.example.org', project: 'flagproj'});
    assert.deepEqual(resolveNaming({flags: {}, env, context, composeProject: 'demo'}), {registry: 'env.example.org', project: 'envproj'});
    assert.deepEqual(resolveNaming({flags: {}, env: {}, context, composeProject: 'demo'}), {registry: 'ctx.example.org', project: 'ctxproj'});
    assert.deepEqual(resolveNaming({flags: {}, env: {}, composeProject: 'demo'}), {registry: undefined, project: 'demo'});
  });
});
