import assert from 'node:assert/strict';
import {test} from 'node:test';

import {namesImage} from '../../../src/lib/engine/images.ts';

const ID = 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741';
const DIGEST = 'sha256:7c3a1c6f1f4a3b9e5b2d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b';

test('a tag names the image: name means name:latest, Docker Hub short forms are one name', () => {
  const hub = {RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: []};
  for (const ref of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest', 'docker.io/busybox', 'index.docker.io/library/busybox:1.36']) {
    assert.equal(namesImage(hub, ref), true, ref);
  }
  assert.equal(namesImage({RepoTags: ['docker.io/library/busybox:latest']}, 'busybox'), true);
  assert.equal(namesImage(hub, 'busybox:1.37'), false);
  assert.equal(namesImage(hub, 'other/busybox'), false);

  const own = {RepoTags: ['registry.example.org:5000/team/app:1.2'], RepoDigests: []};
  assert.equal(namesImage(own, 'registry.example.org:5000/team/app:1.2'), true);
  assert.equal(namesImage(own, 'Registry.Example.org:5000/team/app:1.2'), true);
  assert.equal(namesImage(own, 'registry.example.org:5000/team/app'), false);
  assert.equal(namesImage(own, 'team/app:1.2'), false);
});

test('a digest names the image through its repo digests', () => {
  const info = {RepoTags: ['registry.example.org/app:1'], RepoDigests: [`registry.example.org/app@${DIGEST}`]};
  assert.equal(namesImage(info, `registry.example.org/app@${DIGEST}`), true);
  assert.equal(namesImage(info, `registry.example.org/app:1@${DIGEST}`), true);
  assert.equal(namesImage(info, `registry.example.org/other@${DIGEST}`), false);
  assert.equal(namesImage({RepoTags: [`registry.example.org/app@${DIGEST}`]}, `registry.example.org/app@${DIGEST}`), false);
  assert.equal(namesImage({RepoDigests: [`busybox@${DIGEST}`]}, `docker.io/library/busybox@${DIGEST}`), true);
});

test('an image ID or ID prefix never names an image, nor does an untagged image match anything', () => {
  const built = {RepoTags: ['spin-test:web'], RepoDigests: []};
  for (const ref of [ID, ID.slice(0, 19), ID.slice(7), ID.slice(7, 19), '3f57d940']) assert.equal(namesImage(built, ref), false, ref);
  const untagged = {RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>']};
  assert.equal(namesImage(untagged, ID.slice(7, 19)), false);
  assert.equal(namesImage({}, 'busybox'), false);
  assert.equal(namesImage({RepoTags: null, RepoDigests: null}, 'busybox'), false);
  assert.equal(namesImage(built, 'not a reference'), false);
});
