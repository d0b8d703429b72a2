// The engine operations a deploy is made of, as the backend-neutral deploy code (executor.ts,
// service-rollout.ts) sees them. A backend implements `DeployOps` for one deploy of one stack
// (docker-ops.ts for the Docker engine); the order of the steps, the waiting, the rollouts, the
// ingress hold and the verdict stay shared, so a second backend writes only what talks to its engine.

import type {Service} from '../compose/types.ts';
import type {IngressRequest} from '../ingress/types.ts';
import type {Verdict} from './health.ts';
import type {DetailedPlan, ExistingContainer} from './plan.ts';
import type {RolloutSettings} from './rollout.ts';
import type {DeployEvent, DeployEventType, StackRef, StackStatus} from './types.ts';

/** A service as every backend prepares it for a deploy. */
export interface PreparedService {
  name: string;
  service: Service;
  replicas: number;
  /** `repo@sha256:…`, or the image id when the image came from no registry. */
  digest: string;
  configHash: string;
  oneShot: boolean;
  /** Healthy without a healthcheck means running this long. */
  monitorMs: number;
  ingress?: IngressRequest;
  /** How its replicas are replaced, from update_config (or the rollback_config given for this deploy). */
  rollout: RolloutSettings;
}

/** A stack prepared for a deploy: the model's services resolved, and the plan made from them. */
export interface PreparedStack<S extends PreparedService = PreparedService> {
  ref: StackRef;
  services: Map<string, S>;
  plan: DetailedPlan;
}

/** A container this deploy has to wait for, and whether it started it (restart count starts at 0). */
export interface Tracked {
  id: string;
  replica: number;
  fresh: boolean;
  /** Already found healthy by a rollout: the final wait does not announce it again. */
  proven?: boolean;
}

/** A container this deploy created and started. */
export type Started = Tracked & {name: string};

/** A replica as the steps that stop it need it. */
export type Replica = Pick<ExistingContainer, 'id' | 'name' | 'service' | 'replica'> & {ingress?: boolean};

export type Emit = (type: DeployEventType, message: string, service?: string, replica?: number) => void;

/** Deploy events stamped with the clock's time. */
export function emitter(now: () => number, onEvent: ((event: DeployEvent) => void) | undefined): Emit {
  return (type, message, service, replica) => {
    const event: DeployEvent = {type, time: new Date(now()).toISOString(), message};
    if (service !== undefined) event.service = service;
    if (replica !== undefined) event.replica = replica;
    onEvent?.(event);
  };
}

/** The engine's side of one deploy of one stack. Every step may throw a SpinError the deploy reports. */
export interface DeployOps {
  /** The stack's containers as the engine has them now (for the check that the plan still holds). */
  existing(): Promise<ExistingContainer[]>;
  /** Networks and volumes the stack uses that the engine does not have. */
  missingResources(): Promise<{networks: string[]; volumes: string[]}>;
  /** Creates the networks and volumes the plan lists. */
  createResources(): Promise<void>;
  /** Starts listening for the stack's events (health waits wake on them); `close` stops. */
  open(): Promise<void>;
  close(): void;
  /** What a service's replicas mount (secret and config files), before any of them is created. */
  prepareService(service: string): Promise<void>;
  /** Creates a replica, on all its networks, not started yet; `as` names it otherwise than its own name. */
  createReplica(service: string, replica: number, as?: string): Promise<{id: string; name: string}>;
  startReplica(id: string, name: string): Promise<void>;
  /** Stops a replica (it is out of the ingress already); one stopped or gone is no error. */
  stopReplica(replica: Replica): Promise<void>;
  /** Removes a stopped replica with its anonymous volumes; one gone is no error. */
  removeReplica(replica: Replica): Promise<void>;
  renameReplica(id: string, name: string): Promise<void>;
  /** Waits for a replica's verdict; undefined when the signal aborts first. */
  waitReplica(service: string, replica: Pick<Tracked, 'id' | 'fresh'>, want: 'healthy' | 'completed', signal: AbortSignal): Promise<Exclude<Verdict, {state: 'pending'}> | undefined>;
  /** A failing replica's last log lines. */
  lastLogs(id: string): Promise<string[]>;
  /** Records what the deploy asked for (replica counts, volume choices), once it has run. */
  saveState(): Promise<void>;
  status(): Promise<StackStatus>;
}
