// Preparing a Docker deploy: from the checked model to what the engine needs (images resolved or
// pulled, networks, volumes, secret files, config hashes), and the plan made from it against the
// containers the engine has. The result is what `execute` runs, unchanged.

import type Docker from 'dockerode';

import type {ComposeModel, Service, UpdateConfig} from '../compose/types.ts';
import {InvalidInputError, OperationError} from '../errors.ts';
import {ingressRequest} from '../ingress/model.ts';
import {checkFixedPorts, checkHosts, checkNamesFree} from './docker-checks.ts';
import {existingContainers, inspectOrUndefined, type DockerEnv} from './docker-env.ts';
import {chooseVolumes, usedVolumes, type VolumeUse} from './docker-volumes.ts';
import {containerSpec, desiredReplicas, isOneShot, sharedNetworkService, type SpecContext} from './container-spec.ts';
import {fileDigests, serviceFiles, type ServiceFile} from './files.ts';
import {configHash} from './hash.ts';
import {digestOf, inspectNamedImage, pullImage} from './images.ts';
import {checkRef, checkServiceName, networkName} from './naming.ts';
import {finishedRun} from './executor.ts';
import type {Emit, PreparedService, PreparedStack} from './ops.ts';
import {planStack, rejoinSharedNetworks} from './plan.ts';
import {checkExisting, networkCreateOptions} from './resources.ts';
import {rolloutPlan, rolloutSettings} from './rollout.ts';
import type {StackRef} from './types.ts';

/** Healthy without a healthcheck means running this long, unless update_config.monitor says otherwise. */
const DEFAULT_MONITOR_MS = 1000;

interface NetworkUse {
  key: string;
  name: string;
  external: boolean;
  /** What creating it takes (absent for an external network). */
  create?: Docker.NetworkCreateOptions;
}

export interface DockerService extends PreparedService {
  image: string;
  imageId: string;
  files: ServiceFile[];
  /** Network key → engine network name. */
  networks: Record<string, string>;
}

export interface DockerStack extends PreparedStack<DockerService> {
  networks: NetworkUse[];
  volumes: VolumeUse[];
  /** Volume key → engine volume name. */
  volumeNames: Record<string, string>;
  /** Prepared for a plan only: images were not pulled, secrets may be missing. */
  dryRun: boolean;
}

export interface PrepareSettings {
  secrets?: Record<string, Buffer>;
  dryRun: boolean;
  updateConfigs?: Record<string, UpdateConfig | undefined>;
  /** Services whose images are pulled again although present. */
  pull?: ReadonlySet<string>;
  emit: Emit;
}

function usedNetworks(ref: StackRef, model: ComposeModel): NetworkUse[] {
  const keys = new Set<string>();
  for (const s of Object.values(model.services)) if (!s.network_mode) for (const k of Object.keys(s.networks)) keys.add(k);
  return [...keys].sort().map((key) => {
    const def = model.networks[key] ?? {};
    if (def.external === true) return {key, name: def.name ?? key, external: true};
    const name = networkName(ref, key);
    return {key, name, external: false, create: networkCreateOptions(ref, key, name, def)};
  });
}

/**
 * `network_mode: service:x` joins a replica of service x of this stack: x must be one of the
 * stack's services and run at least one replica.
 */
function checkSharedNetwork(ref: StackRef, model: ComposeModel, name: string): void {
  const target = sharedNetworkService(name, model.services[name]);
  if (target === undefined) return;
  const other = Object.hasOwn(model.services, target) && target !== name ? model.services[target] : undefined;
  if (!other || desiredReplicas(other) === 0) {
    throw new InvalidInputError(
      `service "${name}" joins the network of service "${target}" (network_mode: service:${target}), but ${other ? `"${target}" runs 0 replicas` : `stack "${ref.project}/${ref.stack}" has no other service "${target}"`}`,
      {hint: `give "${target}" at least one replica in this stack, or remove network_mode from "${name}"`},
    );
  }
}

