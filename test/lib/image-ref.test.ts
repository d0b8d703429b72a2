import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {canonicalRegistry, parseImageReference} from '../../src/lib/image-ref.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImageReference', () => {
  const cases: [string, ReturnType<typeof parseImageReference>][] = [
    ['busybox', {registry: 'docker.io', repository: 'library/busybox'}],
    ['busybox:1.36', {registry: 'docker.io', repository: 'library/busybox', tag: '1.36'}],
    ['library/x', {registry: 'docker.io', repository: 'library/x'}],
    ['bitnami/redis:7.2', {registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2'}],
    ['docker.io/nginx', {registry: 'docker.io', repository: 'library/nginx'}],
    ['index.docker.io/a/b', {registry: 'docker.io', repository: 'a/b'}],
    ['localhost/x', {registry: 'localhost', repository: 'x'}],
    ['localhost:5000/x', {registry: 'localhost:5000', repository: 'x'}],
    ['127.0.0.1:5000/team/app:v1', {registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1'}],
    [`registry.example.org/a/b:tag@${DIGEST}`, {registry: 'registry.example.org', repository: 'a/b', tag: 'tag', digest: DIGEST}],
    [`nginx@${DIGEST}`, {registry: 'docker.io', repository: 'library/nginx', digest: DIGEST}],
    ['Registry.Example.org/a', {registry: 'registry.example.org', repository: 'a'}],
    ['Host/a', {registry: 'host', repository: 'a'}],
    ['[::1]:5000/a', {registry: '[::1]:5000', repository: 'a'}],
    ['a__b/c-d.e', {registry: 'docker.io', repository: 'a__b/c-d.e'}],
  ];
  for (const [ref, want] of cases) {
    test(ref, () => assert.deepEqual(parseImageReference(ref), want));
  }

  for (const bad of ['', 'UPPER', 'a b', 'nginx:', 'nginx@sha256:short', ':tag', 'a//b', 'registry.example.org/', 'x'.repeat(5000), '-a/b']) {
    test(`rejects ${JSON.stringify(bad.slice(0, 20))}`, () => assert.equal(parseImageReference(bad), undefined));
  }
});

describe('canonicalRegistry', () => {
  test('Docker Hub aliases and case', () => {
    assert.equal(canonicalRegistry('Registry-1.Docker.io'), 'docker.io');
    assert.equal(canonicalRegistry('Ghcr.IO'), 'ghcr.io');
  });
});
