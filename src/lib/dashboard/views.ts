// The dashboard's pages: plain functions of typed data to escaped HTML (html.ts). Every page reads
// without JavaScript; dashboard.js only makes logs and progress live. No inline script or style
// anywhere: the Content-Security-Policy forbids both.

import type {Operation} from '../agent/operations.ts';
import type {RevisionSummaryJson, StackDetailJson, StackSummaryJson} from '../api/types.ts';
import {replicaAlias} from '../engine/naming.ts';
import type {ClusterNode, DeployEvent, ReplicaStatus} from '../engine/types.ts';
import type {AuditEntry, RevisionOutcome, TokenInfo, User} from '../agent/types.ts';
import {HIDDEN, MAX_FIELDS, type ServiceChanges} from './changes.ts';
import {html, type Interpolation, type SafeHtml} from './html.ts';

export type Health = 'healthy' | 'updating' | 'failed' | 'rolled back' | 'stopped';

/**
 * A stack's health at a glance, from its newest revision and its replicas: a deploy still
 * running is `updating`; one that failed is `failed`, or `rolled back` when the agent put the
 * last good revision back; otherwise the replicas decide.
 */
export function stackHealth(latest: RevisionOutcome | undefined, running: number, desired: number): Health {
  if (latest === 'pending') return 'updating';
  if (latest === 'rolled-back') return 'rolled back';
  if (latest === 'failed' || latest === 'timeout' || latest === 'interrupted') return 'failed';
  if (desired > 0 && running === 0) return 'stopped';
  return running < desired ? 'failed' : 'healthy';
}

export interface PageContext {
  user: Pick<User, 'name' | 'admin'>;
  csrf: string;
  /** Asset URLs carry a content hash so browsers may cache them for long. */
  assets: {css: string; js: string};
  /** The agent drives a cluster: admins get a nodes page. */
  cluster: boolean;
}

export interface Crumb {
  label: string;
  href?: string;
}

const base = (p: string) => `/projects/${encodeURIComponent(p)}`;
export const stackPath = (project: string, stack: string) => `${base(project)}/stacks/${encodeURIComponent(stack)}`;

function badge(state: string): SafeHtml {
  return html`<span class="badge b-${state.replace(/[^a-z]+/g, '-')}">${state}</span>`;
}