async function resolveImage(env: DockerEnv, image: string, policy: string, pull: boolean, progress: (message: string) => void): Promise<{id: string; digest: string}> {
  // Only an image the reference names: never one the engine found by an ID or ID prefix.
  let info = policy === 'always' && pull ? undefined : await inspectNamedImage(env.docker, image);
  if (!info) {
    if (policy === 'never' || policy === 'build') {
      throw new OperationError(`image "${image}" is not on the engine and its pull_policy is "${policy}"`, {hint: 'push the image to a registry and remove pull_policy, or build it on the engine first'});
    }
    if (!pull) return {id: `absent:${image}`, digest: image};
    progress(`pulling ${image}`);
    await pullImage(env.docker, image, env.registryAuth, progress);
    info = await inspectNamedImage(env.docker, image);
    if (!info) throw new OperationError(`image "${image}" is not on the engine after pulling it`, {hint: 'pull it by hand (`docker pull`) to see what the registry answers'});
  }
  return {id: info.Id, digest: digestOf(info, image)};
}

/** What a replica's container spec is built from. */
export function specContext(env: DockerEnv, ref: StackRef, s: DockerService, replica: number, revision: number, volumes: Record<string, string>, files: SpecContext['files']): SpecContext {
  return {
    ref,
    service: s.name,
    replica,
    replicas: s.replicas,
    revision,
    configHash: s.configHash,
    image: s.image,
    networks: s.networks,
    volumes,
    files,
    publishHostIp: env.publishHostIp,
    ...(s.ingress ? {ingress: s.ingress} : {}),
  };
}

/**
 * Resolves everything the hash and the create calls need, then plans. A real deploy pulls
 * missing images; a dry run does not, and a missing image only marks its service as changed.
 */
export async function prepareStack(env: DockerEnv, ref: StackRef, model: ComposeModel, settings: PrepareSettings): Promise<DockerStack> {
  checkRef(ref);
  const {emit, secrets} = settings;
  const pull = !settings.dryRun;
  const networks = usedNetworks(ref, model);
  const volumes = await chooseVolumes(env, ref, usedVolumes(ref, model), emit);
  const volumeNames = Object.fromEntries(volumes.map((v) => [v.key, v.name]));
  const images = new Map<string, Promise<{id: string; digest: string}>>();
  const resolve = (name: string, service: Service) => {
    const image = service.image;
    if (!image) {
      throw new InvalidInputError(`service "${name}" has no image`, {hint: 'build and push it (`spin build`, `spin push`), then deploy the image reference'});
    }
    const policy = pull && settings.pull?.has(name) ? 'always' : typeof service.pull_policy === 'string' ? service.pull_policy : 'missing';
    let found = images.get(`${image}\n${policy}`);
    if (!found) {
      found = resolveImage(env, image, policy, pull, (msg) => emit('pull', msg, name));
      images.set(`${image}\n${policy}`, found);
    }
    return found;
  };
  const services = new Map<string, DockerService>();
  const names = Object.keys(model.services).sort();
  for (const name of names) checkServiceName(name);
  for (const name of names) checkSharedNetwork(ref, model, name);
  await Promise.all(
    names.map(async (name) => {
      const service = model.services[name];
      const {id, digest} = await resolve(name, service);
      const files = serviceFiles(model, name, secrets ?? {}, secrets !== undefined);
      const serviceNetworks: Record<string, string> = {};
      if (!service.network_mode) for (const key of Object.keys(service.networks)) serviceNetworks[key] = networks.find((n) => n.key === key)?.name ?? networkName(ref, key);
      const mounted = service.volumes.filter((v) => v.type === 'volume' && v.source !== undefined).map((v) => volumeNames[v.source as string]);
      const hash = configHash(service, {imageId: id, files: fileDigests(files), networks: Object.values(serviceNetworks), volumes: mounted});
      const monitor = service.deploy?.update_config?.monitor;
      const ingress = ingressRequest(service, name);
      const override = settings.updateConfigs && Object.hasOwn(settings.updateConfigs, name);
      const rollout = override
        ? rolloutSettings(name, service, settings.updateConfigs?.[name], ingress !== undefined, 'rollback_config')
        : rolloutSettings(name, service, service.deploy?.update_config, ingress !== undefined);
      const prepared: DockerService = {
        name,
        service,
        replicas: desiredReplicas(service),
        image: service.image as string,
        imageId: id,
        digest,
        files,
        networks: serviceNetworks,
        configHash: hash,
        oneShot: isOneShot(service),
        monitorMs: monitor !== undefined && monitor > 0 ? monitor / 1e6 : DEFAULT_MONITOR_MS,
        rollout,
        ...(ingress ? {ingress} : {}),
      };
      checkFixedPorts(prepared, env.allowedPorts);
      // Building one spec now reports a model the engine cannot run before anything changes. The
      // container whose network it may join is only known once its service is applied.
      containerSpec(service, {...specContext(env, ref, prepared, 1, 0, volumeNames, []), networkContainer: 'unresolved'});
      services.set(name, prepared);
    }),
  );
  const stack = {ref, services, networks, volumes, volumeNames, dryRun: settings.dryRun};
  return {...stack, plan: await planDeploy(env, stack, model)};
}

