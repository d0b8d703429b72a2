// A Swarm cluster's nodes, for the platform's admins: list them, drain one, activate it again.
// Nodes are named by ID (or a unique prefix of it) or by address, never by hostname: nodes made
// from one image, or several engines on one machine, share a hostname.

import type Docker from 'dockerode';

import {InvalidInputError} from '../errors.ts';
import {EngineError, engineCall} from './errors.ts';

export interface NodeInfo {
  id: string;
  /** The address the node reaches the cluster on (Swarm's `Status.Addr`). */
  address: string;
  role: 'manager' | 'worker';
  /** `active`, `pause` (keeps its tasks, takes no new ones) or `drain`. */
  availability: string;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  state: string;
  /** The manager that leads the cluster's Raft group. */
  leader: boolean;
  labels: Record<string, string>;
}

interface EngineNode {
  ID: string;
  Version: {Index: number};
  Spec: {Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string};
  Status?: {State?: string; Addr?: string};
  ManagerStatus?: {Leader?: boolean; Addr?: string};
}

async function engineNodes(docker: Docker): Promise<EngineNode[]> {
  return (await engineCall('list the cluster\'s nodes', () => docker.listNodes())) as EngineNode[];
}

/** A manager reports `0.0.0.0` as its own Status.Addr on some versions: its Raft address says where it is. */
function addressOf(n: EngineNode): string {
  const addr = n.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  return n.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? addr ?? '';
}

export async function listNodes(docker: Docker): Promise<NodeInfo[]> {
  return (await engineNodes(docker))
    .map((n) => ({
      id: n.ID,
      address: addressOf(n),
      role: n.Spec.Role === 'manager' ? ('manager' as const) : ('worker' as const),
      availability: n.Spec.Availability ?? 'active',
      state: n.Status?.State ?? 'unknown',
      leader: n.ManagerStatus?.Leader === true,
      labels: n.Spec.Labels ?? {},
    }))
    .sort((a, b) => a.address.localeCompare(b.address, undefined, {numeric: true}) || a.id.localeCompare(b.id));
}

/** Node ID → address, for status (`spin ps` shows the address). */
export async function nodeAddresses(docker: Docker): Promise<Map<string, string>> {
  return new Map((await engineNodes(docker)).map((n) => [n.ID, addressOf(n)]));
}

/** The one node `name` means: its full ID, its address, or a prefix of its ID that no other node shares. */
export async function findNode(docker: Docker, name: string): Promise<EngineNode> {
  if (!/^[0-9A-Za-z.:-]{1,64}$/.test(name)) throw new InvalidInputError(`"${name}" is not a node ID or address`, {hint: 'use an ID or address from `spin agent node ls`'});
  const nodes = await engineNodes(docker);
  const exact = nodes.filter((n) => n.ID === name || addressOf(n) === name);
  const found = exact.length > 0 ? exact : nodes.filter((n) => n.ID.startsWith(name));
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new EngineError('node.not_found', `the cluster has no node "${name}"`, {hint: 'use an ID or address from `spin agent node ls`'});
  throw new InvalidInputError(`"${name}" names ${found.length} nodes`, {hint: 'give more of the ID, or the address'});
}

/** Sets a node's availability; returns the node as it is now. */
export async function setAvailability(docker: Docker, name: string, availability: 'active' | 'pause' | 'drain'): Promise<NodeInfo> {
  const node = await findNode(docker, name);
  if (node.Spec.Availability !== availability) {
    await engineCall(`set node "${addressOf(node)}" to ${availability}`, () => docker.getNode(node.ID).update({version: node.Version.Index, ...node.Spec, Availability: availability}));
  }
  return (await listNodes(docker)).find((n) => n.id === node.ID)!;
}
