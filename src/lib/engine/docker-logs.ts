// Reading from and running in a stack's replicas on the Docker engine: their logs, and exec.

import type Docker from 'dockerode';

import {InvalidInputError, OperationError} from '../errors.ts';
import {stackContainers, toExisting, type DockerEnv} from './docker-env.ts';
import {selectedContainers} from './docker-lifecycle.ts';
import {EngineError, engineCall, engineError} from './errors.ts';
import {startExec} from './exec.ts';
import {containerChunks, mergeChunksByTime, mergeSources, type LogChunk} from './logs.ts';
import {checkRef, containerName} from './naming.ts';
import {LABELS, type ExecOptions, type ExecSession, type LogOptions, type LogStream, type StackRef} from './types.ts';

/**
 * The logs of the stack's replicas (of some services) as chunks of whole lines, merged by time,
 * or as they come when following. The sources (replicas) are known before the first chunk.
 */
export async function stackLogChunks(env: DockerEnv, ref: StackRef, options: LogOptions): Promise<LogStream> {
  const list = (await selectedContainers(env, ref, options.services)).map(toExisting).sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
  return readLogs(
    env.docker,
    list.map((c) => ({
      service: c.service,
      replica: c.replica,
      what: `"${c.name}"`,
      path: `/containers/${c.id}/logs`,
      tty: async () => (await engineCall(`inspect container "${c.name}"`, () => env.docker.getContainer(c.id).inspect())).Config.Tty === true,
    })),
    options,
  );
}

/** One source of a log stream: a container, or a Swarm task. */
export interface LogTarget {
  service: string;
  replica: number;
  /** For errors: `"demo.web.1"`, `task "web.2"`. */
  what: string;
  /** The engine's logs endpoint, e.g. `/containers/ID/logs` or `/tasks/ID/logs`. */
  path: string;
  /** Whether the engine sends the log raw (a TTY) rather than multiplexed. */
  tty: () => Promise<boolean>;
  /**
   * The replica has ended for good: its log is read to the end, never followed. (A container's
   * followed log ends when it stops; a Swarm task's, served by the manager, never ends.)
   */
  finished?: boolean;
  /**
   * Asked every second while following: whether the replica has ended since. A container's
   * followed log ends by itself when it stops; a Swarm task's does not, so its follow ends when
   * this says so (after a last second for its final lines).
   */
  ended?: () => Promise<boolean>;
}

/** How often a followed target's `ended` is asked, and how long its log is still read after. */
const ENDED_POLL_MS = 1000;

/**
 * The engine's log streams of the targets as one LogStream. Each log is read as a stream even
 * when not following, so the first lines go out while the engine still reads the rest.
 */
export async function readLogs(docker: Docker, targets: LogTarget[], options: LogOptions): Promise<LogStream> {
  const streams: {destroy?: () => void}[] = [];
  const stopAll = () => {
    for (const s of streams) s.destroy?.();
  };
  options.signal?.addEventListener('abort', stopAll, {once: true});
  const opened = await Promise.all(
    targets.map(async (c, index) => {
      const tty = await c.tty();
      const query = {
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: options.follow === true && c.finished !== true,
        ...(options.tail !== undefined ? {tail: options.tail} : {}),
        ...(options.since !== undefined ? {since: options.since} : {}),
      };
      const raw = (await engineCall(`read the logs of ${c.what}`, () => logStream(docker, c.path, query))) as NodeJS.ReadableStream & {destroy?: () => void};
      streams.push(raw);
      if (options.signal?.aborted) stopAll();
      let closed = false;
      const watcher = query.follow && c.ended ? watchEnd(c.ended, raw, () => (closed = true)) : undefined;
      return (async function* () {
        try {
          yield* containerChunks(raw as AsyncIterable<Buffer>, tty, index);
        } catch (err) {
          // A stream destroyed on purpose ends quietly.
          if (!options.signal?.aborted && !closed) throw engineError(err, `read the logs of ${c.what}`);
        } finally {
          watcher?.stop();
        }
      })();
    }),
  ).catch((err: unknown) => {
    stopAll();
    throw err;
  });
  async function* chunks(): AsyncGenerator<LogChunk> {
    try {
      yield* options.follow ? mergeSources(opened) : mergeChunksByTime(opened);
    } finally {
      options.signal?.removeEventListener('abort', stopAll);
      stopAll();
    }
  }
  return {sources: targets.map((c) => ({service: c.service, replica: c.replica})), chunks: chunks()};
}

/** Ends a followed log once `ended` says its replica has ended, a poll interval later for the last lines. */
function watchEnd(ended: () => Promise<boolean>, raw: {destroy?: () => void}, closing: () => void): {stop(): void} {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const done = await ended().catch(() => false);
    if (stopped) return;
    timer = setTimeout(
      () => {
        if (!done) return void tick();
        closing();
        raw.destroy?.();
      },
      ENDED_POLL_MS,
    );
  };
  timer = setTimeout(() => void tick(), ENDED_POLL_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** GET a logs endpoint as a stream, following or not (dockerode buffers it when not following). */
function logStream(docker: Docker, path: string, query: Record<string, unknown>): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {path: `${path}?`, method: 'GET', isStream: true, statusCodes: {200: true, 404: 'no such container or task', 500: 'server error', 503: 'node is not part of a swarm'}, options: query},
      (err: unknown, stream: unknown) => (err ? reject(err) : resolve(stream as NodeJS.ReadableStream)),
    );
  });
}

/** Why there is nothing to exec in: no such service in the stack (naming the ones it has), or no such replica. */
async function noReplica(env: DockerEnv, ref: StackRef, service: string, index: number): Promise<EngineError> {
  const services = [...new Set((await stackContainers(env, ref)).map((x) => x.Labels[LABELS.service]).filter(Boolean))].sort();
  const stack = `"${ref.project}/${ref.stack}"`;
  if (!services.includes(service)) {
    const has = services.length > 0 ? `; it has ${services.map((s) => `"${s}"`).join(', ')}` : ' (it runs nothing: `spin up` or `spin deploy` first)';
    return new EngineError('service.not_found', `stack ${stack} has no service "${service}"${has}`, {hint: services.length > 0 ? `e.g. \`spin exec ${services[0]} sh\`` : 'check the stack with `spin ps`'});
  }
  return new EngineError('service.not_found', `service "${service}" has no replica ${index} in stack ${stack}`, {hint: 'list the replicas with `spin ps`'});
}

/** Runs a command in a running replica. */
export async function execInReplica(env: DockerEnv, ref: StackRef, options: ExecOptions): Promise<ExecSession> {
  checkRef(ref);
  const index = options.index ?? 1;
  if (!Array.isArray(options.cmd) || options.cmd.length === 0) throw new InvalidInputError('no command to run', {hint: 'give the command after --, e.g. spin exec web -- ls /'});
  const name = containerName(ref, options.service, index);
  const c = (await stackContainers(env, ref, options.service)).find((x) => Number(x.Labels[LABELS.replica]) === index);
  if (!c) throw await noReplica(env, ref, options.service, index);
  if (c.State !== 'running') {
    throw new OperationError(`container "${name}" is not running (${c.State})`, {hint: `start it with \`spin start ${options.service}\`, or look at \`spin logs ${options.service}\``});
  }
  return startExec(env.docker.getContainer(c.Id), options, `container "${name}"`);
}
