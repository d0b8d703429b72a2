// The platform's policy rules, one small function each, over the normalized compose model.
// A rule only reports: it names the service and the value, points at the model path, and says
// how to fix it. Which rules run and the lists they read come from the Policy (policy as data).

import type {ModelPath, ComposeModel, Service} from '../compose/types.ts';
import {DNS_LABEL} from '../dns-label.ts';
import {canonicalRegistry, parseImageReference, type ImageReference} from '../image-ref.ts';
import {boundDevice, globalFsMount, hostPath} from './global-fs.ts';
import {isWithin, isWithinRoot, normalizeHostPath, PROJECT_PLACEHOLDER, showRoot} from './paths.ts';
import type {Policy, PolicyContext, ResourceValues, RuleId} from './types.ts';
import {canonicalCapability, formatBytes, formatPortRange, formatPorts, parsePortRange} from './values.ts';

export interface RuleInput {
  project: ComposeModel;
  policy: Policy;
  context: PolicyContext;
  /** Whether the sources record this exact path (to point at a key the user wrote, if any). */
  has(path: ModelPath): boolean;
  report(path: ModelPath | undefined, message: string, hint: string): void;
}

export interface Rule {
  id: RuleId;
  summary: string;
  check(input: RuleInput): void;
}

// The model comes from the loader, but the agent also reads stored revisions: treat every
// collection as possibly missing rather than crash on an older or hand-made model.
export function list<T>(v: T[] | undefined | null): T[] {
  return Array.isArray(v) ? v : [];
}

export function services(project: ComposeModel): [string, Service][] {
  return Object.entries(project.services ?? {});
}

export const quoteList = (items: readonly string[]): string => (items.length ? items.join(', ') : '(none)');

// ---------------------------------------------------------------------------------------------

/**
 * The registry entries a project may pull from: the policy's list, and on the platform registry
 * only the project's own path and the paths the policy shares. A bare platform host would let a
 * project run another project's images (the engine keeps them cached after a pull).
 */
function registryEntries(policy: Policy, context: PolicyContext): string[] {
  if (!context.registry) return [...policy.registry.allowed];
  const own = `${context.registry}/${PROJECT_PLACEHOLDER}`;
  return [...policy.registry.allowed, own, ...policy.registry.shared.map((path) => `${context.registry}/${path}`)];
}

function registryAllowed(ref: ImageReference, entries: readonly string[], project: string | undefined): boolean {
  return entries.some((entry) => {
    const slash = entry.indexOf('/');
    const host = canonicalRegistry(slash === -1 ? entry : entry.slice(0, slash));
    if (host !== ref.registry) return false;
    return slash === -1 || isWithinRoot(ref.repository, entry.slice(slash + 1), project);
  });
}

/** `sha256:<hex>` or a bare hex prefix: the engine takes these as image IDs, not names. */
const IMAGE_ID = /^(?:sha256:[0-9a-f]{1,64}|[0-9a-f]{12,64})$/i;

const registry: Rule = {
  id: 'registry',
  summary: "images come only from the allowed registries (the platform registry under the project's own path, Docker Hub), by name",
  check({project, policy, context, report}) {
    const entries = registryEntries(policy, context);
    const allowed = entries.map((e) => showRoot(e, context.project));
    for (const [name, svc] of services(project)) {
      // A service with only `build:` has no image to pull; its pushed image is checked when named.
      if (typeof svc.image !== 'string' || svc.image === '') continue;
      const path = ['services', name, 'image'];
      if (IMAGE_ID.test(svc.image.trim())) {
        report(path, `service "${name}" names image "${svc.image}" by its ID; the platform runs images by name only`, 'give the image\'s name and tag (optionally pinned with @sha256:<digest>), e.g. "registry.example.org/team/app:1.0"');
        continue;
      }
      const ref = parseImageReference(svc.image);
      if (!ref) {
        report(path, `service "${name}" has image "${svc.image}", which is not a valid image reference`, 'write the image as [registry/]name[:tag][@sha256:digest], e.g. "nginx:1.27" or "registry.example.org/team/app:1.0"');
      } else if (!registryAllowed(ref, entries, context.project)) {
        const platform = context.registry !== undefined && ref.registry === canonicalRegistry(context.registry);
        report(
          path,
          platform
            ? `service "${name}" uses image "${svc.image}", outside project "${context.project ?? '{project}'}"'s path on the platform registry`
            : `service "${name}" uses image "${svc.image}" from registry "${ref.registry}", which is not allowed`,
          `use an image from ${quoteList(allowed)}, or tag this image for ${context.registry ? `${context.registry}/${context.project ?? '<project>'}/` : 'the platform registry'} and push it there (spin push)`,
        );
      }
    }
  },
};

