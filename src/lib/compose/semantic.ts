// Consistency of a normalized project: every name a service refers to exists, settings that
// exclude each other are not both set, values the schema leaves open are ones the engine takes,
// and services do not wait on each other in a circle. The schema cannot say any of this because it
// sees one value at a time.

import {diagnostic} from './diagnostics.ts';
import type {Locations} from './locations.ts';
import {formatPath} from './locations.ts';
import {isMap} from './merge.ts';
import {formatDuration} from './units.ts';
import {FAILURE_ACTIONS, UPDATE_ORDERS, type Diagnostic, type ModelPath, type ComposeModel, type Service} from './types.ts';

const NAMESPACES = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'] as const;
const HEALTHCHECK_HINT = 'write `test: ["CMD", "prog", "arg"]`, `test: ["CMD-SHELL", "command line"]`, a plain string, or `test: ["NONE"]`';

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly project: ComposeModel;
  private readonly locations: Locations | undefined;

  private readonly options: ConsistencyOptions;

  constructor(project: ComposeModel, locations: Locations | undefined, options: ConsistencyOptions) {
    this.project = project;
    this.locations = locations;
    this.options = options;
  }

  private error(path: ModelPath, message: string, hint: string): void {
    this.diagnostics.push(diagnostic(this.locations, {source: 'semantic', message, path, hint}));
  }

  private warning(path: ModelPath, message: string, hint: string): void {
    this.diagnostics.push(diagnostic(this.locations, {severity: 'warning', source: 'semantic', message, path, hint}));
  }

  private hasService(name: string): boolean {
    return Object.hasOwn(this.project.services, name);
  }

  run(): Diagnostic[] {
    for (const [name, service] of Object.entries(this.project.services)) this.service(name, service);
    this.fileObjects('secret', 'secrets', ['file', 'environment'], this.options.secretValuesSent === true);
    this.fileObjects('config', 'configs', ['file', 'environment', 'content']);
    this.cycles();
    return this.diagnostics;
  }

  private service(name: string, s: Service): void {
    const at = (...rest: (string | number)[]): ModelPath => ['services', name, ...rest];
    if (s.image === undefined && s.build === undefined && s.provider === undefined) {
      this.error(at(), `service "${name}" has neither an image nor a build context specified`, `add \`image:\` or \`build:\` to service "${name}"`);
    }
    if (s.build) this.build(name, s);
    this.references(name, s, at);
    this.healthcheck(name, s);
    this.counts(name, s);
    this.rollouts(name, s);
    this.watch(name, s);
    this.mountTargets(name, s);
  }

  private build(name: string, s: Service): void {
    const build = s.build!;
    const at: ModelPath = ['services', name, 'build'];
    if (build.dockerfile !== undefined && build.dockerfile_inline !== undefined) {
      this.error(at, `service "${name}" declares mutually exclusive dockerfile and dockerfile_inline`, 'keep only one of `dockerfile` and `dockerfile_inline`');
    }
    if (isMap(build.additional_contexts)) {
      for (const [ctx, value] of Object.entries(build.additional_contexts)) {
        if (typeof value !== 'string' || !value.startsWith('service:')) continue;
        const target = value.slice('service:'.length);
        const other = this.project.services[target];
        if (!this.hasService(target)) {
          this.error([...at, 'additional_contexts', ctx], `service "${name}" declares unknown service "${target}" as additional context "${ctx}"`, `add a service named "${target}" or remove the context`);
        } else if (!other.build) {
          this.error([...at, 'additional_contexts', ctx], `service "${name}" declares non-buildable service "${target}" as additional context "${ctx}"`, `give service "${target}" a \`build:\` section, or use an image context (docker-image://...)`);
        }
      }
    }
    const platforms = build.platforms;
    if (Array.isArray(platforms) && platforms.length > 0 && typeof s.platform === 'string' && !platforms.includes(s.platform)) {
      this.error([...at, 'platforms'], `service "${name}": build.platforms must include the service platform "${s.platform}"`, `add "${s.platform}" to build.platforms or change \`platform\``);
    }
  }

  private references(name: string, s: Service, at: (...rest: (string | number)[]) => ModelPath): void {
    // Names already reported through a more specific field, so depends_on does not repeat them.
    const missing = new Set<string>();
    const networkNames = Object.keys(s.networks ?? {});
    if (s.network_mode !== undefined && networkNames.length > 0) {
      this.error(at('networks'), `service "${name}" declares mutually exclusive \`network_mode\` and \`networks\``, 'remove `networks`, or remove `network_mode` to attach the service to networks');
    }
    for (const net of networkNames) {
      if (!Object.hasOwn(this.project.networks, net)) {
        this.error(at('networks', net), `service "${name}" refers to undefined network "${net}"`, `define network "${net}" under the top-level \`networks:\`, or remove it from the service`);
      }
    }
    for (const ns of NAMESPACES) {
      const v = s[ns];
      if (typeof v !== 'string' || !v.startsWith('service:')) continue;
      const other = v.slice('service:'.length);
      if (!this.hasService(other)) {
        missing.add(other);
        this.error(at(ns), `service "${other}" not found for ${ns} '${v}' of service "${name}"`, `add a service named "${other}", or use \`${ns}: container:NAME\` for a container outside the project`);
      }
    }
    const named = (list: unknown, field: string, describe: (other: string) => string, hint: (other: string) => string, parse: (e: string) => string | undefined) => {
      if (!Array.isArray(list)) return;
      list.forEach((entry, i) => {
        const other = parse(String(entry));
        if (other === undefined || this.hasService(other)) return;
        missing.add(other);
        this.error(at(field, i), describe(other), hint(other));
      });
    };
    named(s.links, 'links', (o) => `service "${name}" links to undefined service "${o}"`, (o) => `add a service named "${o}" or remove it from links`, (e) => e.split(':')[0]);
    named(
      s.volumes_from,
      'volumes_from',
      (o) => `service "${name}" takes volumes_from undefined service "${o}"`,
      (o) => `add a service named "${o}", or write "container:${o}" for a container outside the project`,
      (e) => (e.startsWith('container:') ? undefined : e.split(':')[0]),
    );
    for (const [dep, cfg] of Object.entries(s.depends_on ?? {})) {
      // An optional dependency may be missing: compose starts the service without it.
      if (this.hasService(dep) || missing.has(dep) || cfg?.required === false) continue;
      this.error(at('depends_on', dep), `service "${name}" depends on undefined service "${dep}"`, `add a service named "${dep}" or remove it from depends_on`);
    }
    (s.volumes ?? []).forEach((v, i) => {
      if (v.type === 'volume' && v.source && !Object.hasOwn(this.project.volumes, v.source)) {
        this.error(at('volumes', i), `service "${name}" refers to undefined volume "${v.source}"`, `define volume "${v.source}" under the top-level \`volumes:\`, or mount a host path with a source starting with ./ or /`);
      }
    });
    this.fileRefs(name, 'secret', s.secrets, 'secrets', at('secrets'));
    this.fileRefs(name, 'config', s.configs, 'configs', at('configs'));
    this.fileRefs(name, 'build secret', s.build?.secrets, 'secrets', at('build', 'secrets'));
    if (isMap(s.models)) {
      const models = isMap(this.project.models) ? this.project.models : {};
      for (const model of Object.keys(s.models)) {
        if (!Object.hasOwn(models, model)) this.error(at('models', model), `service "${name}" refers to undefined model "${model}"`, `define model "${model}" under the top-level \`models:\``);
      }
    }
  }

  private fileRefs(name: string, kind: string, refs: unknown, top: 'secrets' | 'configs', at: ModelPath): void {
    if (!Array.isArray(refs)) return;
    refs.forEach((ref, i) => {
      const source = isMap(ref) ? String(ref.source) : String(ref);
      if (!Object.hasOwn(this.project[top], source)) {
        this.error([...at, i], `service "${name}" refers to undefined ${kind} "${source}"`, `define "${source}" under the top-level \`${top}:\`, or remove the reference`);
      }
    });
  }

  private healthcheck(name: string, s: Service): void {
    const test = s.healthcheck?.test;
    if (!Array.isArray(test) || test.length === 0) return;
    const at: ModelPath = ['services', name, 'healthcheck', 'test'];
    const [kind] = test;
    if (kind !== 'CMD' && kind !== 'CMD-SHELL' && kind !== 'NONE') {
      this.error(at, `service "${name}": healthcheck.test must start with "CMD", "CMD-SHELL" or "NONE", not "${kind}"`, HEALTHCHECK_HINT);
    } else if (kind === 'NONE' && test.length > 1) {
      this.error(at, `service "${name}": healthcheck.test "NONE" takes no command`, 'write `test: ["NONE"]` or `disable: true` to turn the image\'s healthcheck off');
    } else if (kind !== 'NONE' && test.length === 1) {
      this.error(at, `service "${name}": healthcheck.test "${kind}" needs a command`, HEALTHCHECK_HINT);
    }
  }

  /** Settings that compose accepts in two places must agree, and counts must make sense. */
  private counts(name: string, s: Service): void {
    const at = (...rest: string[]): ModelPath => ['services', name, ...rest];
    const replicas = s.deploy?.replicas;
    const scale = typeof s.scale === 'number' ? s.scale : undefined;
    if (scale !== undefined && replicas !== undefined && scale !== replicas) {
      this.error(at('scale'), `services.${name}: can't set distinct values on 'scale' and 'deploy.replicas'`, 'keep only `deploy.replicas`');
    }
    if (scale !== undefined && scale < 0) this.error(at('scale'), `services.${name}.scale: must be greater than or equal to 0`, 'use 0 or more replicas');
    if (replicas !== undefined && replicas < 0) this.error(at('deploy', 'replicas'), `services.${name}.deploy.replicas: must be greater than or equal to 0`, 'use 0 or more replicas');
    const limits = s.deploy?.resources?.limits;
    const reservations = s.deploy?.resources?.reservations;
    const pairs: [string, unknown, string, unknown][] = [
      ['cpus', s.cpus, 'deploy.resources.limits.cpus', limits?.cpus],
      ['mem_limit', s.mem_limit, 'deploy.resources.limits.memory', limits?.memory],
      ['mem_reservation', s.mem_reservation, 'deploy.resources.reservations.memory', reservations?.memory],
      ['pids_limit', s.pids_limit, 'deploy.resources.limits.pids', limits?.pids],
    ];
    for (const [field, value, deployField, deployValue] of pairs) {
      if (value !== undefined && deployValue !== undefined && value !== deployValue) {
        this.error(at(field), `services.${name}: can't set distinct values on '${field}' and '${deployField}'`, `keep only \`${deployField}\``);
      }
    }
    const count = scale ?? replicas;
    if (s.container_name !== undefined && count !== undefined && count > 1) {
      this.error(at('container_name'), `services.${name}: can't set container_name and ${scale !== undefined ? 'scale' : 'deploy.replicas'} as container name must be unique`, 'remove `container_name` to run several replicas');
    }
  }

  /**
   * `deploy.update_config` and `rollback_config`: the schema leaves most values open, and the
   * engine reads them as they are, in the middle of a deploy (or of the rollback meant to rescue
   * one), so every value it could not use is refused here, where the file's line is known.
   */
  private rollouts(name: string, s: Service): void {
    for (const which of ['update_config', 'rollback_config'] as const) {
      const c: unknown = s.deploy?.[which];
      if (!isMap(c)) continue;
      const at = (key: string): ModelPath => ['services', name, 'deploy', which, key];
      const field = (key: string) => `services.${name}.deploy.${which}.${key}`;
      const shown = (v: unknown) => JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : v);
      const published = fixedHostPort(s);
      if (c.failure_action !== undefined && !FAILURE_ACTIONS.includes(String(c.failure_action))) {
        this.error(at('failure_action'), `${field('failure_action')} must be rollback, pause or continue, not ${shown(c.failure_action)}`, 'use rollback (the default: go back to the last revision), pause (stop the rollout where it is) or continue');
      }
      if (c.order !== undefined && !UPDATE_ORDERS.includes(String(c.order))) {
        this.error(at('order'), `${field('order')} must be start-first or stop-first, not ${shown(c.order)}`, 'use start-first (a new replica starts before the old one stops) or stop-first');
      } else if (c.order === 'start-first' && published !== undefined) {
        // Deploy still works: the engine replaces such a service stop-first and says why in the plan.
        this.warning(at('order'), `${field('order')} is start-first, but service "${name}" publishes host port ${published}, which one container at a time can bind; its replicas are replaced stop-first`, 'remove `order`, or publish no fixed host port (the ingress can route to the service)');
      }
      if (c.parallelism !== undefined && !(Number.isSafeInteger(c.parallelism) && (c.parallelism as number) >= 0)) {
        this.error(at('parallelism'), `${field('parallelism')} must be a whole number, 0 or more, not ${shown(c.parallelism)}`, 'write how many replicas are replaced at once, e.g. 1, or 0 for all at once');
      }
      const ratio = c.max_failure_ratio;
      if (ratio !== undefined && !(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
        this.error(at('max_failure_ratio'), `${field('max_failure_ratio')} must be a number from 0 to 1, not ${shown(ratio)}`, 'write the share of replicas that may fail, e.g. 0.2 for one in five');
      }
      for (const key of ['delay', 'monitor']) {
        // A malformed duration was reported when the model was normalized; here only the sign.
        const ns = c[key];
        if (typeof ns === 'number' && ns < 0) this.error(at(key), `${field(key)} must not be negative, not ${shown(formatDuration(ns))}`, 'write a duration of 0 or more, e.g. 5s or 1m30s');
      }
    }
  }

  private watch(name: string, s: Service): void {
    const develop = s.develop;
    if (!isMap(develop) || !Array.isArray(develop.watch)) return;
    develop.watch.forEach((w, i) => {
      if (!isMap(w) || (w.target !== undefined && w.target !== '') || w.action === 'rebuild' || w.action === 'restart') return;
      this.error(['services', name, 'develop', 'watch', i], `services.${name}.develop.watch[${i}]: target is required for non-rebuild actions ("${String(w.action)}")`, 'set `target` to the path in the container that the files go to');
    });
  }

  /** Two mounts on one container path: the engine would refuse the container. */
  private mountTargets(name: string, s: Service): void {
    const seen = new Map<string, string>();
    const claim = (target: string, path: ModelPath) => {
      const where = formatPath(path);
      const first = seen.get(target);
      if (first !== undefined) this.error(path, `${where}: target ${target} already mounted as ${first}`, 'mount only one thing on each container path');
      else seen.set(target, where);
    };
    if (Array.isArray(s.tmpfs)) s.tmpfs.forEach((t, i) => claim(String(t).split(':')[0], ['services', name, 'tmpfs', i]));
    (s.volumes ?? []).forEach((v, i) => claim(v.target, ['services', name, 'volumes', i]));
  }

  /** `sourceOptional`: the value may come from elsewhere than the definition (see ConsistencyOptions). */
  private fileObjects(kind: string, top: 'secrets' | 'configs', sources: string[], sourceOptional = false): void {
    for (const [key, def] of Object.entries(this.project[top])) {
      if (def.external === true) continue;
      const set = sources.filter((k) => def[k] !== undefined);
      const choices = sources.map((k) => `\`${k}\``).join(' or ');
      if (set.length > 1) {
        this.error([top, key], `${kind} "${key}" declares mutually exclusive ${set.map((k) => `\`${k}\``).join(' and ')}`, `keep only one of ${choices}`);
      } else if (set.length === 0 && def.driver === undefined && !sourceOptional) {
        this.error([top, key], `${kind} "${key}" must declare either ${choices}`, `set one of ${choices}, or \`external: true\` for a ${kind} that already exists`);
      }
    }
  }

  /** Depth-first search without recursion, so a long chain of services cannot exhaust the stack. */
  private cycles(): void {
    const services = this.project.services;
    const state = new Map<string, 'active' | 'done'>();
    for (const start of Object.keys(services)) {
      if (state.has(start)) continue;
      const stack: {name: string; deps: string[]; next: number}[] = [];
      const enter = (name: string) => {
        state.set(name, 'active');
        stack.push({name, deps: Object.keys(services[name].depends_on ?? {}), next: 0});
      };
      enter(start);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.next >= top.deps.length) {
          state.set(top.name, 'done');
          stack.pop();
          continue;
        }
        const dep = top.deps[top.next++];
        if (!Object.hasOwn(services, dep)) continue;
        const s = state.get(dep);
        if (s === undefined) enter(dep);
        else if (s === 'active') {
          const from = stack.findIndex((f) => f.name === dep);
          const chain = [...stack.slice(from).map((f) => f.name), dep];
          this.error(['services', top.name, 'depends_on', dep], `dependency cycle detected: ${chain.join(' -> ')}`, 'remove one of these dependencies (depends_on, links, volumes_from or a shared `service:` namespace) to break the cycle');
        }
      }
    }
  }
}

/** A host port only one container can bind: published explicitly (a single port or a range). */
export function fixedHostPort(service: Service): string | undefined {
  return service.ports.find((p) => p.published !== undefined && p.published !== '')?.published;
}

/**
 * Cross-references and exclusions of a normalized project, as compose checks them before it runs
 * anything. Returns every problem found: errors, and warnings for settings the engine will read
 * otherwise than written; an empty list means consistent.
 */
export interface ConsistencyOptions {
  /**
   * The model is a resolved document sent to the agent: the client read each secret's `file` or
   * `environment` itself and sends the values beside the model, which carries neither. A secret
   * without a source is then one whose value comes with the request (or is already on the
   * agent); the deploy says so when it has none.
   */
  secretValuesSent?: boolean;
}

export function checkConsistency(project: ComposeModel, locations?: Locations, options: ConsistencyOptions = {}): Diagnostic[] {
  return new Checker(project, locations, options).run();
}