/** The plan: per service what changes, per replica how, and how changed replicas roll out. */
async function planDeploy(env: DockerEnv, p: Omit<DockerStack, 'plan'>, model: ComposeModel) {
  const wanted = [...p.services.values()].map((s) => ({service: s.name, replicas: s.replicas, configHash: s.configHash, imageId: s.imageId}));
  const [existing, missing] = await Promise.all([existingContainers(env, p.ref), missingResources(env, p)]);
  const plan = planStack(wanted, existing, missing);
  rejoinSharedNetworks(plan, model.services);
  await checkNamesFree(env, p.ref, plan);
  await checkHosts(env, p.ref, p.services.values());
  for (const sp of plan.services) {
    const s = p.services.get(sp.service);
    if (sp.action !== 'recreate' || !s) continue;
    const old = plan.steps[sp.service].recreate;
    // Nothing of the old replicas is serving: a finished one-shot run, or replicas that crashed.
    const why = old.every((c) => c.exitCode === 0) ? 'a one-shot: the old run goes, the new one runs to completion' : 'its old replicas are not running, so none is kept serving';
    sp.rollout = old.every((c) => finishedRun(s, c)) ? rolloutPlan({...s.rollout, order: 'stop-first', why, parallelism: 0, delayMs: 0, monitorMs: 0}) : rolloutPlan(s.rollout);
  }
  return plan;
}

/** Networks and volumes the engine does not have yet; refuses names owned by someone else. */
export async function missingResources(env: DockerEnv, p: Pick<DockerStack, 'ref' | 'networks' | 'volumes'>): Promise<{networks: string[]; volumes: string[]}> {
  const {ref} = p;
  const missing = {networks: [] as string[], volumes: [] as string[]};
  for (const n of p.networks) {
    const info = await inspectOrUndefined(() => env.docker.getNetwork(n.name).inspect() as Promise<{Name: string; Labels?: Record<string, string>}>, `inspect network "${n.name}"`);
    if (!info) {
      if (n.external) throw new InvalidInputError(`external network "${n.name}" does not exist`, {hint: 'external networks must be created by the project beforehand, or drop `external: true`'});
      missing.networks.push(n.name);
    } else {
      checkExisting('network', ref, n, info);
    }
  }
  for (const v of p.volumes) {
    const info = await inspectOrUndefined(() => env.docker.getVolume(v.name).inspect(), `inspect volume "${v.name}"`);
    if (!info) {
      if (v.external) throw new InvalidInputError(`external volume "${v.name}" does not exist`, {hint: `create it in project "${ref.project}" first, or drop \`external: true\``});
      missing.volumes.push(v.name);
    } else {
      checkExisting('volume', ref, v, info);
    }
  }
  return missing;
}
