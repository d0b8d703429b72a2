// What the engine runs for Spin, kept current from its event stream, so that status (`spin ps`,
// the stack list, the dashboard) is answered from memory instead of a listing and an inspect of
// every container per request: with 100 replicas that was 101 engine calls for one `spin ps`.
//
// How it stays true:
// - It subscribes to container events first, then reads every managed container once, so no
//   change between the two is missed.
// - Each event names a container; that container is inspected again (one inspect in flight per
//   container, a burst of events costs two at most) and its snapshot replaced, or dropped when
//   the engine says it is gone.
// - When the stream breaks (dockerd restarted, the socket closed) the state is no longer trusted:
//   the next read subscribes again and re-reads everything, as on start.
// - The agent's own changes (deploy, stop, start, remove) re-read their stack when they end
//   (`resync`), so a `spin ps` right after `spin up` never shows the state before it; changes
//   made by others arrive through the events, in milliseconds.
//
// Only the fields status needs are kept (a few hundred bytes per container, not the ~10 KB of a
// whole inspect), so memory stays small and flat with the number of replicas.

import type Docker from 'dockerode';

import {jsonLines} from '../ndjson.ts';
import {engineCall, engineError, isNotFound} from './errors.ts';
import {digestOf, inspectImage} from './images.ts';
import {labelFilter, ownedBy} from './naming.ts';
import {LABELS, type StackRef} from './types.ts';

type PortBindings = Record<string, {HostIp?: string; HostPort?: string}[] | null>;

/** A container as status reads it: the inspect fields status uses, nothing more. */
export interface ContainerSnapshot {
  Id: string;
  Name: string;
  Created: string;
  /** The image ID that runs. */
  Image: string;
  Config: {Labels: Record<string, string>; Image: string};
  State: {Status: string; ExitCode: number; StartedAt: string; Health?: {Status?: string}};
  HostConfig: {PortBindings?: PortBindings};
  NetworkSettings: {Ports?: PortBindings};
}

export function snapshotOf(info: Docker.ContainerInspectInfo): ContainerSnapshot {
  const health = (info.State as {Health?: {Status?: string}}).Health?.Status;
  return {
    Id: info.Id,
    Name: info.Name,
    Created: info.Created,
    Image: info.Image,
    Config: {Labels: info.Config.Labels ?? {}, Image: info.Config.Image},
    State: {Status: info.State.Status, ExitCode: info.State.ExitCode, StartedAt: info.State.StartedAt, ...(health ? {Health: {Status: health}} : {})},
    HostConfig: {PortBindings: (info.HostConfig.PortBindings ?? {}) as PortBindings},
    NetworkSettings: {Ports: (info.NetworkSettings.Ports ?? {}) as PortBindings},
  };
}

/**
 * The container events that can change what status shows. The engine matches `health_status`
 * as a prefix (its action reads `health_status: healthy`); the healthchecks' own exec_* events,
 * one per check per container, are left out, so an idle platform sends almost nothing.
 */
const EVENTS = ['create', 'start', 'restart', 'die', 'stop', 'destroy', 'rename', 'update', 'pause', 'unpause', 'health_status'];

/** Image digests remembered; past this many the memo starts over (images come and go). */
const MAX_DIGESTS = 1000;
/** How long an image's "no digest yet" (its bare ID) is believed before asking again. */
const NO_DIGEST_TTL_MS = 5000;

/** Containers inspected at once during a full read. */
const READ_CONCURRENCY = 8;

type EventStream = NodeJS.ReadableStream & {destroy?: () => void; socket?: {unref?: () => void}};

export class ContainerWatch {
  private readonly docker: Docker;
  private readonly containers = new Map<string, ContainerSnapshot>();
  /** The newest refresh of each container, started or queued; one runs at a time per container. */
  private readonly chain = new Map<string, Promise<void>>();
  /** Refreshes queued behind a running one: a burst of events for a container joins these. */
  private readonly queued = new Map<string, Promise<void>>();
  /** Resolves when following and the first full read is in; unset while not trusted. */
  private ready?: Promise<void>;
  private stream?: EventStream;
  private closed = false;
  private readonly digests = new Map<string, {digest: Promise<string | undefined>; until?: number}>();
  /** The last inspect that failed, for the error when re-reading does not help. */
  private failure: unknown;

  constructor(docker: Docker) {
    this.docker = docker;
  }

  /** The stack's containers (of every service), as the engine last told. */
  async stack(ref: StackRef): Promise<ContainerSnapshot[]> {
    await this.current();
    return [...this.containers.values()].filter((c) => ownedBy(c.Config.Labels, ref.project, ref.stack));
  }

  /** Every managed container, optionally of one project. */
  async all(project?: string): Promise<ContainerSnapshot[]> {
    await this.current();
    return [...this.containers.values()].filter((c) => project === undefined || c.Config.Labels[LABELS.project] === project);
  }

