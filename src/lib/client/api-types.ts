// The JSON the agent API answers with (schemas/agent-api.yaml), as the CLI reads it.

import type {Diagnostic} from '../compose/types.ts';
import type {DeployEvent, FailureDetail, LogLine, Plan, RemoveReport, StackStatus} from '../engine/types.ts';

export interface WhoamiJson {
  name: string;
  uid: number;
  gid: number;
  admin: boolean;
  projects: string[];
}

export interface InfoJson {
  version: string;
  registry: string | null;
  engine: {name: string; version?: string};
}

export interface StackSummaryJson {
  name: string;
  currentRevision?: number | null;
  latestRevision?: number | null;
  updatedAt?: string;
  services: number;
  running: number;
  desired: number;
}

export interface StackDetailJson {
  name: string;
  project: string;
  currentRevision?: number | null;
  latestRevision?: number | null;
  status: StackStatus;
}

export type DeployEventJson = DeployEvent;

export interface DeployResultJson {
  revision: number | null;
  outcome: 'healthy' | 'started' | 'failed' | 'timeout' | 'planned';
  plan: Plan;
  status?: StackStatus;
  images: Record<string, string>;
  failure?: FailureDetail;
  /** Set when the change failed and the agent put the stack back on its last good revision. */
  rollback?: {revision: number; outcome: 'healthy' | 'started' | 'failed' | 'timeout'};
  warnings?: Diagnostic[];
}

export interface RevisionSummaryJson {
  number: number;
  user: string;
  createdAt: string;
  finishedAt?: string;
  outcome: string;
  message?: string;
  /** The digest each service ran (`repo@sha256:…`, or the image ID of a local image). */
  images: Record<string, string>;
  /** Each service's image as the model names it, with its tag (absent from older agents). */
  imageRefs?: Record<string, string>;
}

export interface RevisionListJson {
  revisions: RevisionSummaryJson[];
  /** The revision the stack runs (absent from older agents). */
  currentRevision?: number | null;
}

export interface RevisionJson extends RevisionSummaryJson {
  model: unknown;
  plan?: Plan;
}

export type LogLineJson = LogLine;

export interface SecretJson {
  name: string;
  createdAt: string;
  updatedAt: string;
  size: number;
}

/** The answer to removing a stack; `volumes` when they were asked to go too. */
export interface StackRemovedJson {
  removed: boolean;
  volumes?: RemoveReport['volumes'];
}

export interface VolumeJson {
  name: string;
  driver: string;
  createdAt?: string;
  stacks: string[];
}
