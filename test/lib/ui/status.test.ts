import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {RevisionSummaryJson, StackSummaryJson} from '../../../src/lib/api/types.ts';
import type {StackStatus} from '../../../src/lib/engine/types.ts';
import {formatEvent, formatPorts, imageLabel, psRows, renderContexts, renderHistory, renderPs, renderRemoved, renderSecrets, renderStacks, renderVolumes, shortDigest} from '../../../src/lib/ui/status.ts';

const DIGEST = 'sha256:3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd';
const NOW = Date.parse('2025-06-01T12:00:00Z');
const PIPED = {tty: false, color: false, now: NOW};
const TTY = {tty: true, color: true, now: NOW};

const STATUS: StackStatus = {
  ref: {project: 'demo', stack: 'portal'},
  revision: 3,
  services: [
    {
      service: 'web',
      image: '127.0.0.1:5000/demo/web:1.2',
      imageDigest: `127.0.0.1:5000/demo/web@${DIGEST}`,
      desired: 2,
      running: 2,
      healthy: 1,
      ports: [{published: '8080', target: 80, protocol: 'tcp'}],
      replicas: [
        {replica: 2, container: 'demo-portal-web-2', id: 'b', state: 'running', health: 'starting'},
        {replica: 1, container: 'demo-portal-web-1', id: 'a', state: 'running', health: 'healthy'},
      ],
    },
    {
      service: 'db',
      image: 'postgres:16',
      desired: 1,
      running: 0,
      healthy: 0,
      ports: [],
      replicas: [{replica: 1, container: 'demo-portal-db-1', id: 'c', state: 'exited', health: 'none', exitCode: 3}],
    },
  ],
};

