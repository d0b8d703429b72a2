// The escaping template: every interpolation is escaped unless it is markup made by `html` itself.

import assert from 'node:assert/strict';
import {test} from 'node:test';

import {escapeHtml, html, SafeHtml, unsafeRaw} from '../../../src/lib/dashboard/html.ts';

test('every interpolated string is escaped, in text and in attributes', () => {
  const evil = `<script>alert("x")</script>' onmouseover='x' &amp;`;
  const out = html`<p title="${evil}">${evil}</p>`.value;
  assert.equal(out, `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &amp;amp;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x&#39; &amp;amp;</p>`);
  assert.ok(!out.includes('<script>'));
});

test('nested templates and arrays keep their markup, their values stay escaped', () => {
  const items = ['a<b', 'c&d'].map((s) => html`<li>${s}</li>`);
  assert.equal(html`<ul>${items}</ul>`.value, '<ul><li>a&lt;b</li><li>c&amp;d</li></ul>');
});

test('null, undefined and false render nothing; numbers and true render as text', () => {
  assert.equal(html`[${null}${undefined}${false}${0}${true}]`.value, '[0true]');
});

test('a string that looks like markup is not trusted because of what it contains', () => {
  const fake = {value: '<b>bold</b>'} as unknown as string;
  assert.equal(html`${fake}`.value, '[object Object]');
  assert.equal(html`${'<b>bold</b>'}`.value, '&lt;b&gt;bold&lt;/b&gt;');
  assert.ok(unsafeRaw('<b>bold</b>') instanceof SafeHtml);
  assert.equal(html`${unsafeRaw('<b>bold</b>')}`.value, '<b>bold</b>');
});

test('escapeHtml covers the five characters that matter in text and quoted attributes', () => {
  assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
});