const privileged: Rule = {
  id: 'privileged',
  summary: '`privileged: true` is refused',
  check({project, report}) {
    for (const [name, svc] of services(project)) {
      if (svc.privileged === true) {
        report(['services', name, 'privileged'], `service "${name}" sets privileged: true`, `remove privileged from service "${name}"; add back only the capabilities it needs with cap_add`);
      }
    }
  },
};

const capabilities: Rule = {
  id: 'capabilities',
  summary: '`cap_drop` must include ALL; `cap_add` only from the allowed list',
  check({project, policy, report}) {
    const allowed = policy.capabilities.allowed_add;
    for (const [name, svc] of services(project)) {
      const drop = list(svc.cap_drop);
      if (policy.capabilities.require_drop_all && !drop.some((c) => canonicalCapability(c) === 'ALL')) {
        const now = drop.length ? `cap_drop is [${drop.join(', ')}]` : 'cap_drop is not set';
        report(['services', name, 'cap_drop'], `service "${name}" must drop all capabilities, but ${now}`, `add "cap_drop: [ALL]" to service "${name}" and add back only what it needs with cap_add`);
      }
      list(svc.cap_add).forEach((cap, i) => {
        if (!allowed.includes(canonicalCapability(cap))) {
          report(['services', name, 'cap_add', i], `service "${name}" adds capability "${cap}", which is not allowed`, `remove "${cap}" from cap_add of service "${name}"; allowed: ${quoteList(allowed)}`);
        }
      });
    }
  },
};

/**
 * The namespace settings a service may use, as an allow-list: anything else (host, another
 * container, an engine network by name or ID, the engine's default bridge) is refused.
 * `service:<name>` is allowed where the engine can share with a replica of the same stack.
 */
const NAMESPACES = [
  {field: 'network_mode', what: 'network', allowed: ['none'], service: true},
  {field: 'ipc', what: 'IPC', allowed: ['private', 'shareable', 'none'], service: false},
  {field: 'pid', what: 'PID', allowed: [], service: false},
  {field: 'uts', what: 'UTS', allowed: [], service: false},
  {field: 'userns_mode', what: 'user', allowed: [], service: false},
  {field: 'cgroup', what: 'cgroup', allowed: ['private'], service: false},
] as const;

const hostNamespaces: Rule = {
  id: 'host-namespaces',
  summary: 'namespaces are the container\'s own: network_mode only `none` or `service:` of the same stack; no host, container or engine-network modes for network, pid, ipc, uts, userns or cgroup',
  check({project, report}) {
    for (const [name, svc] of services(project)) {
      for (const ns of NAMESPACES) {
        const value = svc[ns.field];
        if (value === undefined || value === null || value === '') continue;
        const v = String(value).trim().toLowerCase();
        const path = ['services', name, ns.field];
        if ((ns.allowed as readonly string[]).includes(v)) continue;
        if (ns.service && v.startsWith('service:')) {
          const other = String(value).trim().slice('service:'.length);
          if (other !== name && Object.hasOwn(project.services ?? {}, other)) continue;
          report(path, `service "${name}" shares the ${ns.what} namespace of "${other}" (${ns.field}: ${value}), which is not another service of this stack`, `name another service of this stack: ${ns.field}: "service:<name>"`);
          continue;
        }
        const shown = [...ns.allowed, ...(ns.service ? ['service:<name>'] : [])];
        const what = v === 'host' ? "the host's" : v.startsWith('container:') ? `container "${String(value).slice('container:'.length)}"'s` : `"${value}" as its`;
        report(
          path,
          `service "${name}" uses ${what} ${ns.what} namespace (${ns.field}: ${value}), which the platform does not allow`,
          shown.length
            ? `remove ${ns.field} from service "${name}" (it gets its own ${ns.what} namespace), or use ${shown.map((x) => `"${x}"`).join(' or ')}`
            : `remove ${ns.field} from service "${name}"; containers get their own ${ns.what} namespace`,
        );
      }
    }
  },
};

