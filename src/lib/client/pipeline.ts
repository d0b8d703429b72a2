// One pipeline for every command that changes what a stack runs: deploy, up, upgrade, rollback
// and scale. A deploy loads and checks the compose project once (deploy.ts), builds, pushes and
// pins its images (images/ship.ts), then sends the model; the others start from the revision the
// agent holds and skip those steps. All of them follow the agent's progress the same way and end
// with the same result, which the caller renders and turns into an exit status (outcome.ts).

import type {Diagnostic} from '../compose/types.ts';
import type {BuildEvent} from '../images/build.ts';
import type {PushEvent} from '../images/push.ts';
import type {ShipStep} from '../images/ship.ts';
import type {AgentClient} from './agent.ts';
import type {DeployEventJson, DeployResultJson} from '../api/types.ts';
import {deploy, prepareDeploy, withImages} from './deploy.ts';
import type {ValidateOptions} from '../validate.ts';

/** What the change is; each kind carries only what it needs. */
export type StackChange =
  | {
      kind: 'deploy';
      /** How to load and check the project: files, env, the policy target (project, uid, gid, registry). */
      load: ValidateOptions & {env: NodeJS.ProcessEnv};
      ship: Omit<ShipStep, 'loadOptions' | 'docker' | 'onBuild' | 'onPush'>;
      dryRun?: boolean;
      wait?: boolean;
      timeoutSeconds?: number;
    }
  | {kind: 'upgrade'; services: string[]; images: Record<string, string>; timeoutSeconds: number}
  | {kind: 'rollback'; to?: number}
  | {kind: 'scale'; replicas: Record<string, number>};

/** What the caller shows while the change runs; the pipeline itself never prints. */
export interface PipelineListener {
  /** Problems that do not stop the change (compose warnings, images that could not be pinned). */
  warnings?(diagnostics: Diagnostic[]): void;
  build?(e: BuildEvent): void;
  push?(e: PushEvent): void;
  event?(e: DeployEventJson): void;
}

export interface PipelineOptions {
  client: AgentClient;
  /** The platform project (team) the stack belongs to. */
  project: string;
  /** The stack; a deploy defaults it to the compose project's name. */
  stack?: string;
  change: StackChange;
  /** The Docker Engine client, for a deploy that builds or looks up images. */
  docker: ShipStep['docker'];
  on?: PipelineListener;
}

export interface PipelineResult {
  stack: string;
  result: DeployResultJson;
}

export async function changeStack(options: PipelineOptions): Promise<PipelineResult> {
  const {client, project, change, on = {}} = options;
  const onEvent = on.event?.bind(on);
  if (change.kind === 'deploy') {
    const checked = await prepareDeploy({...change.load, stack: options.stack});
    if (checked.warnings.length) on.warnings?.(checked.warnings);
    const {shipImages} = await import('../images/ship.ts');
    const shipped = await shipImages(checked.project, {...change.ship, loadOptions: change.load, docker: options.docker, onBuild: on.build?.bind(on), onPush: on.push?.bind(on)});
    if (shipped.warnings.length) on.warnings?.(shipped.warnings);
    const prepared = withImages(checked, shipped.images);
    const result = await deploy({client, projectName: project, prepared, dryRun: change.dryRun, wait: change.wait, timeoutSeconds: change.timeoutSeconds, onEvent});
    return {stack: prepared.stack, result};
  }
  const stack = options.stack;
  if (stack === undefined) throw new TypeError(`changeStack: a ${change.kind} needs the stack's name`);
  switch (change.kind) {
    case 'upgrade': {
      const body = {...(change.services.length > 0 ? {services: change.services} : {}), ...(Object.keys(change.images).length > 0 ? {images: change.images} : {}), timeoutSeconds: change.timeoutSeconds};
      return {stack, result: await client.upgrade(project, stack, body, onEvent)};
    }
    case 'rollback':
      return {stack, result: await client.rollback(project, stack, {to: change.to}, onEvent)};
    case 'scale':
      return {stack, result: await client.scale(project, stack, change.replicas, onEvent)};
  }
}
