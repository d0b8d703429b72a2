// Reading from and running in a stack's replicas on the Docker engine: their logs, and exec.

import {InvalidInputError, OperationError} from '../errors.ts';
import {stackContainers, toExisting, type DockerEnv} from './docker-env.ts';
import {selectedContainers} from './docker-lifecycle.ts';
import {EngineError, engineCall, engineError} from './errors.ts';
import {startExec} from './exec.ts';
import {containerLines, mergeByTime, mergeSources} from './logs.ts';
import {checkRef, containerName} from './naming.ts';
import {LABELS, type ExecOptions, type ExecSession, type LogLine, type LogOptions, type StackRef} from './types.ts';

/** The logs of the stack's replicas (of some services), merged by time, or as they come when following. */
export async function* stackLogs(env: DockerEnv, ref: StackRef, options: LogOptions): AsyncGenerator<LogLine> {
  const list = (await selectedContainers(env, ref, options.services)).map(toExisting).sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
  const streams: {destroy?: () => void}[] = [];
  const stopAll = () => {
    for (const s of streams) s.destroy?.();
  };
  options.signal?.addEventListener('abort', stopAll, {once: true});
  try {
    const sources = await Promise.all(
      list.map(async (c) => {
        const container = env.docker.getContainer(c.id);
        const info = await engineCall(`inspect container "${c.name}"`, () => container.inspect());
        const query = {
          stdout: true,
          stderr: true,
          timestamps: true,
          ...(options.tail !== undefined ? {tail: options.tail} : {}),
          ...(options.since !== undefined ? {since: options.since} : {}),
        };
        const raw = options.follow
          ? await engineCall(`read the logs of "${c.name}"`, () => container.logs({...query, follow: true}))
          : await engineCall(`read the logs of "${c.name}"`, () => container.logs({...query, follow: false}));
        if (!Buffer.isBuffer(raw)) streams.push(raw as {destroy?: () => void});
        if (options.signal?.aborted) stopAll();
        return (async function* () {
          try {
            for await (const l of containerLines(raw as AsyncIterable<Buffer> | Buffer, info.Config.Tty === true)) {
              yield {service: c.service, replica: c.replica, ...l};
            }
          } catch (err) {
            // A stream destroyed on purpose ends quietly.
            if (!options.signal?.aborted) throw engineError(err, `read the logs of "${c.name}"`);
          }
        })();
      }),
    );
    if (options.follow) {
      yield* mergeSources(sources);
      return;
    }
    for await (const l of mergeByTime(sources)) {
      if (options.signal?.aborted) return;
      yield l;
    }
  } finally {
    options.signal?.removeEventListener('abort', stopAll);
    stopAll();
  }
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
