// A small in-memory Orchestrator for the agent's unit tests: it keeps what was deployed, answers
// status from that, and records every call (`prepare` as "plan", `execute` as "deploy"). Tests can
// hold a deploy open (`gate`), make one fail, or give it log lines; exec runs three pretend
// commands (echo, cat, exit).

import {createHash} from 'node:crypto';
import {PassThrough} from 'node:stream';

import type {ComposeModel} from '../../src/lib/compose/types.ts';
import {EngineError} from '../../src/lib/engine/errors.ts';
import type {LogChunk} from '../../src/lib/engine/logs.ts';
import type {
  DeployEvent,
  DeployResult,
  ExecOptions,
  ExecSession,
  ExecuteOptions,
  LogLine,
  LogOptions,
  LogStream,
  Orchestrator,
  Plan,
  PreparedDeploy,
  PrepareRequest,
  RemoveReport,
  ServicePlan,
  StackRef,
  StackStatus,
  VolumeListing,
} from '../../src/lib/engine/types.ts';

interface Deployed {
  model: ComposeModel;
  revision: number;
  running: Set<string>;
}

export interface FakeCall {
  method: string;
  ref?: StackRef;
  args?: unknown;
}

const key = (ref: StackRef) => `${ref.project}/${ref.stack}`;
const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
const replicasOf = (model: ComposeModel, service: string) => model.services[service]?.deploy?.replicas ?? 1;

export class FakeOrchestrator implements Orchestrator {
  readonly name = 'fake';
  readonly calls: FakeCall[] = [];
  readonly stacksByKey = new Map<string, Deployed>();
  /** Requests of the deploys prepared and not executed yet. */
  private readonly prepared = new WeakMap<PreparedDeploy, PrepareRequest>();
  /** Secrets the last deploy received. */
  lastSecrets?: Record<string, Buffer>;
  /** When set, deploy waits for it before changing anything. */
  gate?: Promise<void>;
  /** Called when a deploy starts (before the gate). */
  onDeployStart?: () => void;
  /** The outcome the next deploys report. */
  outcome: DeployResult['outcome'] = 'healthy';
  /** When set, deploy throws it. */
  deployError?: Error;
  /** When set, status throws it. */
  statusError?: Error;
  logLines: LogLine[] = [];
  volumeList: {name: string; driver: string; createdAt?: string; stacks: string[]}[] = [];
  /** Engine-only stacks (containers without records), e.g. for reconcile tests. */
  extraStacks: StackRef[] = [];
  /** The digest the engine reports per service in status (e.g. one the image got from a later push). */
  imageDigests: Record<string, string> = {};

  private record(method: string, ref?: StackRef, args?: unknown) {
    this.calls.push({method, ref, args});
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async ping(): Promise<void> {
    this.record('ping');
  }

  async prepare(request: PrepareRequest): Promise<PreparedDeploy> {
    this.record('plan', request.ref);
    const prepared: PreparedDeploy = {ref: request.ref, plan: this.planOf(request.ref, request.model)};
    this.prepared.set(prepared, request);
    return prepared;
  }

  private planOf(ref: StackRef, model: ComposeModel): Plan {
    const current = this.stacksByKey.get(key(ref));
    const services: ServicePlan[] = Object.keys(model.services)
      .sort()
      .map((service): ServicePlan => {
        const configHash = hash(model.services[service]);
        const to = replicasOf(model, service);
        const before = current?.model.services[service];
        if (!before) return {service, action: 'create', replicas: {from: 0, to}, configHash, reason: 'new service'};
        const from = replicasOf(current.model, service);
        if (hash(before) === configHash) return {service, action: 'keep', replicas: {from, to}, configHash, reason: 'unchanged'};
        if (from !== to && hash({...before, deploy: undefined}) === hash({...model.services[service], deploy: undefined})) {
          return {service, action: 'scale', replicas: {from, to}, configHash, reason: `${from} → ${to} replicas`};
        }
        return {service, action: 'recreate', replicas: {from, to}, configHash, reason: 'configuration changed'};
      });
    for (const service of Object.keys(current?.model.services ?? {})) {
      if (!model.services[service]) services.push({service, action: 'remove', replicas: {from: replicasOf(current!.model, service), to: 0}, configHash: '', reason: 'no longer in the stack'});
    }
    return {services, create: {networks: current ? [] : [`${ref.project}.${ref.stack}`], volumes: []}, noop: services.every((s) => s.action === 'keep')};
  }