  /**
   * The digest an image runs as (`repo@sha256:…`, else its ID). A digest found is kept: an image
   * ID's digest for one repository never changes. An image without one yet (built here, never
   * pushed) is asked again after NO_DIGEST_TTL_MS, since a push adds it: without that memo a
   * stack of 100 services built locally cost 100 image inspects per `spin ps`.
   */
  imageDigest(imageId: string, image: string): Promise<string | undefined> {
    const key = `${imageId} ${image}`;
    const known = this.digests.get(key);
    if (known && (known.until === undefined || known.until > Date.now())) return known.digest;
    if (this.digests.size >= MAX_DIGESTS) this.digests.clear();
    const digest = inspectImage(this.docker, imageId)
      .then((info) => (info ? digestOf(info, image) : undefined))
      .catch(() => undefined);
    // Until it answers, concurrent requests share the one inspect; then the answer stays.
    this.digests.set(key, {digest, until: Date.now() + NO_DIGEST_TTL_MS});
    void digest.then((d) => {
      if (d === undefined) this.digests.delete(key);
      else this.digests.set(key, {digest, ...(d === imageId ? {until: Date.now() + NO_DIGEST_TTL_MS} : {})});
    });
    return digest;
  }

  /** Reads the stack from the engine now: after the agent changed it, before anyone reads it. */
  async resync(ref: StackRef): Promise<void> {
    if (!this.trusted()) return; // not following: the next read re-reads everything anyway
    const list = await engineCall(`list the containers of stack "${ref.project}/${ref.stack}"`, () => this.docker.listContainers({all: true, filters: {label: labelFilter(ref.project, ref.stack)}}));
    const ids = new Set([...list.map((c) => c.Id), ...[...this.containers.values()].filter((c) => ownedBy(c.Config.Labels, ref.project, ref.stack)).map((c) => c.Id)]);
    await Promise.all([...ids].map((id) => this.refresh(id)));
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy?.();
  }

  /** Waits until the state can be trusted, and for the refreshes of events already received. */
  private async current(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await (this.ready ??= this.follow());
      if (this.chain.size > 0) await Promise.all([...this.chain.values()]);
      if (this.trusted()) return;
      // A refresh that failed made the state untrusted: read everything again before answering,
      // and give up after a few rounds rather than loop on an engine that keeps failing.
      if (attempt === 3) throw engineError(this.failure, 'inspect the managed containers');
    }
  }

  private async follow(): Promise<void> {
    try {
      const stream = (await engineCall('follow the engine\'s container events', () =>
        this.docker.getEvents({filters: {type: ['container'], label: [`${LABELS.managed}=true`], event: EVENTS}}),
      )) as EventStream;
      // The agent's other handles decide when it exits, not this stream.
      stream.socket?.unref?.();
      this.stream = stream;
      if (this.closed) stream.destroy?.();
      void this.consume(stream);
      await this.readAll();
    } catch (err) {
      this.distrust();
      throw err;
    }
  }

  private async consume(stream: EventStream): Promise<void> {
    try {
      for await (const event of jsonLines(stream as AsyncIterable<Buffer>)) {
        const id = (event.Actor as {ID?: string} | undefined)?.ID ?? (event.id as string | undefined);
        if (typeof id === 'string' && id !== '') void this.refresh(id);
      }
    } catch {
      // A broken stream is a gap in what we know: handled below, as an end.
    }
    if (this.stream === stream) this.distrust();
  }

  private trusted(): boolean {
    return this.ready !== undefined;
  }

  /** Forget the trust, not the data: the next read follows again and re-reads everything. */
  private distrust(): void {
    this.ready = undefined;
    this.stream?.destroy?.();
    this.stream = undefined;
  }

  private async readAll(): Promise<void> {
    const list = await engineCall('list the managed containers', () => this.docker.listContainers({all: true, filters: {label: [`${LABELS.managed}=true`]}}));
    const ids = [...new Set([...list.map((c) => c.Id), ...this.containers.keys()])];
    for (let i = 0; i < ids.length; i += READ_CONCURRENCY) await Promise.all(ids.slice(i, i + READ_CONCURRENCY).map((id) => this.refresh(id)));
  }

  /** Inspects a container again after whatever is running for it now; settles when done. */
  private refresh(id: string): Promise<void> {
    const waiting = this.queued.get(id);
    if (waiting) return waiting;
    const before = this.chain.get(id) ?? Promise.resolve();
    const next = before.then(() => {
      this.queued.delete(id);
      return this.inspect(id);
    });
    this.queued.set(id, next);
    this.chain.set(id, next);
    void next.finally(() => {
      if (this.chain.get(id) === next) this.chain.delete(id);
    });
    return next;
  }

  private async inspect(id: string): Promise<void> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      if (info.Config.Labels?.[LABELS.managed] === 'true') this.containers.set(info.Id, snapshotOf(info));
      else this.containers.delete(id);
    } catch (err) {
      if (isNotFound(err)) this.containers.delete(id);
      else {
        // Any other failure leaves this container unknown: trust nothing until everything is re-read.
        this.failure = err;
        this.distrust();
      }
    }
  }
}