describe('ps rendering', () => {
  test('piped: one row per replica, stable columns, no color', () => {
    assert.equal(
      renderPs(STATUS, PIPED),
      [
        'NAME    SERVICE   STATE       HEALTH     PORTS                  IMAGE',
        'db-1    db        exited(3)   -          -                      postgres:16',
        'web-1   web       running     healthy    0.0.0.0:8080->80/tcp   127.0.0.1:5000/demo/web:1.2@3f2a9c1b7d4e',
        'web-2   web       running     starting   0.0.0.0:8080->80/tcp   127.0.0.1:5000/demo/web:1.2@3f2a9c1b7d4e',
        '',
      ].join('\n'),
    );
  });

  test('a cluster\'s status gets a NODE column after STATE; a single host\'s has none', () => {
    const web = STATUS.services[0];
    const onNodes: StackStatus = {...STATUS, services: [{...web, replicas: [{...web.replicas[0], node: '10.0.0.12'}, {...web.replicas[1], node: '10.0.0.11'}]}]};
    assert.equal(
      renderPs(onNodes, PIPED),
      [
        'NAME    SERVICE   STATE     NODE        HEALTH     PORTS                  IMAGE',
        'web-1   web       running   10.0.0.11   healthy    0.0.0.0:8080->80/tcp   127.0.0.1:5000/demo/web:1.2@3f2a9c1b7d4e',
        'web-2   web       running   10.0.0.12   starting   0.0.0.0:8080->80/tcp   127.0.0.1:5000/demo/web:1.2@3f2a9c1b7d4e',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(renderPs(STATUS, PIPED), /NODE/);
  });

  test('TTY: states and health in color, same cells underneath', () => {
    const rows = psRows(STATUS, TTY);
    assert.equal(rows[0][2], '\u001B[31mexited\u001B[39m(3)');
    assert.equal(rows[1][3], '\u001B[32mhealthy\u001B[39m');
    assert.equal(rows[2][3], '\u001B[33mstarting\u001B[39m');
    const out = renderPs(STATUS, TTY);
    assert.match(out, /^\u001B\[1mNAME\u001B\[22m/);
    assert.equal(out.replace(/\u001B\[[0-9;]*m/g, ''), renderPs(STATUS, PIPED));
  });

  test('ports, digests and image labels', () => {
    assert.equal(formatPorts([{published: '8443', target: 443, protocol: 'tcp', hostIp: '127.0.0.1'}, {published: '60000', target: 53, protocol: 'udp'}]), '127.0.0.1:8443->443/tcp,0.0.0.0:60000->53/udp');
    assert.equal(formatPorts([]), '-');
    assert.equal(shortDigest(DIGEST), '3f2a9c1b7d4e');
    assert.equal(shortDigest('busybox:latest'), 'busybox:latest');
    assert.equal(imageLabel({image: `web@${DIGEST}`, imageDigest: DIGEST}), 'web@3f2a9c1b7d4e');
  });

  test('an image run by its ID shows as the short ID once, not as "sha256:<64 hex>@…"', () => {
    assert.equal(imageLabel({image: DIGEST, imageDigest: DIGEST}), '3f2a9c1b7d4e');
    assert.equal(imageLabel({image: DIGEST}), '3f2a9c1b7d4e');
    assert.equal(imageLabel({image: 'team/web:1.2', imageDigest: 'team/web:1.2'}), 'team/web:1.2', 'a tag recorded in place of a digest adds nothing');
  });
});

describe('list rendering', () => {
  const stacks: StackSummaryJson[] = [
    {name: 'portal', currentRevision: 3, latestRevision: 3, updatedAt: '2025-06-01T11:57:00Z', services: 2, running: 2, desired: 3},
    {name: 'api', currentRevision: null, latestRevision: null, services: 0, running: 0, desired: 0},
  ];

  test('stacks: piped ISO times and "-" for unknowns; TTY relative times', () => {
    assert.equal(renderStacks(stacks, PIPED), 'NAME     SERVICES   REVISION   UPDATED\napi      0/0        -          -\nportal   2/3        3          2025-06-01T11:57:00Z\n');
    const tty = renderStacks(stacks, TTY);
    assert.match(tty, /\u001B\[33m2\/3\u001B\[39m/);
    assert.match(tty, /3 minutes ago\n$/);
  });

  test('history: images as service=short digest, message on one line, the revision that runs marked', () => {
    const revisions: RevisionSummaryJson[] = [
      {number: 2, user: 'alice', createdAt: '2025-06-01T10:00:00Z', outcome: 'failed', message: 'scale\nweb=3', images: {web: `web@${DIGEST}`, db: 'sha256:88aa01c2d3e4ffff'}},
      {number: 1, user: 'bob', createdAt: '2025-05-30T12:00:00Z', outcome: 'healthy', images: {}},
    ];
    assert.equal(
      renderHistory(revisions, {...PIPED, current: 1}),
      'CURRENT   REV   CREATED                USER    OUTCOME   IMAGES                                 MESSAGE\n' +
        '-         2     2025-06-01T10:00:00Z   alice   failed    db=88aa01c2d3e4,web=web@3f2a9c1b7d4e   scale web=3\n' +
        '*         1     2025-05-30T12:00:00Z   bob     healthy   -\n',
    );
    assert.match(renderHistory(revisions, TTY), /2 hours ago .*\u001B\[31mfailed/);
  });

  test('history names each image as ps does: its tag and the same short digest', () => {
    const revisions: RevisionSummaryJson[] = [
      {
        number: 7,
        user: 'alice',
        createdAt: '2025-06-01T10:00:00Z',
        outcome: 'rolled-back',
        images: {web: `127.0.0.1:5000/demo/web@sha256:${'b'.repeat(64)}`},
        imageRefs: {web: '127.0.0.1:5000/demo/web:1.3'},
      },
      {number: 6, user: 'alice', createdAt: '2025-06-01T09:00:00Z', outcome: 'healthy', images: {web: `127.0.0.1:5000/demo/web@${DIGEST}`}, imageRefs: {web: '127.0.0.1:5000/demo/web:1.2'}},
    ];
    const rows = renderHistory(revisions, {...PIPED, current: 6}).trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[5]]), [
      ['CURRENT', 'REV', 'IMAGES'],
      ['-', '7', 'web=127.0.0.1:5000/demo/web:1.3@bbbbbbbbbbbb'],
      ['*', '6', 'web=127.0.0.1:5000/demo/web:1.2@3f2a9c1b7d4e'],
    ]);
    // The same image in `spin ps` (STATUS above runs 1.2 by that digest).
    assert.equal(rows[2][5], `web=${psRows(STATUS, PIPED).find((r) => r[0] === 'web-1')?.[5]}`);
    // On a terminal the mark is a star or nothing.
    assert.match(renderHistory(revisions, {...TTY, current: 6}).split('\n')[2], /^\*\s+6\s/);
    assert.match(renderHistory(revisions, {...TTY, current: 6}).split('\n')[1], /^\s+7\s/);
  });

  test('rm: which volumes went and which stayed, and why', () => {
    assert.equal(renderRemoved('demo', 'portal'), 'removed stack "portal" from project "demo"\n');
    assert.equal(renderRemoved('demo', 'portal', {removed: [], kept: []}), 'removed stack "portal" from project "demo"; it had no volumes\n');
    assert.equal(
      renderRemoved('demo', 'portal', {removed: ['demo.portal_cache'], kept: [{name: 'demo.portal_data', reason: 'stack "reports" still uses it'}]}),
      'removed stack "portal" from project "demo"\nremoved volume "demo.portal_cache"\nkept volume "demo.portal_data": stack "reports" still uses it\n',
    );
  });

  test('secrets, volumes and contexts', () => {
    assert.equal(renderSecrets([{name: 'tls-key', size: 3072, createdAt: '2025-06-01T11:00:00Z', updatedAt: '2025-06-01T11:59:30Z'}], PIPED), 'NAME      SIZE   CREATED                UPDATED\ntls-key   3072   2025-06-01T11:00:00Z   2025-06-01T11:59:30Z\n');
    assert.match(renderSecrets([{name: 'k', size: 3072, createdAt: '2025-06-01T11:00:00Z', updatedAt: '2025-06-01T11:59:30Z'}], TTY), /3\.0 KiB .*1 hour ago .*30 seconds ago/);
    assert.equal(renderVolumes([{name: 'portal_data', driver: 'local', stacks: ['portal']}, {name: 'old', driver: 'local', stacks: []}], PIPED), 'NAME          DRIVER   CREATED   STACKS\nold           local    -         -\nportal_data   local    -         portal\n');
    // On a cluster: a NODE column, one row per node that holds a copy of the name.
    assert.equal(
      renderVolumes([{name: 'p.data', driver: 'local', stacks: ['db'], node: '10.0.0.3'}, {name: 'p.data', driver: 'local', stacks: [], node: '10.0.0.2'}], PIPED),
      'NAME     NODE       DRIVER   CREATED   STACKS\np.data   10.0.0.2   local    -         -\np.data   10.0.0.3   local    -         db\n',
    );
    const contexts = [
      {name: 'dev', url: 'http://127.0.0.1:7878', current: false},
      {name: 'prod', url: 'https://spin.example.org', user: 'alice', project: 'genomics', current: true},
    ];
    assert.equal(renderContexts(contexts, PIPED), 'CURRENT   NAME   URL                        USER    PROJECT\n-         dev    http://127.0.0.1:7878      -       -\n*         prod   https://spin.example.org   alice   genomics\n');
    assert.match(renderContexts(contexts, {...TTY, color: false}), /\n {10}dev/);
  });
});

describe('formatEvent', () => {
  test('service and replica prefix; failures in red on a color terminal', () => {
    assert.equal(formatEvent({type: 'start', time: '', service: 'web', replica: 2, message: 'container started'}, {color: false}), 'web-2: container started');
    assert.equal(formatEvent({type: 'plan', time: '', message: 'scale web 1 → 3'}, {color: false}), 'scale web 1 → 3');
    assert.equal(formatEvent({type: 'failed', time: '', service: 'web', message: 'exited (1)'}, {color: true}), '\u001B[2mweb: \u001B[22m\u001B[31mexited (1)\u001B[39m');
  });
});