  async execute(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployResult> {
    const request = this.prepared.get(prepared);
    if (!request) throw new Error('executed a deploy that was not prepared, or twice');
    this.prepared.delete(prepared);
    this.record('deploy', request.ref, {revision: options.revision, noWait: options.noWait, timeoutMs: options.timeoutMs});
    this.onDeployStart?.();
    if (this.gate) await this.gate;
    if (this.deployError) throw this.deployError;
    const {plan} = prepared;
    this.lastSecrets = request.secrets;
    const event = (type: DeployEvent['type'], message: string, service?: string): void =>
      options.onEvent?.({type, time: '2024-05-01T12:00:00.000Z', ...(service ? {service, replica: 1} : {}), message});
    event('plan', `${plan.services.length} services`);
    for (const s of plan.services) {
      event('create', `creating ${s.service}`, s.service);
      event('start', `starting ${s.service}`, s.service);
    }
    this.stacksByKey.set(key(request.ref), {model: request.model, revision: options.revision, running: new Set(Object.keys(request.model.services))});
    if (this.outcome === 'healthy') for (const s of plan.services) event('healthy', `${s.service} is healthy`, s.service);
    const images = Object.fromEntries(Object.entries(request.model.services).map(([n, s]) => [n, `${s.image ?? n}@sha256:${hash(s.image).padEnd(64, '0')}`]));
    const result: DeployResult = {plan, outcome: this.outcome, status: await this.status(request.ref), images};
    if (this.outcome === 'failed') result.failure = {service: Object.keys(request.model.services)[0], replica: 1, reason: 'exited with code 1', logs: ['boom']};
    return result;
  }

  async status(ref: StackRef): Promise<StackStatus> {
    this.record('status', ref);
    if (this.statusError) throw this.statusError;
    const d = this.stacksByKey.get(key(ref));
    if (!d) return {ref, services: []};
    const services = Object.keys(d.model.services)
      .sort()
      .map((service) => {
        const desired = replicasOf(d.model, service);
        const running = d.running.has(service) ? desired : 0;
        const replicas = Array.from({length: desired}, (_, i) => ({
          replica: i + 1,
          container: `${ref.project}.${ref.stack}.${service}.${i + 1}`,
          id: hash([ref, service, i]),
          state: running ? 'running' : 'exited',
          health: 'none' as const,
          revision: d.revision,
        }));
        const digest = this.imageDigests[service];
        return {service, image: d.model.services[service].image ?? '', ...(digest ? {imageDigest: digest} : {}), desired, running, healthy: running, ports: [], replicas};
      });
    return {ref, services, revision: d.revision};
  }

  async stacks(project?: string): Promise<StackRef[]> {
    this.record('stacks');
    const refs = [...this.stacksByKey.keys()].map((k) => {
      const [p, s] = k.split('/');
      return {project: p, stack: s};
    });
    return [...refs, ...this.extraStacks].filter((r) => project === undefined || r.project === project);
  }

  private setRunning(ref: StackRef, services: string[] | undefined, running: boolean) {
    const d = this.stacksByKey.get(key(ref));
    if (!d) return;
    for (const s of services ?? Object.keys(d.model.services)) {
      if (running) d.running.add(s);
      else d.running.delete(s);
    }
  }

  async stop(ref: StackRef, services?: string[]): Promise<void> {
    this.record('stop', ref, services);
    this.setRunning(ref, services, false);
  }

  async start(ref: StackRef, services?: string[]): Promise<void> {
    this.record('start', ref, services);
    this.setRunning(ref, services, true);
  }

  async restart(ref: StackRef, services?: string[]): Promise<void> {
    this.record('restart', ref, services);
    this.setRunning(ref, services, true);
  }

  async remove(ref: StackRef, options?: {volumes?: boolean}): Promise<RemoveReport> {
    this.record('remove', ref, options);
    this.stacksByKey.delete(key(ref));
    this.extraStacks = this.extraStacks.filter((r) => key(r) !== key(ref));
    return {volumes: {removed: [], kept: []}};
  }

  async logs(ref: StackRef, options: LogOptions): Promise<LogStream> {
    this.record('logs', ref, {...options, signal: undefined});
    const lines = this.logLines.filter((l) => !options.services || options.services.includes(l.service));
    const sources = [...new Map(lines.map((l) => [`${l.service}-${l.replica}`, {service: l.service, replica: l.replica}])).values()];
    const index = (l: LogLine) => sources.findIndex((s) => s.service === l.service && s.replica === l.replica);
    async function* chunks(): AsyncGenerator<LogChunk> {
      for (const l of lines) {
        if (options.signal?.aborted) return;
        yield {source: index(l), stream: l.stream, data: Buffer.from(`${l.timestamp} ${l.line}\n`)};
      }
    }
    return {sources, chunks: chunks()};
  }

  async exec(ref: StackRef, options: ExecOptions): Promise<ExecSession> {
    this.record('exec', ref, options);
    const d = this.stacksByKey.get(key(ref));
    if (!d?.model.services[options.service]) {
      throw new EngineError('service.not_found', `service "${options.service}" has no running replica in stack "${ref.stack}"`, {hint: 'see `spin ps`'});
    }
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const [cmd, ...args] = options.cmd;
    let resolveExit!: (code: number) => void;
    const exit = new Promise<number>((resolve) => (resolveExit = resolve));
    const finish = (code: number) => {
      stdout.end();
      stderr.end();
      resolveExit(code);
    };
    const session: ExecSession = {stdin, stdout, stderr, resize: async () => {}, wait: () => exit, kill: () => finish(137)};
    setImmediate(() => {
      if (cmd === 'echo') {
        stdout.write(`${args.join(' ')}\n`);
        finish(0);
      } else if (cmd === 'cat') {
        stdin.on('data', (chunk: Buffer) => stdout.write(chunk));
        stdin.on('end', () => finish(0));
      } else if (cmd === 'exit') {
        stderr.write('bye\n');
        finish(Number(args[0] ?? 0));
      } else {
        stderr.write(`${cmd}: not found\n`);
        finish(127);
      }
    });
    return session;
  }

  async volumes(project: string): Promise<VolumeListing> {
    this.record('volumes');
    return {volumes: this.volumeList.filter((v) => v.name.startsWith(`${project}.`))};
  }

  async removeVolume(project: string, name: string): Promise<void> {
    this.record('removeVolume', undefined, {project, name});
    const v = this.volumeList.find((x) => x.name === name || x.name === `${project}.${name}`);
    if (!v) throw new EngineError('volume.not_found', `volume "${name}" not found in project "${project}"`, {hint: 'see `spin volume ls`'});
    if (v && v.stacks.some((s) => this.stacksByKey.has(`${project}/${s}`))) {
      throw new EngineError('volume.in_use', `volume "${name}" is in use by a container`, {hint: 'stop the stacks that use it first'});
    }
    this.volumeList = this.volumeList.filter((x) => x !== v);
  }
}