const devices: Rule = {
  id: 'devices',
  summary: '`devices`, `device_cgroup_rules`, `gpus` are refused unless the policy allows them',
  check({project, policy, report}) {
    if (policy.devices.allowed) return;
    const hint = (name: string, field: string) => `remove ${field} from service "${name}": host devices and GPUs are not available on this platform`;
    for (const [name, svc] of services(project)) {
      list(svc.devices).forEach((d, i) => {
        const src = typeof d === 'string' ? String(d).split(':')[0] : d?.source;
        report(['services', name, 'devices', i], `service "${name}" maps host device "${src}"`, hint(name, 'devices'));
      });
      list(svc.device_cgroup_rules).forEach((r, i) => {
        report(['services', name, 'device_cgroup_rules', i], `service "${name}" sets device cgroup rule "${r}"`, hint(name, 'device_cgroup_rules'));
      });
      if (svc.gpus !== undefined && svc.gpus !== null && !(Array.isArray(svc.gpus) && svc.gpus.length === 0)) {
        report(['services', name, 'gpus'], `service "${name}" requests GPUs (gpus: ${JSON.stringify(svc.gpus)})`, hint(name, 'gpus'));
      }
      list(svc.deploy?.resources?.reservations?.devices).forEach((_, i) => {
        report(['services', name, 'deploy', 'resources', 'reservations', 'devices', i], `service "${name}" reserves a device in deploy.resources.reservations.devices`, hint(name, 'deploy.resources.reservations.devices'));
      });
    }
  },
};

/** `seccomp:unconfined`, `seccomp=unconfined` and `Seccomp = Unconfined` compare equal. */
function canonicalSecurityOpt(opt: string): string {
  const m = /^([^=:]*)[=:](.*)$/.exec(opt.trim());
  return m ? `${m[1].trim().toLowerCase()}=${m[2].trim().toLowerCase()}` : opt.trim().toLowerCase();
}

