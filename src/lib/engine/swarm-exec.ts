// Exec in a replica on a Swarm cluster. The manager cannot exec in a task on another node: that
// takes the engine of the node the task runs on. The agent is given those engines (`spin agent
// start --swarm-node-engine NODE=URL`): a local socket, or TCP with TLS client certificates, never
// plain TCP, since tasks can reach the nodes' addresses and an open engine port is root on the
// node. Nodes are named by ID or address (nodes can share a hostname). The manager's own engine
// needs no entry. The session itself is the Docker backend's (exec.ts).

import Docker from 'dockerode';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';

import {fileError, InvalidInputError, OperationError, UnreachableError, UsageError} from '../errors.ts';
import {EngineError, engineCall} from './errors.ts';
import {startExec} from './exec.ts';
import {checkRef} from './naming.ts';
import {nodeAddresses, nodeAnswer} from './swarm-nodes.ts';
import {replicaTasks, selectedServices, type SwarmStackView} from './swarm-logs.ts';
import type {ExecOptions, ExecSession, StackRef} from './types.ts';

/** Node (ID or address) → the engine URL the agent reaches it on. */
export type NodeEngineUrls = Map<string, string>;

/** The TLS client identity for `tcp://` node engines: the files of `--swarm-node-tls-dir`. */
export interface NodeTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const NODE_NAME = /^[0-9A-Za-z.:-]{1,64}$/;
const TCP_URL = /^tcp:\/\/([^:/\s]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})\/?$/;
/** A list of node engines is a few lines per node; anything bigger is not one. */
const MAX_FILE = 64 * 1024;
const MAX_NODES = 1000;

/**
 * `NODE=URL` entries (from repeated flags and the lines of an optional file; `#` starts a comment)
 * as a map, checked: a known node name form, `unix:///path` or `tcp://HOST:PORT`, and TCP only
 * with a TLS identity.
 */
export async function nodeEngineUrls(entries: string[], file: string | undefined, hasTls: boolean): Promise<NodeEngineUrls> {
  const lines = [...entries.map((e) => ({text: e, where: `--swarm-node-engine "${e}"`}))];
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw fileError(file, err);
    }
    if (text.length > MAX_FILE) throw new UsageError(`${file} is larger than ${MAX_FILE / 1024} KiB: it is not a list of node engines`, {hint: 'give one NODE=URL per line'});
    text.split('\n').forEach((l, i) => {
      const t = l.replace(/#.*/, '').trim();
      if (t) lines.push({text: t, where: `${file}:${i + 1}`});
    });
  }
  if (lines.length > MAX_NODES) throw new UsageError(`${lines.length} node engines given; at most ${MAX_NODES}`);
  const out: NodeEngineUrls = new Map();
  for (const {text, where} of lines) {
    const eq = text.indexOf('=');
    const node = text.slice(0, eq).trim();
    const url = text.slice(eq + 1).trim();
    if (eq < 0 || !NODE_NAME.test(node)) throw new UsageError(`${where}: expected NODE=URL with NODE a node ID or address`, {hint: 'e.g. --swarm-node-engine 10.0.0.12=tcp://10.0.0.12:2376 (IDs and addresses: `spin agent node ls`)'});
    if (url.startsWith('unix://') ? url.length <= 'unix://'.length : !TCP_URL.test(url)) {
      throw new UsageError(`${where}: "${url}" is not an engine URL`, {hint: 'use unix:///path/to/docker.sock or tcp://HOST:2376'});
    }
    if (url.startsWith('tcp://') && !hasTls) {
      throw new UsageError(`${where}: a node engine over TCP needs TLS client certificates`, {hint: 'pass --swarm-node-tls-dir DIR holding ca.pem, cert.pem and key.pem: a node engine open to plain TCP is open to every task that can reach the node'});
    }
    if (out.has(node)) throw new UsageError(`${where}: node "${node}" is given twice`);
    out.set(node, url);
  }
  return out;
}