function time(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">–</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/**
 * `refreshSeconds`: reload without JavaScript only (dashboard.js follows the page live instead).
 * `watchSeconds`: reload in any case, e.g. a stack whose deploy (from the CLI) is still running.
 */
export function layout(ctx: PageContext | undefined, title: string, crumbs: Crumb[], body: Interpolation, options: {refreshSeconds?: number; watchSeconds?: number} = {}): SafeHtml {
  const nav = ctx
    ? html`<nav aria-label="main">
        <a href="/">Stacks</a>
        <a href="/audit">Audit log</a>
        ${ctx.user.admin ? html`<a href="/admin/users">Users</a>` : ''}
        ${ctx.user.admin && ctx.cluster ? html`<a href="/admin/nodes">Nodes</a>` : ''}
      </nav>
      <form method="post" action="/logout" class="signout">${csrfField(ctx.csrf)}<span class="muted">${ctx.user.name}</span> <button type="submit">Sign out</button></form>`
    : '';
  const trail = crumbs.length
    ? html`<nav aria-label="breadcrumb" class="crumbs"><ol>${crumbs.map((c) => html`<li>${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span aria-current="page">${c.label}</span>`}</li>`)}</ol></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · spin</title>
<link rel="stylesheet" href="${ctx?.assets.css ?? '/assets/dashboard.css'}">
${ctx ? html`<script src="${ctx.assets.js}" defer></script>` : ''}
${options.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${options.refreshSeconds}"></noscript>` : ''}
${options.watchSeconds ? html`<meta http-equiv="refresh" content="${options.watchSeconds}">` : ''}
</head>
<body>
<header class="top"><a class="brand" href="/">spin</a>${nav}</header>
<main id="main">
${trail}
${body}
</main>
</body>
</html>
`;
}

export function loginPage(csrf: string, error?: string): SafeHtml {
  return layout(
    undefined,
    'Sign in',
    [],
    html`<section class="login">
  <h1>Sign in</h1>
  <p class="muted">Use a Spin token (<code>spin_…</code>). An administrator creates one with <code>spin agent token create NAME</code>.</p>
  ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
  <form method="post" action="/login">
    ${csrfField(csrf)}
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="512" autofocus>
    <button type="submit">Sign in</button>
  </form>
</section>`,
  );
}

export interface StackRow extends StackSummaryJson {
  health: Health;
}

export function stacksTable(project: string, stacks: StackRow[]): SafeHtml {
  if (stacks.length === 0) return html`<p class="muted">No stacks in project ${project} yet. Deploy one with <code>spin deploy</code>.</p>`;
  return html`<table class="grid">
<thead><tr><th scope="col">Stack</th><th scope="col">Health</th><th scope="col">Replicas</th><th scope="col">Services</th><th scope="col">Revision</th><th scope="col">Updated</th></tr></thead>
<tbody>${stacks.map(
    (s) => html`<tr data-stack="${s.name}"><td><a href="${stackPath(project, s.name)}">${s.name}</a></td><td>${badge(s.health)}</td><td class="num">${s.running}/${s.desired}</td><td class="num">${s.services}</td><td class="num">${s.currentRevision ?? '–'}${s.latestRevision !== s.currentRevision && s.latestRevision !== null ? html` <span class="muted">(latest ${s.latestRevision})</span>` : ''}</td><td>${time(s.updatedAt)}</td></tr>`,
  )}</tbody>
</table>`;
}

export function projectsPage(ctx: PageContext, projects: {project: string; stacks: StackRow[]}[]): SafeHtml {
  return layout(
    ctx,
    'Stacks',
    [],
    html`<h1>Stacks</h1>
${projects.length === 0 ? html`<p class="muted">You are not a member of any project.</p>` : ''}
${projects.map((p) => html`<section class="project"><h2><a href="${base(p.project)}">${p.project}</a></h2>${stacksTable(p.project, p.stacks)}</section>`)}`,
  );
}

export function projectPage(ctx: PageContext, project: string, stacks: StackRow[]): SafeHtml {
  return layout(ctx, project, [{label: 'Stacks', href: '/'}, {label: project}], html`<h1>Project ${project}</h1>${stacksTable(project, stacks)}<p><a href="/audit?project=${encodeURIComponent(project)}">Audit log of ${project}</a></p>`);
}

function stackCrumbs(project: string, stack: string, last?: string): Crumb[] {
  return [{label: 'Stacks', href: '/'}, {label: project, href: base(project)}, {label: stack, ...(last ? {href: stackPath(project, stack)} : {})}, ...(last ? [{label: last}] : [])];
}

function stackTabs(project: string, stack: string, current: string): SafeHtml {
  const tabs = [
    ['Overview', stackPath(project, stack)],
    ['Revisions', `${stackPath(project, stack)}/revisions`],
    ['Logs', `${stackPath(project, stack)}/logs`],
    ['Upgrade', `${stackPath(project, stack)}/upgrade`],
    ['Audit', `/audit?project=${encodeURIComponent(project)}&stack=${encodeURIComponent(stack)}`],
  ];
  return html`<nav class="tabs" aria-label="stack">${tabs.map(([label, href]) => (label === current ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`))}</nav>`;
}

const shortDigest = (d: string | undefined) => {
  const m = d ? /sha256:([0-9a-f]{12})/.exec(d) : null;
  return m ? `sha256:${m[1]}` : (d ?? '–');
};

function replicaRow(service: string, digest: string | undefined, r: ReplicaStatus): SafeHtml {
  return html`<tr><td>${replicaAlias(service, r.replica)}</td><td>${badge(r.state)}</td><td>${r.health === 'none' ? html`<span class="muted">no check</span>` : badge(r.health)}</td><td>${time(r.startedAt)}</td><td class="num">${r.revision ?? '–'}</td><td><code title="${digest ?? ''}">${shortDigest(digest)}</code></td><td><code>${r.container}</code></td></tr>`;
}

/** How often a stack page reloads while a deploy started elsewhere (the CLI) rolls out. */
const UPDATING_RELOAD_SECONDS = 3;

export function stackPage(ctx: PageContext, detail: StackDetailJson, health: Health, live?: OperationView): SafeHtml {
  const {project, name: stack, status} = detail;
  const ingress = status.services.filter((s) => s.ingress);
  return layout(
    ctx,
    `${stack} · ${project}`,
    stackCrumbs(project, stack),
    html`<h1>${stack} ${badge(health)}</h1>
${stackTabs(project, stack, 'Overview')}
<p class="facts">Revision <strong>${detail.currentRevision ?? '–'}</strong>${detail.latestRevision !== detail.currentRevision ? html` (latest ${detail.latestRevision ?? '–'})` : ''}</p>
${ingress.length ? html`<h2>Ingress</h2><ul class="plain">${ingress.map((s) => html`<li>${s.service}: <a href="${s.ingress!.url}" rel="noreferrer">${s.ingress!.url}</a></li>`)}</ul>` : ''}
<h2>Services</h2>
<table class="grid">
<thead><tr><th scope="col">Service</th><th scope="col">Image</th><th scope="col">Running</th><th scope="col">Healthy</th><th scope="col">Ports</th></tr></thead>
<tbody>${status.services.map(
      (s) => html`<tr><td>${s.service}</td><td><code>${s.image}</code></td><td class="num">${s.running}/${s.desired}</td><td class="num">${s.healthy}</td><td>${s.ports.map((p) => html`<code>${p.hostIp ? `${p.hostIp}:` : ''}${p.published}→${p.target}/${p.protocol}</code> `)}</td></tr>`,
    )}</tbody>
</table>
<h2>Replicas</h2>
<table class="grid">
<thead><tr><th scope="col">Replica</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Started</th><th scope="col">Revision</th><th scope="col">Image digest</th><th scope="col">Container</th></tr></thead>
<tbody>${status.services.flatMap((s) => s.replicas.map((r) => replicaRow(s.service, s.imageDigest, r)))}</tbody>
</table>
${live ? html`<p role="status">A ${live.action} by ${live.user} is rolling out: <a href="${stackPath(project, stack)}/operations/${live.id}">follow it live</a>. This page reloads every ${UPDATING_RELOAD_SECONDS} seconds until it ends.</p>` : health === 'updating' ? html`<p class="muted" role="status">A change is rolling out; this page reloads every ${UPDATING_RELOAD_SECONDS} seconds until it ends.</p>` : ''}`,
    health === 'updating' ? {watchSeconds: UPDATING_RELOAD_SECONDS} : {},
  );
}

export function revisionsPage(ctx: PageContext, project: string, stack: string, revisions: RevisionSummaryJson[], current: number | null): SafeHtml {
  const options = (selected: number | undefined) => revisions.map((r) => html`<option value="${r.number}"${r.number === selected ? html` selected` : ''}>${r.number}</option>`);
  const path = stackPath(project, stack);
  return layout(
    ctx,
    `Revisions · ${stack}`,
    stackCrumbs(project, stack, 'Revisions'),
    html`<h1>${stack}: revisions</h1>
${stackTabs(project, stack, 'Revisions')}
${
  revisions.length > 1
    ? html`<form method="get" action="${path}/revisions/compare" class="inline">
  <label for="from">Compare</label> <select id="from" name="from">${options(revisions[1]?.number)}</select>
  <label for="to">with</label> <select id="to" name="to">${options(revisions[0]?.number)}</select>
  <button type="submit">Show changes</button>
</form>`
    : ''
}
<table class="grid">
<thead><tr><th scope="col">#</th><th scope="col">Outcome</th><th scope="col">Who</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Images</th><th scope="col">Message</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${revisions.map(
      (r) => html`<tr data-revision="${r.number}"><td class="num">${r.number}${r.number === current ? html` <span class="badge b-current">current</span>` : ''}</td><td>${badge(r.outcome)}</td><td>${r.user}</td><td>${time(r.createdAt)}</td><td>${time(r.finishedAt)}</td><td>${Object.entries(r.imageRefs ?? {}).map(([svc, ref]) => html`<div><span class="muted">${svc}</span> <code title="${r.images[svc] ?? ''}">${ref}</code></div>`)}</td><td class="msg">${r.message ?? ''}</td><td>${
        r.number !== current && (r.outcome === 'healthy' || r.outcome === 'started') ? html`<a class="button" href="${path}/revisions/${r.number}/rollback">Roll back to ${r.number}</a>` : ''
      }</td></tr>`,
    )}</tbody>
</table>`,
  );
}

function changesTable(changes: ServiceChanges[]): SafeHtml {
  const changed = changes.filter((c) => c.change !== 'same');
  if (changed.length === 0) return html`<p class="muted">No differences in images or configuration.</p>`;
  return html`${changed.map(
    (c) => html`<section class="change"><h3>${c.service} ${badge(c.change)}</h3>
${c.image ? html`<p>image <code class="from">${c.image.from ?? '–'}</code> → <code class="to">${c.image.to ?? '–'}</code></p>` : ''}
${
  c.fields.length
    ? html`<table class="grid diff"><thead><tr><th scope="col">Field</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>${c.fields
        .slice(0, MAX_FIELDS)
        .map((f) => html`<tr><td><code>${f.path}</code></td><td><code class="from">${f.from ?? '–'}</code></td><td><code class="to">${f.to ?? '–'}</code></td></tr>`)}</tbody></table>${
        c.fields.length > MAX_FIELDS ? html`<p class="muted">and ${c.fields.length - MAX_FIELDS} more fields</p>` : ''
      }`
    : ''
}</section>`,
  )}<p class="muted">Environment values are shown as ${HIDDEN}: secrets are often passed that way.</p>`;
}

export function comparePage(ctx: PageContext, project: string, stack: string, from: number, to: number, changes: ServiceChanges[]): SafeHtml {
  return layout(ctx, `Changes ${from} → ${to} · ${stack}`, stackCrumbs(project, stack, `Changes ${from} → ${to}`), html`<h1>${stack}: revision ${from} → ${to}</h1>${stackTabs(project, stack, 'Revisions')}${changesTable(changes)}`);
}

export function rollbackConfirmPage(ctx: PageContext, project: string, stack: string, current: number | null, target: number, changes: ServiceChanges[]): SafeHtml {
  return layout(
    ctx,
    `Roll back to ${target} · ${stack}`,
    stackCrumbs(project, stack, `Roll back to ${target}`),
    html`<h1>Roll back ${stack} to revision ${target}?</h1>
<p>This deploys revision ${target} again as a new revision (exactly its images and configuration). What changes from the running revision ${current ?? '–'}:</p>
${changesTable(changes)}
<form method="post" action="${stackPath(project, stack)}/rollback" class="confirm">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="to" value="${target}">
  <button type="submit" class="danger">Roll back to revision ${target}</button>
  <a href="${stackPath(project, stack)}/revisions">Cancel</a>
</form>`,
  );
}

/** The image field of a service on the upgrade form; `pull-SERVICE` the box that pulls its tag again. */
export const upgradeImageField = (service: string) => `image-${service}`;
export const upgradePullField = (service: string) => `pull-${service}`;

export function upgradePage(ctx: PageContext, project: string, stack: string, current: number, images: [service: string, image: string][], error?: string): SafeHtml {
  return layout(
    ctx,
    `Upgrade · ${stack}`,
    stackCrumbs(project, stack, 'Upgrade'),
    html`<h1>${stack}: upgrade</h1>
${stackTabs(project, stack, 'Upgrade')}
<p>Rolls the services chosen onto new images, replica by replica, as a new revision from the running revision ${current}: a new replica must turn healthy before the one it replaces stops. If one fails, the stack goes back to its last good revision by itself.</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${stackPath(project, stack)}/upgrade">
  ${csrfField(ctx.csrf)}
  <table class="grid">
  <thead><tr><th scope="col">Service</th><th scope="col">Running image</th><th scope="col">New image</th><th scope="col">Same tag, pulled again</th></tr></thead>
  <tbody>${images.map(
    ([service, image]) => html`<tr><td>${service}</td><td><code>${image}</code></td><td><label class="sr-only" for="${upgradeImageField(service)}">New image for ${service}</label><input id="${upgradeImageField(service)}" name="${upgradeImageField(service)}" maxlength="512" size="40" placeholder="unchanged" autocomplete="off"></td><td><input type="checkbox" id="${upgradePullField(service)}" name="${upgradePullField(service)}" value="1"><label for="${upgradePullField(service)}"> pull ${service}</label></td></tr>`,
  )}</tbody>
  </table>
  <p class="confirm"><button type="submit" class="danger">Upgrade</button> <a href="${stackPath(project, stack)}">Cancel</a></p>
</form>`,
  );
}

export type OperationView = Pick<Operation, 'id' | 'action' | 'user' | 'startedAt' | 'events' | 'done' | 'result' | 'error'>;

export function eventLine(e: DeployEvent): string {
  const where = e.service ? `${e.service}${e.replica !== undefined ? `-${e.replica}` : ''}: ` : '';
  return `${e.time.slice(11, 19)} ${e.type.padEnd(7)} ${where}${e.message}`;
}

export function operationOutcome(op: OperationView): string {
  if (!op.done) return 'running';
  if (op.error) return 'failed';
  return op.result?.outcome ?? 'done';
}

export function operationPage(ctx: PageContext, project: string, stack: string, op: OperationView): SafeHtml {
  const path = stackPath(project, stack);
  return layout(
    ctx,
    `${op.action} · ${stack}`,
    stackCrumbs(project, stack, op.action),
    html`<h1>${stack}: ${op.action}</h1>
<p>Started by ${op.user} at ${time(op.startedAt)}. Outcome: <span id="op-outcome">${badge(operationOutcome(op))}</span>
${op.result?.revision ? html` New revision <strong id="op-revision">${op.result.revision}</strong>.` : ''}</p>
<p id="op-error" class="error" role="alert"${op.error ? '' : html` hidden`}>${op.error ?? ''}</p>
<pre class="log progress" id="op-events" data-events="${op.done ? '' : `${path}/operations/${op.id}/events?after=${op.events.length}`}" aria-live="polite">${op.events.map((e) => eventLine(e) + '\n')}</pre>
<p><a href="${path}/revisions">Revisions</a> · <a href="${path}">Overview</a></p>`,
    op.done ? {} : {refreshSeconds: 2},
  );
}

export interface LogsForm {
  services: string[];
  service?: string;
  tail: number;
}

export function logsPage(ctx: PageContext, project: string, stack: string, form: LogsForm, lines: string[], liveCap: number): SafeHtml {
  const path = stackPath(project, stack);
  const query = new URLSearchParams({...(form.service ? {service: form.service} : {}), tail: String(form.tail)}).toString();
  return layout(
    ctx,
    `Logs · ${stack}`,
    stackCrumbs(project, stack, 'Logs'),
    html`<h1>${stack}: logs</h1>
${stackTabs(project, stack, 'Logs')}
<form method="get" action="${path}/logs" class="inline" id="log-form">
  <label for="service">Service</label>
  <select id="service" name="service"><option value="">all</option>${form.services.map((s) => html`<option${s === form.service ? html` selected` : ''}>${s}</option>`)}</select>
  <label for="tail">Last</label> <input id="tail" name="tail" type="number" min="0" max="10000" value="${form.tail}" size="6"> lines
  <button type="submit">Show</button>
  <a class="button" href="${path}/logs/download?${query}" download>Download</a>
</form>
<div class="toolbar" id="log-tools" hidden>
  <button type="button" id="log-follow" aria-pressed="true">Pause</button>
  <label for="log-filter">Filter</label> <input id="log-filter" type="search" maxlength="200" placeholder="text in the line">
  <span id="log-status" class="muted" aria-live="polite"></span>
</div>
<pre class="log" id="log" tabindex="0" data-stream="${path}/logs/stream?${query}" data-cap="${liveCap}">${lines.map((l) => l + '\n')}</pre>
<p class="muted">Without JavaScript this shows the last lines once; with it, the view follows new lines and keeps the newest ${liveCap}.</p>`,
  );
}

export interface AuditForm {
  projects: string[];
  project?: string;
  user?: string;
  action?: string;
  stack?: string;
}

export function auditPage(ctx: PageContext, form: AuditForm, entries: AuditEntry[], limit: number): SafeHtml {
  return layout(
    ctx,
    'Audit log',
    [{label: 'Stacks', href: '/'}, {label: 'Audit log'}],
    html`<h1>Audit log</h1>
<form method="get" action="/audit" class="inline">
  <label for="a-project">Project</label>
  <select id="a-project" name="project">${ctx.user.admin ? html`<option value="">all</option>` : ''}${form.projects.map((p) => html`<option${p === form.project ? html` selected` : ''}>${p}</option>`)}</select>
  <label for="a-user">User</label> <input id="a-user" name="user" value="${form.user ?? ''}" maxlength="64" size="10">
  <label for="a-action">Action</label> <input id="a-action" name="action" value="${form.action ?? ''}" maxlength="64" size="14" placeholder="stack.deploy">
  <label for="a-stack">Stack</label> <input id="a-stack" name="stack" value="${form.stack ?? ''}" maxlength="63" size="10">
  <button type="submit">Filter</button>
</form>
<table class="grid">
<thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Project</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${time(e.time)}</td><td>${e.user}</td><td>${e.project ?? ''}</td><td><code>${e.action}</code></td><td>${e.target ?? ''}</td><td>${badge(e.outcome)}</td><td class="msg">${e.detail ?? ''}</td></tr>`)}</tbody>
</table>
${entries.length >= limit ? html`<p class="muted">The newest ${limit} entries; narrow the filter to see older ones.</p>` : ''}`,
  );
}

export function usersPage(ctx: PageContext, users: User[], tokens: TokenInfo[]): SafeHtml {
  return layout(
    ctx,
    'Users',
    [{label: 'Stacks', href: '/'}, {label: 'Users'}],
    html`<h1>Users</h1>
<table class="grid">
<thead><tr><th scope="col">User</th><th scope="col">uid:gid</th><th scope="col">Admin</th><th scope="col">Projects</th><th scope="col">Created</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.name}</td><td class="num">${u.uid}:${u.gid}</td><td>${u.admin ? 'yes' : ''}</td><td>${u.projects.join(', ')}</td><td>${time(u.createdAt)}</td></tr>`)}</tbody>
</table>
<h2>Tokens</h2>
<p class="muted">Token values are never shown; the prefix names a token for <code>spin agent token revoke</code>.</p>
<table class="grid">
<thead><tr><th scope="col">Id</th><th scope="col">User</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Revoked</th></tr></thead>
<tbody>${tokens.map((t) => html`<tr><td class="num">${t.id}</td><td>${t.user}</td><td><code>${t.prefix}…</code></td><td>${time(t.createdAt)}</td><td>${time(t.lastUsedAt)}</td><td>${time(t.revokedAt)}</td></tr>`)}</tbody>
</table>`,
  );
}

export function nodesPage(ctx: PageContext, nodes: ClusterNode[]): SafeHtml {
  const labels = (l: Record<string, string>) => Object.keys(l).sort().map((k) => html`<code>${k}=${l[k]}</code> `);
  return layout(
    ctx,
    'Nodes',
    [{label: 'Stacks', href: '/'}, {label: 'Nodes'}],
    html`<h1>Nodes</h1>
<p class="muted">Drain a node with <code>spin agent node drain NODE</code>: Spin starts its replicas elsewhere before the node empties.</p>
<table class="grid">
<thead><tr><th scope="col">ID</th><th scope="col">Address</th><th scope="col">Role</th><th scope="col">Availability</th><th scope="col">State</th><th scope="col" class="num">Replicas</th><th scope="col">Labels</th></tr></thead>
<tbody>${nodes.map((n) => html`<tr><td><code title="${n.id}">${n.id.slice(0, 12)}</code></td><td>${n.address}</td><td>${n.leader ? 'manager (leader)' : n.role}</td><td>${n.availability === 'active' ? n.availability : badge(n.availability)}</td><td>${badge(n.state)}</td><td class="num">${n.replicas}</td><td>${labels(n.labels)}</td></tr>`)}</tbody>
</table>`,
  );
}

export function errorPage(ctx: PageContext | undefined, status: number, message: string, hint?: string): SafeHtml {
  return layout(ctx, status === 404 ? 'Not found' : 'Error', [], html`<h1>${status === 404 ? 'Not found' : `Error ${status}`}</h1><p class="error" role="alert">${message}</p>${hint ? html`<p class="muted">${hint}</p>` : ''}<p><a href="/">Back to the stacks</a></p>`);
}
