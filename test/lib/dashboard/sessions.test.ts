// Sessions and CSRF tokens: random ids kept only as hashes, idle and absolute expiry, a cap,
// constant-time comparisons, and cookies the browser keeps to this site.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {cookieName, parseCookies, sameSecret, Sessions, setCookie} from '../../../src/lib/dashboard/sessions.ts';

function clock(start = 1_000_000) {
  let now = start;
  return {now: () => now, advance: (ms: number) => (now += ms)};
}

describe('sessions', () => {
  test('a created session is found by its id, and the store keeps no id in clear', () => {
    const sessions = new Sessions();
    const {id, session} = sessions.create('alice', 'spin_abcdefgh');
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(sessions.get(id), session);
    assert.equal(session.user, 'alice');
    assert.notEqual(session.csrf, id);
    // What the store holds, serialized, does not contain the id.
    const held = JSON.stringify([...(sessions as unknown as {byHash: Map<string, unknown>}).byHash]);
    assert.ok(!held.includes(id));
  });

  test('unknown, malformed and deleted ids find nothing', () => {
    const sessions = new Sessions();
    const {id} = sessions.create('alice', 'p');
    assert.equal(sessions.get(undefined), undefined);
    assert.equal(sessions.get('x'.repeat(43)), undefined);
    assert.equal(sessions.get(`${id}x`), undefined);
    assert.equal(sessions.delete(id), true);
    assert.equal(sessions.get(id), undefined);
  });

  test('a session expires after the idle time, and each use resets it', () => {
    const c = clock();
    const sessions = new Sessions({now: c.now, idleMs: 1000, maxAgeMs: 10_000});
    const {id} = sessions.create('alice', 'p');
    c.advance(900);
    assert.ok(sessions.get(id));
    c.advance(900);
    assert.ok(sessions.get(id), 'the previous use reset the idle time');
    c.advance(1001);
    assert.equal(sessions.get(id), undefined);
  });

  test('a session ends at its maximum age however active', () => {
    const c = clock();
    const sessions = new Sessions({now: c.now, idleMs: 1000, maxAgeMs: 2500});
    const {id} = sessions.create('alice', 'p');
    for (let i = 0; i < 2; i++) {
      c.advance(900);
      assert.ok(sessions.get(id));
    }
    c.advance(900);
    assert.equal(sessions.get(id), undefined);
  });

  test('at the cap the oldest session goes first', () => {
    const sessions = new Sessions({max: 2});
    const a = sessions.create('a', 'p').id;
    const b = sessions.create('b', 'p').id;
    const c = sessions.create('c', 'p').id;
    assert.equal(sessions.size, 2);
    assert.equal(sessions.get(a), undefined);
    assert.ok(sessions.get(b) && sessions.get(c));
  });

  test('deleteUser ends every session of that user only', () => {
    const sessions = new Sessions();
    const a1 = sessions.create('alice', 'p').id;
    const a2 = sessions.create('alice', 'q').id;
    const b = sessions.create('bob', 'p').id;
    sessions.deleteUser('alice');
    assert.equal(sessions.get(a1), undefined);
    assert.equal(sessions.get(a2), undefined);
    assert.ok(sessions.get(b));
  });

  test('the CSRF token matches only itself, per session', () => {
    const sessions = new Sessions();
    const one = sessions.create('alice', 'p').session;
    const two = sessions.create('alice', 'p').session;
    assert.equal(sessions.checkCsrf(one, one.csrf), true);
    assert.equal(sessions.checkCsrf(one, two.csrf), false);
    assert.equal(sessions.checkCsrf(one, undefined), false);
    assert.equal(sessions.checkCsrf(one, ''), false);
    assert.equal(sessions.checkCsrf(one, one.csrf.slice(0, -1)), false);
  });
});

describe('cookies', () => {
  test('sameSecret compares strings of any length without throwing', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret(undefined, undefined), false);
  });

  test('parseCookies reads name=value pairs, first one wins, odd values and huge headers are ignored', () => {
    const c = parseCookies('a=1; b=two_2-x; a=3; bad="<x>"; noequals; =v');
    assert.deepEqual([...c], [['a', '1'], ['b', 'two_2-x']]);
    assert.equal(parseCookies(`a=${'x'.repeat(9000)}`).size, 0);
  });

  test('cookies are HttpOnly and SameSite=Strict; over TLS Secure with the __Host- prefix', () => {
    assert.equal(setCookie('spin_session', 'v', {secure: false}), 'spin_session=v; Path=/; HttpOnly; SameSite=Strict');
    assert.equal(setCookie('spin_session', '', {secure: true, maxAge: 0}), '__Host-spin_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0');
    assert.equal(cookieName('spin_session', true), '__Host-spin_session');
  });
});