const securityOpt: Rule = {
  id: 'security-opt',
  summary: 'security_opt only from the allowed list (named profiles, no-new-privileges); never an inline profile or `unconfined`',
  check({project, policy, report}) {
    const refused = new Set(policy.security_opt.refused.map(canonicalSecurityOpt));
    const allowed = new Set(policy.security_opt.allowed.map(canonicalSecurityOpt));
    for (const [name, svc] of services(project)) {
      list(svc.security_opt).forEach((opt, i) => {
        const c = canonicalSecurityOpt(String(opt));
        if (allowed.has(c) && !refused.has(c)) return;
        const shown = String(opt).length > 60 ? `${String(opt).slice(0, 57)}...` : String(opt);
        if (refused.has(c)) {
          report(['services', name, 'security_opt', i], `service "${name}" sets security_opt "${shown}", which turns off a protection the platform requires`, `remove "${shown}" from security_opt of service "${name}"`);
        } else {
          report(['services', name, 'security_opt', i], `service "${name}" sets security_opt "${shown}", which is not one the platform allows`, `remove it; allowed: ${quoteList(policy.security_opt.allowed)} (profiles are named, never given inline)`);
        }
      });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Host paths: bind mounts, and local volumes that are bind mounts in disguise.

/** Mount types a container may have; npipe, cluster and image mounts are refused. */
const MOUNT_TYPES = ['bind', 'volume', 'tmpfs'];
/** Propagation that never carries a mount between the container and the host. */
const PRIVATE_PROPAGATION = ['private', 'rprivate', 'slave', 'rslave'];

const bindMounts: Rule = {
  id: 'bind-mounts',
  summary: "host paths only under the policy's allowed roots for the caller's project; never the Docker socket, /, /etc, /proc, /sys",
  check({project, policy, context, report}) {
    const roots = policy.bind_mounts.allowed_roots;
    const shown = quoteList(roots.map((r) => showRoot(r, context.project)));
    const forbidden = policy.bind_mounts.forbidden_sources.map(normalizeHostPath);
    const fix = `mount a folder under ${shown}, or use a named volume instead of a host path`;
    const never = `remove this mount: system folders and the Docker socket give control of the host; instead, ${fix}`;

    const checkSource = (source: string, path: ModelPath, who: string) => {
      if (!source.startsWith('/')) {
        report(path, `${who} mounts host path "${source}", which is not an absolute path under ${shown}`, fix);
        return;
      }
      for (const f of forbidden) {
        if (source === f || (f !== '/' && isWithin(source, f))) {
          report(path, `${who} mounts host path "${source}"${source === f ? '' : `, inside "${f}"`}, which is never allowed`, never);
          return;
        }
        if (isWithin(f, source)) {
          report(path, `${who} mounts host path "${source}", which contains the forbidden path "${f}"`, never);
          return;
        }
      }
      if (!roots.some((r) => isWithinRoot(source, r, context.project))) {
        report(path, `${who} mounts host path "${source}", outside the allowed roots ${shown}`, fix);
      }
    };

    for (const [name, svc] of services(project)) {
      list(svc.volumes).forEach((v, i) => {
        const at = ['services', name, 'volumes', i];
        if (!MOUNT_TYPES.includes(String(v?.type))) {
          report([...at, 'type'], `service "${name}" mounts a "${v?.type}" volume, which the platform does not allow`, 'use a named volume, a bind mount under an allowed root, or tmpfs');
          return;
        }
        // Named volumes are checked once below, where their host path is written.
        if (v.type === 'bind') checkSource(hostPath(v.source), at, `service "${name}"`);
        const propagation = v.bind?.propagation;
        if (propagation !== undefined && !PRIVATE_PROPAGATION.includes(String(propagation))) {
          report([...at, 'bind', 'propagation'], `service "${name}" mounts "${v.source}" with propagation "${propagation}", which shares mounts with the host`, `remove bind.propagation, or use one of ${PRIVATE_PROPAGATION.join(', ')}`);
        }
      });
    }
    for (const [vname, def] of Object.entries(project.volumes ?? {})) {
      const device = boundDevice(def);
      if (device === undefined) continue;
      const path = def?.driver_opts && 'device' in def.driver_opts ? ['volumes', vname, 'driver_opts', 'device'] : ['volumes', vname, 'driver_opts'];
      checkSource(hostPath(device), path, `volume "${vname}" (driver_opts o: bind)`);
    }
  },
};

const USER_IDS = /^(\d+):(\d+)$/;

const globalFs: Rule = {
  id: 'global-fs',
  summary: "a service that mounts a global file system runs as the caller's numeric UID:GID (not root), adds no other group and may add back only NET_BIND_SERVICE",
  check({project, policy, context, report}) {
    const allowedCaps = policy.global_fs.allowed_cap_add;
    const want = `${context.uid ?? 'UID'}:${context.gid ?? 'GID'}`;
    for (const [name, svc] of services(project)) {
      const mount = globalFsMount(project, name, policy);
      if (mount === undefined) continue;
      const on = `service "${name}" mounts "${mount}" from a global file system`;
      const hint = `set user: "${want}" on service "${name}" (your numeric user and group ids, as \`id -u\` and \`id -g\` print them)`;
      const userPath = ['services', name, 'user'];
      const m = typeof svc.user === 'string' ? USER_IDS.exec(svc.user.trim()) : null;
      if (!m) {
        const as = typeof svc.user === 'string' ? `user "${svc.user}"` : "the image's default user";
        report(userPath, `${on} but runs as ${as}; it must run as a numeric UID:GID`, hint);
      } else if (Number(m[1]) === 0 || Number(m[2]) === 0) {
        report(userPath, `${on} but runs as root (user "${svc.user}")`, hint);
      } else if ((context.uid !== undefined && Number(m[1]) !== context.uid) || (context.gid !== undefined && Number(m[2]) !== context.gid)) {
        report(userPath, `${on} but runs as user "${svc.user}", not as your identity "${want}"`, hint);
      }
      list(svc.cap_add).forEach((cap, i) => {
        if (!allowedCaps.includes(canonicalCapability(cap))) {
          report(['services', name, 'cap_add', i], `${on} and adds capability "${cap}"; such a service may add only ${quoteList(allowedCaps)}`, `remove "${cap}" from cap_add of service "${name}"`);
        }
      });
      list(svc.group_add as (string | number)[] | undefined).forEach((group, i) => {
        if (context.gid === undefined || String(group).trim() !== String(context.gid)) {
          report(['services', name, 'group_add', i], `${on} and adds group "${group}"; it may run only with your own group${context.gid === undefined ? '' : ` (${context.gid})`}`, `remove "${group}" from group_add of service "${name}": on a global file system other groups read other people's files`);
        }
      });
    }
  },
};

// ---------------------------------------------------------------------------------------------

const ports: Rule = {
  id: 'ports',
  summary: 'published ports only in the allowed ranges (default 8080, 8443, 60000-60050)',
  check({project, policy, report}) {
    const allowed = policy.ports.allowed;
    const shown = quoteList(allowed.map(formatPortRange));
    const example = allowed[0] ? String(allowed[0].min) : 'PORT';
    const isAllowed = (p: number) => allowed.some((r) => p >= r.min && p <= r.max);
    for (const [name, svc] of services(project)) {
      list(svc.ports).forEach((port, i) => {
        const at = ['services', name, 'ports', i];
        if (port?.host_ip !== undefined && port.host_ip !== '' && !policy.ports.host_ips.includes(port.host_ip)) {
          report([...at, 'host_ip'], `service "${name}" publishes port ${port.target} on host address "${port.host_ip}", which is not allowed`, `remove the address (the platform publishes on its own), or use one of ${quoteList(policy.ports.host_ips)}`);
        }
        const target = port?.target ?? '?';
        const published = port?.published === undefined || port.published === null ? '' : String(port.published).trim();
        if (published === '') {
          report(at, `service "${name}" exposes port ${target} on a random host port`, `publish it on an allowed host port, e.g. "${example}:${target}" (allowed: ${shown}), or use expose if only services of this stack need it`);
          return;
        }
        const range = parsePortRange(published);
        if (!range) {
          report([...at, 'published'], `service "${name}" publishes "${published}", which is not a host port or range`, `publish one of the allowed host ports: ${shown}`);
          return;
        }
        const refused: number[] = [];
        for (let p = range.min; p <= range.max; p++) if (!isAllowed(p)) refused.push(p);
        if (refused.length === 0) return;
        const which = range.min === range.max ? `host port ${published}` : `host ports ${published} (${formatPorts(refused)} not allowed)`;
        report([...at, 'published'], `service "${name}" publishes ${which}, outside the allowed ports ${shown}`, `publish port ${target} on an allowed host port instead, e.g. "${example}:${target}" (allowed: ${shown})`);
      });
    }
  },
};

/** A name the pattern would likely accept: for the hint only. */
function suggestName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

const names: Rule = {
  id: 'names',
  summary: 'stack and service names are DNS labels (`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)',
  check({project, policy, context, report}) {
    let re: RegExp;
    try {
      re = new RegExp(policy.names.pattern);
    } catch {
      // loadPolicy rejects such a pattern; a hand-built Policy falls back to the DNS label.
      re = DNS_LABEL;
    }
    const hintFor = (name: string) => {
      const s = suggestName(name);
      const eg = s && re.test(s) ? `, e.g. "${s}"` : '';
      return `rename it to lower-case letters, digits and "-" (at most 63, not starting or ending with "-")${eg}`;
    };
    const check = (kind: string, name: string, path: ModelPath | undefined) => {
      if (!re.test(name)) report(path, `${kind} name "${name}" does not match the naming rule ${policy.names.pattern}`, hintFor(name));
    };
    if (context.stack !== undefined) check('stack', context.stack, context.stack === project.name ? ['name'] : undefined);
    for (const [name] of services(project)) check('service', name, ['services', name]);
  },
};

// ---------------------------------------------------------------------------------------------

function sysctlAllowed(key: string, allowed: readonly string[]): boolean {
  const k = key.trim().replace(/\//g, '.');
  return allowed.some((a) => (a.endsWith('*') ? k.startsWith(a.slice(0, -1)) : k === a));
}

/** `name`, `name:ro`, `service:name:rw`, `container:name` → kind and name. */
function parseVolumesFrom(entry: string): {kind: 'service' | 'container' | 'plain'; name: string} {
  const parts = entry.split(':');
  if (parts[0] === 'service' || parts[0] === 'container') return {kind: parts[0], name: parts[1] ?? ''};
  return {kind: 'plain', name: parts[0]};
}

const isolation: Rule = {
  id: 'isolation',
  summary: "no `container_name`, no `external` networks or volumes, `volumes_from` or `links` outside the caller's project, no `cgroup_parent`, no root group, no `sysctls` outside the namespaced allowlist",
  check({project, policy, context, has, report}) {
    const allowedSysctls = policy.isolation.allowed_sysctls;
    for (const [name, svc] of services(project)) {
      if (typeof svc.container_name === 'string') {
        report(['services', name, 'container_name'], `service "${name}" sets container_name "${svc.container_name}"; the platform names containers itself`, `remove container_name; other services of the stack reach it by its service name "${name}"`);
      }
      if (typeof svc.cgroup_parent === 'string') {
        report(['services', name, 'cgroup_parent'], `service "${name}" sets cgroup_parent "${svc.cgroup_parent}"; the platform places containers in cgroups itself`, `remove cgroup_parent from service "${name}"`);
      }
      list(svc.volumes_from).forEach((entry, i) => {
        const ref = parseVolumesFrom(String(entry));
        if (ref.kind !== 'container' && Object.hasOwn(project.services ?? {}, ref.name)) return;
        report(['services', name, 'volumes_from', i], `service "${name}" mounts the volumes of "${ref.name}" (volumes_from: ${entry}), which is not a service of this stack`, 'share data through a named volume, or name a service of this stack in volumes_from');
      });
      list(svc.group_add as (string | number)[] | undefined).forEach((group, i) => {
        const g = String(group).trim();
        if (/^\d{1,10}$/.test(g) && Number(g) !== 0) return;
        report(
          ['services', name, 'group_add', i],
          Number(g) === 0 || g === 'root' ? `service "${name}" adds the root group (group_add: ${g})` : `service "${name}" adds group "${g}" by name; the platform cannot tell which group id that is`,
          'give a numeric group id other than 0 in group_add, or remove it',
        );
      });
      list(svc.links as string[] | undefined).forEach((link, i) => {
        const target = String(link).split(':')[0];
        if (Object.hasOwn(project.services ?? {}, target)) return;
        report(['services', name, 'links', i], `service "${name}" links to "${target}", which is not a service of this stack`, `remove the link; services of a stack reach each other by name (e.g. "${Object.keys(project.services ?? {})[0] ?? 'web'}")`);
      });
      const sysctls = svc.sysctls;
      const entries: [string | number, string][] = Array.isArray(sysctls)
        ? (sysctls as unknown[]).map((s, i) => [i, String(s).split('=')[0]])
        : Object.keys(sysctls ?? {}).map((k) => [k, k]);
      for (const [seg, key] of entries) {
        if (!sysctlAllowed(key, allowedSysctls)) {
          report(['services', name, 'sysctls', seg], `service "${name}" sets sysctl "${key}", which is not namespaced and would affect the whole host`, `remove "${key}" from sysctls; allowed: ${quoteList(allowedSysctls)}`);
        }
      }
    }
    // Without a project (a local check), which external objects are the caller's is unknown.
    const owner = context.project;
    if (owner === undefined) return;
    const kinds = [
      ['network', 'networks', project.networks],
      ['volume', 'volumes', project.volumes],
    ] as const;
    for (const [kind, section, defs] of kinds) {
      for (const [key, def] of Object.entries(defs ?? {})) {
        if (!def?.external) continue;
        // compose's old `external: {name: x}` spelling still shows up in stored models.
        const legacy = typeof def.external === 'object' ? (def.external as {name?: unknown}).name : undefined;
        const realName = String(def.name ?? legacy ?? key);
        // "." and "_" cannot occur in a project name, so the prefix cannot be another project's
        // ("genomics-x.s" belongs to project "genomics-x", not to "genomics").
        if (realName.startsWith(`${owner}.`) || realName.startsWith(`${owner}_`)) continue;
        const path = has([section, key, 'name']) ? [section, key, 'name'] : [section, key, 'external'];
        report(
          path,
          `${kind} "${key}" is the external ${kind} "${realName}", which does not belong to project "${owner}"`,
          `use a ${kind} of project "${owner}" (named "${owner}.…" or "${owner}_…"), or remove external: true so the stack creates its own`,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------

export interface LimitField {
  kind: keyof ResourceValues;
  path: readonly string[];
  get(svc: Service): unknown;
}

/** Every place compose lets a service set a limit, checked the same way. */
export const LIMIT_FIELDS: readonly LimitField[] = [
  {kind: 'memory', path: ['deploy', 'resources', 'limits', 'memory'], get: (s) => s.deploy?.resources?.limits?.memory},
  {kind: 'memory', path: ['mem_limit'], get: (s) => s.mem_limit},
  {kind: 'cpus', path: ['deploy', 'resources', 'limits', 'cpus'], get: (s) => s.deploy?.resources?.limits?.cpus},
  {kind: 'cpus', path: ['cpus'], get: (s) => s.cpus},
  {kind: 'pids', path: ['deploy', 'resources', 'limits', 'pids'], get: (s) => s.deploy?.resources?.limits?.pids},
  {kind: 'pids', path: ['pids_limit'], get: (s) => s.pids_limit},
];

/** Memory is bytes in the normalized model; CPUs and pids may still be numeric text. */
function limitValue(kind: keyof ResourceValues, v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || kind === 'memory') return undefined;
  return Number.isFinite(Number(v)) ? Number(v) : undefined;
}

const showLimit = (kind: keyof ResourceValues, n: number): string => (kind === 'memory' ? formatBytes(n) : String(n));

const resources: Rule = {
  id: 'resources',
  summary: 'memory, CPU and pids limits at most the policy maximum (defaults applied when missing); replicas, services, shm, swap, OOM score and ulimits bounded',
  check({project, policy, report}) {
    const {max, defaults} = policy.resources;
    for (const [name, svc] of services(project)) {
      for (const field of LIMIT_FIELDS) {
        const cap = max[field.kind];
        const raw = field.get(svc);
        if (cap === undefined || raw === undefined || raw === null) continue;
        const path = ['services', name, ...field.path];
        const where = field.path.join('.');
        const dflt = defaults[field.kind];
        const fix = `set ${where} to at most ${showLimit(field.kind, cap)}${dflt === undefined ? '' : `, or leave it out to get the default ${showLimit(field.kind, dflt)}`}`;
        const v = limitValue(field.kind, raw);
        if (v === undefined) {
          report(path, `service "${name}" sets ${where} to ${JSON.stringify(raw)}, which is not a valid limit`, fix);
        } else if (v <= 0) {
          // The engine reads 0 and -1 as "no limit", which would escape the maximum.
          report(path, `service "${name}" sets ${where} to ${v}, which means no limit; the maximum is ${showLimit(field.kind, cap)}`, fix);
        } else if (v > cap) {
          report(path, `service "${name}" sets ${where} to ${showLimit(field.kind, v)}, more than the maximum ${showLimit(field.kind, cap)}`, fix);
        }
      }
      checkBounds(name, svc, policy, report);
    }
    const count = services(project).length;
    if (count > policy.limits.services) {
      report(['services'], `the stack has ${count} services, more than the ${policy.limits.services} a stack may have`, 'split it into several stacks');
    }
  },
};

/** A number, or an integer written as text; undefined when it is neither. */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined;
}

/** The bounded values beside the limits: replicas, shm, swap, OOM score and ulimits. */
function checkBounds(name: string, svc: Service, policy: Policy, report: RuleInput['report']): void {
  const {limits} = policy;
  const memoryMax = policy.resources.max.memory;
  for (const [path, value] of [[['deploy', 'replicas'], svc.deploy?.replicas], [['scale'], svc.scale]] as const) {
    if (value === undefined || value === null) continue;
    const n = numeric(value);
    if (n === undefined || !Number.isSafeInteger(n) || n < 0 || n > limits.replicas) {
      report(['services', name, ...path], `service "${name}" asks for ${JSON.stringify(value)} replicas; a service may have 0 to ${limits.replicas}`, `set ${path.join('.')} to at most ${limits.replicas}`);
    }
  }
  if (svc.shm_size !== undefined && svc.shm_size !== null) {
    const n = svc.shm_size;
    if (typeof n !== 'number' || n <= 0 || n > limits.shm_size) {
      report(['services', name, 'shm_size'], `service "${name}" sets shm_size to ${JSON.stringify(svc.shm_size)}; it may be at most ${formatBytes(limits.shm_size)}`, `set shm_size to at most ${formatBytes(limits.shm_size)}, or remove it (64m)`);
    }
  }
  if (svc.memswap_limit !== undefined && svc.memswap_limit !== null) {
    const n = svc.memswap_limit;
    if (typeof n !== 'number' || n <= 0 || (memoryMax !== undefined && n > memoryMax)) {
      report(['services', name, 'memswap_limit'], `service "${name}" sets memswap_limit to ${JSON.stringify(svc.memswap_limit)}, which is unlimited or more than the maximum ${memoryMax === undefined ? '' : formatBytes(memoryMax)}`, 'remove memswap_limit, or set it to a size no larger than the memory maximum');
    }
  }
  if (svc.oom_score_adj !== undefined && svc.oom_score_adj !== null) {
    const n = numeric(svc.oom_score_adj);
    if (n === undefined || n < 0 || n > 1000) {
      report(['services', name, 'oom_score_adj'], `service "${name}" sets oom_score_adj to ${JSON.stringify(svc.oom_score_adj)}; below 0 it would make the kernel kill other tenants' processes first`, 'remove oom_score_adj, or set it between 0 and 1000');
    }
  }
  const ulimits = svc.ulimits;
  if (ulimits && typeof ulimits === 'object') {
    for (const [key, value] of Object.entries(ulimits as Record<string, unknown>)) {
      const max = Object.hasOwn(limits.ulimits, key) ? limits.ulimits[key] : undefined;
      const path = ['services', name, 'ulimits', key];
      if (max === undefined) {
        report(path, `service "${name}" sets ulimit "${key}", which the platform does not allow`, `remove it; allowed: ${quoteList(Object.keys(limits.ulimits))}`);
        continue;
      }
      const pair = value && typeof value === 'object' ? (value as {soft?: unknown; hard?: unknown}) : {soft: value, hard: value};
      const values = [numeric(pair.soft), numeric(pair.hard)];
      if (values.some((n) => n === undefined || n < 0 || n > max)) {
        report(path, `service "${name}" sets ulimit "${key}" to ${JSON.stringify(value)}; it may be at most ${max}`, `set ulimits.${key} to at most ${max}`);
      }
    }
  }
}

export const RULES: readonly Rule[] = [
  registry,
  privileged,
  capabilities,
  hostNamespaces,
  devices,
  securityOpt,
  bindMounts,
  globalFs,
  ports,
  names,
  isolation,
  resources,
];