/** ca.pem, cert.pem and key.pem of a folder, as `docker --tlsverify` reads them. */
export async function readNodeTls(dir: string): Promise<NodeTls> {
  const read = async (name: string) => {
    const path = join(dir, name);
    try {
      return await readFile(path);
    } catch (err) {
      throw fileError(path, err);
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  return {ca, cert, key};
}

/** Engines of the cluster's nodes, made once per node on first use. */
export class NodeEngines {
  private readonly clients = new Map<string, Docker>();
  readonly urls: NodeEngineUrls;
  private readonly tls: NodeTls | undefined;
  private readonly makeDocker: (options: Docker.DockerOptions) => Docker;

  constructor(urls: NodeEngineUrls, tls: NodeTls | undefined, makeDocker: (options: Docker.DockerOptions) => Docker) {
    this.urls = urls;
    this.tls = tls;
    this.makeDocker = makeDocker;
  }

  /** The engine for a node known by ID and address, when one was given for either. */
  engineFor(id: string, address: string | undefined): Docker | undefined {
    const key = this.urls.has(id) ? id : address !== undefined && this.urls.has(address) ? address : undefined;
    if (key === undefined) return undefined;
    let client = this.clients.get(key);
    if (!client) {
      const url = this.urls.get(key)!;
      const m = TCP_URL.exec(url);
      client = m ? this.makeDocker({host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), protocol: 'https', ...this.tls}) : this.makeDocker({socketPath: url.slice('unix://'.length)});
      this.clients.set(key, client);
    }
    return client;
  }
}

/** What a given node engine turned out to be when the agent started. */
export interface NodeEngineCheck {
  /** As given: a node ID or address. */
  node: string;
  url: string;
  /** ok: the node's own engine; wrong-engine: it answered as another node, or outside any Swarm; not-in-cluster: the manager knows no such node; unreachable: no answer. */
  outcome: 'ok' | 'wrong-engine' | 'not-in-cluster' | 'unreachable';
  /** One line for the agent's log, the URL's credentials-free form included. */
  message: string;
}

/** The engine's Swarm node ID, or the reason it gave none. */
async function engineNodeId(docker: Docker): Promise<{id: string} | {error: string}> {
  try {
    const info = (await nodeAnswer(docker.info())) as {Swarm?: {NodeID?: string}};
    return {id: info.Swarm?.NodeID ?? ''};
  } catch (err) {
    return {error: err instanceof Error ? err.message : String(err)};
  }
}

/**
 * Asks every given node engine which node it is, against the manager's list of nodes. Run once at
 * agent start: a typo or a swapped address would otherwise only show at a user's `spin exec`, as a
 * "no such container" from the wrong host. All are asked at once; each has its own 5 s limit.
 */
export async function checkNodeEngines(engines: NodeEngines, manager: Docker): Promise<NodeEngineCheck[]> {
  const addresses = await nodeAddresses(manager);
  const byAddress = new Map([...addresses].map(([id, address]) => [address, id]));
  return Promise.all(
    [...engines.urls].map(async ([node, url]): Promise<NodeEngineCheck> => {
      const want = addresses.has(node) ? node : byAddress.get(node);
      const shown = `node engine ${node}=${url}`;
      if (want === undefined) return {node, url, outcome: 'not-in-cluster', message: `${shown}: the cluster has no node with that ID or address (\`spin agent node ls\` lists them)`};
      const answer = await engineNodeId(engines.engineFor(node, undefined)!);
      if ('error' in answer) return {node, url, outcome: 'unreachable', message: `${shown}: ${answer.error}; exec in that node's tasks will fail until it answers`};
      if (answer.id === want) return {node, url, outcome: 'ok', message: `${shown}: node ${want}`};
      const other = answer.id ? `the engine of node ${addresses.get(answer.id) ?? answer.id} (ID ${answer.id})` : 'an engine that is not in a Swarm';
      return {node, url, outcome: 'wrong-engine', message: `${shown}: this is ${other}, not node ${node}`};
    }),
  );
}

/** Runs a command in a running replica, through the engine of the node it runs on. */
export async function swarmExec(view: SwarmStackView, nodes: NodeEngines | undefined, ref: StackRef, options: ExecOptions): Promise<ExecSession> {
  checkRef(ref);
  const index = options.index ?? 1;
  if (!Array.isArray(options.cmd) || options.cmd.length === 0) throw new InvalidInputError('no command to run', {hint: 'give the command after --, e.g. spin exec web -- ls /'});
  const stack = `"${ref.project}/${ref.stack}"`;
  const services = await selectedServices(view, ref);
  const service = services.get(options.service);
  if (!service) {
    const names = [...services.keys()].sort();
    const has = names.length > 0 ? `; it has ${names.map((s) => `"${s}"`).join(', ')}` : ' (it runs nothing: `spin deploy` first)';
    throw new EngineError('service.not_found', `stack ${stack} has no service "${options.service}"${has}`, {hint: names.length > 0 ? `e.g. \`spin exec ${names[0]} sh\`` : 'check the stack with `spin ps`'});
  }
  const tasks = (await view.tasks(ref)).get(options.service) ?? [];
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const found = replicaTasks(live, service.Spec.Mode).find((r) => r.replica === index);
  const name = `${service.Spec.Name}.${index}`;
  if (!found) throw new EngineError('service.not_found', `service "${options.service}" has no replica ${index} in stack ${stack}`, {hint: 'list the replicas with `spin ps`'});
  const task = found.task;
  if (task.Status.State !== 'running') {
    throw new OperationError(`replica "${name}" is not running (task ${task.Status.State}${task.Status.Err ? `: ${task.Status.Err}` : ''})`, {hint: `look at \`spin ps\` and \`spin logs ${options.service}\``});
  }
  const nodeId = task.NodeID ?? '';
  const self = ((await engineCall('read the manager\'s node', () => view.docker.info())) as {Swarm?: {NodeID?: string}}).Swarm?.NodeID;
  let docker: Docker | undefined;
  let where: string;
  if (nodeId === self) {
    docker = view.docker;
    where = 'the manager';
  } else {
    const address = (await nodeAddresses(view.docker)).get(nodeId);
    docker = nodes?.engineFor(nodeId, address);
    where = `node ${address ?? nodeId}`;
    if (!docker) {
      throw new UnreachableError(`replica "${name}" runs on node ${address ?? '?'} (ID ${nodeId}), and the agent has no engine endpoint for that node`, {
        hint: `start the agent with --swarm-node-engine ${address ?? nodeId}=tcp://${address ?? 'NODE'}:2376 and --swarm-node-tls-dir DIR (ca.pem, cert.pem, key.pem), one per node`,
      });
    }
  }
  const containerId = task.Status.ContainerStatus?.ContainerID ?? '';
  return startExec(docker.getContainer(containerId), options, `replica "${name}" on ${where}`);
}

/** The agent's `--swarm-node-engine`, `--swarm-node-engines` and `--swarm-node-tls-dir`, as NodeEngines (none when nothing is given). */
export async function nodeEnginesFrom(
  given: {entries?: string[]; file?: string; tlsDir?: string},
  makeDocker: (options: Docker.DockerOptions) => Docker = (o) => new Docker(o),
): Promise<NodeEngines | undefined> {
  const urls = await nodeEngineUrls(given.entries ?? [], given.file, given.tlsDir !== undefined);
  if (urls.size === 0) return undefined;
  return new NodeEngines(urls, given.tlsDir !== undefined ? await readNodeTls(given.tlsDir) : undefined, makeDocker);
}
