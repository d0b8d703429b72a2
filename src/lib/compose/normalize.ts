// The last loader phase: the merged, cast and schema-checked raw model becomes the canonical
// `ComposeModel` that `spin config` prints and that policy and the agent read. Every short syntax is
// expanded the way compose expands it (so the platform judges what the engine will run), env and
// label files are folded in, sizes become bytes and durations nanoseconds, and implicit things compose adds are made
// explicit: the `default` network, resource names, dependencies implied by links and
// `service:` namespaces. Fields Spin does not interpret pass through unchanged.

import {isIP} from 'node:net';
import {posix} from 'node:path';

import {diagnostic} from './diagnostics.ts';
import {mapDurations} from './durations.ts';
import {parseDotenv} from './dotenv.ts';
import {setOwn} from './interpolate.ts';
import type {Locations} from './locations.ts';
import {isMap} from './merge.ts';
import {isHostPath, parseVolumeSpec} from './paths.ts';
import type {
  DependsOn,
  Diagnostic,
  FileObjectDef,
  FileReference,
  ModelPath,
  PortConfig,
  ComposeModel,
  RawMap,
  Service,
  ServiceVolume,
} from './types.ts';
import {parseBytes, parseDuration} from './units.ts';

export interface NormalizeContext {
  /** The project folder (absolute); a build without `context` builds here. */
  workingDir: string;
  projectName: string;
  locations?: Locations;
  /** The project environment: resolves `environment` and `build.args` entries that have no value. */
  lookup: (name: string) => string | undefined;
  /** Reads an env or label file; undefined when the file does not exist. */
  readText: (path: string) => Promise<string | undefined>;
}

type FieldFn = (value: unknown, path: ModelPath) => unknown;

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
const PROPAGATIONS = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const CONSISTENCIES = new Set(['consistent', 'cached', 'delegated']);
/** Namespaces that may be shared with another service as `service:NAME`. */
const NAMESPACES = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'];
/** Service fields that always exist in the canonical form, with their empty value. */
const ALWAYS: Record<string, () => unknown> = {
  environment: () => ({}),
  ports: () => [],
  volumes: () => [],
  depends_on: () => ({}),
  networks: () => ({}),
  secrets: () => [],
  configs: () => [],
  cap_add: () => [],
  cap_drop: () => [],
  security_opt: () => [],
  devices: () => [],
  device_cgroup_rules: () => [],
  volumes_from: () => [],
  sysctls: () => ({}),
  labels: () => ({}),
};
const RESOURCE_KINDS = ['networks', 'volumes', 'secrets', 'configs'] as const;
const PORT_HINT = 'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "8080:80" or "127.0.0.1:8080:80/tcp"';
const SIZE_HINT = 'write a number of bytes or a size with a unit, e.g. 512m or 2g';
const DURATION_HINT = 'write a duration with a unit, e.g. 30s, 1m30s or 500ms';

/**
 * Splits a command line into words like a POSIX shell does without running one: blanks separate
 * words, single quotes are literal, double quotes allow `\` before `"`, `\`, `$` and a backtick,
 * and `\` escapes any character outside quotes. Undefined when a quote is not closed.
 */
export function splitShellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) word += line[++i];
      else word += c;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(word);
  return words;
}

/** A mapping's value as compose stringifies it: numbers and booleans as written, null as given. */
function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

function stringList(v: unknown): unknown {
  return typeof v === 'string' ? [v] : v;
}

/** `path.Clean` for mount targets: `/data/` and `/data/./x/..` are `/data`. */
function cleanTarget(target: string): string {
  if (target === '' || !target.includes('/')) return target;
  const clean = posix.normalize(target);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

class Normalizer {
  readonly diagnostics: Diagnostic[] = [];
  private readonly ctx: NormalizeContext;
  private readonly fields: Record<string, FieldFn>;

  constructor(ctx: NormalizeContext) {
    this.ctx = ctx;
    const bytes: FieldFn = (v, p) => this.bytes(v, p);
    const list: FieldFn = (v) => stringList(v);
    const command: FieldFn = (v, p) => this.command(v, p);
    const mapping: FieldFn = (v) => this.mapping(v);
    this.fields = {
      annotations: mapping,
      build: (v, p) => this.build(v, p),
      command,
      configs: (v, p) => this.fileRefs(v, p, false),
      cpus: (v, p) => this.cpus(v, p),
      depends_on: (v) => this.dependsOn(v),
      deploy: (v, p) => this.deploy(v, p),
      develop: (v, p) => this.develop(v, p),
      devices: (v, p) => this.devices(v, p),
      dns: list,
      dns_search: list,
      entrypoint: command,
      env_file: () => undefined,
      environment: () => undefined,
      expose: (v) => (Array.isArray(v) ? v.map(scalarText) : v),
      extends: () => undefined,
      gpus: (v, p) => (typeof v === 'string' ? [{count: 'all'}] : this.deviceRequests(v, p)),
      healthcheck: (v) => this.healthcheck(v),
      label_file: () => undefined,
      labels: mapping,
      mem_limit: bytes,
      mem_reservation: bytes,
      memswap_limit: bytes,
      models: (v) => this.namedMap(v, {}),
      networks: (v) => this.namedMap(v),
      ports: (v, p) => this.ports(v, p),
      pull_policy: (v) => (v === 'if_not_present' ? 'missing' : v),
      secrets: (v, p) => this.fileRefs(v, p, true),
      shm_size: bytes,
      sysctls: mapping,
      tmpfs: list,
      volumes: (v, p) => this.volumes(v, p),
    };
  }

  private report(severity: 'error' | 'warning', path: ModelPath, message: string, hint: string, source = 'semantic'): void {
    this.diagnostics.push(diagnostic(this.ctx.locations, {severity, source, message, path, hint}));
  }

  async project(raw: RawMap): Promise<ComposeModel> {
    if ('version' in raw) {
      this.report('warning', ['version'], 'the attribute `version` is obsolete, it will be ignored', 'remove `version`: the compose specification has no versions');
    }
    const name = this.ctx.projectName || (typeof raw.name === 'string' ? raw.name : '');
    const services: Record<string, Service> = {};
    let usesDefaultNetwork = false;
    if (isMap(raw.services)) {
      for (const [key, def] of Object.entries(raw.services)) {
        const service = await this.service(key, isMap(def) ? def : {});
        setOwn(services, key, service);
        if (Object.hasOwn(service.networks, 'default')) usesDefaultNetwork = true;
      }
    }
    const project: ComposeModel = {name, services, networks: {}, volumes: {}, secrets: {}, configs: {}};
    for (const kind of RESOURCE_KINDS) project[kind] = this.resources(kind, raw[kind], name);
    if (usesDefaultNetwork && !Object.hasOwn(project.networks, 'default')) project.networks.default = {name: `${name}_default`};
    for (const [key, value] of Object.entries(raw)) {
      if (!Object.hasOwn(project, key) && key !== 'version' && key !== 'include') setOwn(project, key, value);
    }
    return project;
  }

  private async service(name: string, raw: RawMap): Promise<Service> {
    const base: ModelPath = ['services', name];
    const out: RawMap = {};
    for (const [key, value] of Object.entries(raw)) {
      const fn = Object.hasOwn(this.fields, key) ? this.fields[key] : undefined;
      if (!fn) setOwn(out, key, value);
      else if (value !== null) {
        const v = fn(value, [...base, key]);
        if (v !== undefined) setOwn(out, key, v);
      }
    }
    out.environment = await this.environment(raw, base);
    if (raw.label_file !== undefined) out.labels = await this.labelFiles(raw, base);
    for (const [key, empty] of Object.entries(ALWAYS)) if (out[key] === undefined) out[key] = empty();
    // A service attached to no network in particular is on the project's `default` network.
    if (Object.keys(out.networks as RawMap).length === 0 && raw.network_mode === undefined && raw.provider === undefined) out.networks = {default: null};
    this.impliedDependencies(out);
    return mapDurations(out, (v, p) => this.duration(v, [...base, ...p])) as Service;
  }

  // ---- environment, labels and their files

  /**
   * A map, or a list of `key=value` entries, as a map of strings. A missing value (`KEY` in a list,
   * `KEY:` in a map) becomes `empty`: null for variables (unset until resolved), "" for labels.
   * With `path`, list keys ending in a blank are refused, as compose does for variables.
   * Undefined when the value is neither a map nor a list.
   */
  private keyValues(value: unknown, empty: string | null, path?: ModelPath): Record<string, string | null> | undefined {
    const out: Record<string, string | null> = {};
    if (isMap(value)) {
      for (const [k, v] of Object.entries(value)) setOwn(out, k, v === null || v === undefined ? empty : scalarText(v));
      return out;
    }
    if (!Array.isArray(value)) return undefined;
    value.forEach((entry, i) => {
      const text = scalarText(entry);
      const eq = text.indexOf('=');
      const key = eq === -1 ? text : text.slice(0, eq);
      if (path && /\s$/.test(key)) {
        const fixed = `${key.trimEnd()}=${eq === -1 ? '' : text.slice(eq + 1).trimStart()}`;
        this.report('error', [...path, i], `environment variable "${key}" is declared with a trailing space`, `write "${fixed}" with no spaces around "="`);
        return;
      }
      setOwn(out, key, eq === -1 ? empty : text.slice(eq + 1));
    });
    return out;
  }

  /** Labels, sysctls, annotations, driver options: strings, "" for a missing value. */
  private mapping(value: unknown): unknown {
    return this.keyValues(value, '') ?? value;
  }

  /**
   * Compose's order: variables without a value take the project environment's; env files are read
   * in order (a later file wins, and their `${VAR}` see the project environment, then the service's
   * own values); the service's `environment` wins over every file.
   */
  private async environment(raw: RawMap, base: ModelPath): Promise<Record<string, string | null>> {
    const explicit = this.keyValues(raw.environment, null, [...base, 'environment']) ?? {};
    for (const [k, v] of Object.entries(explicit)) {
      if (v === null) {
        const found = this.ctx.lookup(k);
        if (found !== undefined) explicit[k] = found;
      }
    }
    if (raw.env_file === undefined || raw.env_file === null) return explicit;
    const out: Record<string, string | null> = {};
    const lookup = (k: string) => this.ctx.lookup(k) ?? (Object.hasOwn(explicit, k) ? (explicit[k] ?? undefined) : undefined);
    const entries = stringList(raw.env_file);
    if (!Array.isArray(entries)) return explicit;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const spec = isMap(e) ? e : {path: e};
      const vars = await this.readVars(spec, [...base, 'env_file', i], lookup, 'env');
      if (vars) for (const [k, v] of Object.entries(vars)) setOwn(out, k, v);
    }
    for (const [k, v] of Object.entries(explicit)) setOwn(out, k, v);
    return out;
  }

  private async labelFiles(raw: RawMap, base: ModelPath): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const files = stringList(raw.label_file);
    if (Array.isArray(files)) {
      for (let i = 0; i < files.length; i++) {
        const vars = await this.readVars({path: files[i]}, [...base, 'label_file', i], (k) => (Object.hasOwn(out, k) ? out[k] : undefined), 'label');
        if (vars) for (const [k, v] of Object.entries(vars)) setOwn(out, k, v);
      }
    }
    const explicit = this.mapping(raw.labels);
    if (isMap(explicit)) for (const [k, v] of Object.entries(explicit)) setOwn(out, k, v as string);
    return out;
  }

  /** One env or label file; undefined (with a diagnostic unless optional) when it cannot be used. */
  private async readVars(spec: RawMap, path: ModelPath, lookup: (k: string) => string | undefined, kind: 'env' | 'label'): Promise<Record<string, string> | undefined> {
    const file = String(spec.path ?? '');
    const format = spec.format ?? '';
    if (format !== '' && format !== 'raw') {
      this.report('error', [...path, 'format'], `${kind} file "${file}" has unsupported format "${scalarText(format)}"`, 'remove `format`, or use `format: raw` for values taken verbatim');
      return undefined;
    }
    let text: string | undefined;
    try {
      text = await this.ctx.readText(file);
    } catch (err) {
      this.report('error', path, `${kind} file "${file}" cannot be read: ${(err as Error).message}`, `check that "${file}" is a readable file`);
      return undefined;
    }
    if (text === undefined) {
      if (spec.required !== false) {
        const hint = kind === 'env' ? `create "${file}", or make it optional with \`- path: ${file}\` and \`required: false\`` : `create "${file}" or remove it from label_file`;
        this.report('error', path, `${kind} file "${file}" not found`, hint);
      }
      return undefined;
    }
    try {
      return parseDotenv(text, {filename: file, lookup, raw: format === 'raw'});
    } catch (err) {
      const hint = (err as {hint?: string}).hint ?? `fix the syntax of "${file}": one KEY=value a line`;
      this.report('error', path, (err as Error).message, hint, 'dotenv');
      return undefined;
    }
  }

  /** A list of names or a map of name → settings (networks, models). */
  private namedMap(value: unknown, empty: null | Record<string, never> = null): unknown {
    if (!Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    // The schema allows a null network entry but wants a mapping for a model.
    for (const n of value) setOwn(out, scalarText(n), empty === null ? null : {});
    return out;
  }

  // ---- scalars

  private bytes(value: unknown, path: ModelPath): unknown {
    if (value === null || value === undefined) return value;
    const n = parseBytes(value);
    if (n === undefined) this.report('error', path, `invalid size ${JSON.stringify(value)}`, SIZE_HINT);
    return n ?? value;
  }

  private cpus(value: unknown, path: ModelPath): unknown {
    if (value === null || value === undefined) return value;
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < 0) {
      this.report('error', path, `invalid number of CPUs ${JSON.stringify(value)}`, 'write a number of CPUs, e.g. 0.5 or 2');
      return value;
    }
    return n;
  }

  /** Nanoseconds for a duration; the text stays (with an error) when it is none. */
  private duration(value: unknown, path: ModelPath): unknown {
    const ns = parseDuration(value);
    if (ns === undefined) this.report('error', path, `invalid duration ${JSON.stringify(value)}`, DURATION_HINT);
    return ns ?? value;
  }

  private command(value: unknown, path: ModelPath): unknown {
    if (typeof value === 'string') {
      const words = splitShellWords(value);
      if (!words) this.report('error', path, `invalid command line ${JSON.stringify(value)}: a quote is not closed`, 'close the quote, or write the command as a list of words');
      return words ?? value;
    }
    return Array.isArray(value) ? value.map(scalarText) : value;
  }

  // ---- build, ports, volumes, devices

  private build(value: unknown, path: ModelPath): unknown {
    if (typeof value !== 'string' && !isMap(value)) return value;
    const build: RawMap = typeof value === 'string' ? {context: value} : {...value};
    if (build.context === undefined || build.context === null) build.context = this.ctx.workingDir;
    if (build.dockerfile === undefined && build.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
    if ('args' in build) build.args = this.buildArgs(build.args, [...path, 'args']);
    if ('labels' in build) build.labels = this.mapping(build.labels);
    if ('additional_contexts' in build) build.additional_contexts = this.mapping(build.additional_contexts);
    if ('secrets' in build) build.secrets = this.fileRefs(build.secrets, [...path, 'secrets'], false);
    if ('shm_size' in build) build.shm_size = this.bytes(build.shm_size, [...path, 'shm_size']);
    if ('tags' in build) build.tags = stringList(build.tags);
    return build;
  }

  /** Build args without a value take the environment's; compose drops those it cannot resolve. */
  private buildArgs(value: unknown, path: ModelPath): unknown {
    if (!isMap(value) && !Array.isArray(value)) return value;
    const args = this.keyValues(value, null, path) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(args)) {
      const resolved = v ?? this.ctx.lookup(k);
      if (resolved !== undefined) setOwn(out, k, resolved);
    }
    return out;
  }

  private ports(value: unknown, path: ModelPath): unknown {
    if (!Array.isArray(value)) return value;
    const out: PortConfig[] = [];
    value.forEach((entry, i) => {
      const p = [...path, i];
      if (isMap(entry)) {
        const port = this.longPort(entry, p);
        if (port) out.push(port);
      } else if (typeof entry === 'number' || typeof entry === 'string') {
        const parsed = parsePortSpec(String(entry));
        if (typeof parsed === 'string') this.report('error', p, `invalid port ${JSON.stringify(entry)}: ${parsed}`, PORT_HINT);
        else out.push(...parsed);
      }
    });
    return out;
  }

  private longPort(entry: RawMap, path: ModelPath): PortConfig | undefined {
    const port = {mode: 'ingress', ...entry, protocol: String(entry.protocol ?? 'tcp').toLowerCase()} as PortConfig & RawMap;
    if (typeof entry.published === 'number') port.published = String(entry.published);
    if (entry.host_ip !== undefined && isIP(String(entry.host_ip)) === 0) {
      this.report('error', [...path, 'host_ip'], `invalid IP address "${scalarText(entry.host_ip)}"`, 'write an IPv4 or IPv6 address, e.g. 127.0.0.1');
      return undefined;
    }
    return port;
  }

  private volumes(value: unknown, path: ModelPath): unknown {
    if (!Array.isArray(value)) return value;
    const out: ServiceVolume[] = [];
    value.forEach((entry, i) => {
      const v = typeof entry === 'string' ? this.shortVolume(entry, [...path, i]) : isMap(entry) ? this.longVolume(entry, [...path, i]) : undefined;
      if (v) out.push(v);
    });
    return out;
  }

  private shortVolume(text: string, path: ModelPath): ServiceVolume | undefined {
    const spec = parseVolumeSpec(text);
    if ('error' in spec) {
      this.report('error', path, `invalid volume ${JSON.stringify(text)}: ${spec.error}`, 'write SOURCE:TARGET[:MODE], e.g. "./data:/data:ro" or "dbdata:/var/lib/db"');
      return undefined;
    }
    if (spec.source === undefined) return {type: 'volume', target: cleanTarget(spec.target)};
    const isBind = isHostPath(spec.source);
    const volume: ServiceVolume = {type: isBind ? 'bind' : 'volume', source: spec.source, target: cleanTarget(spec.target)};
    const bind: NonNullable<ServiceVolume['bind']> = isBind ? {create_host_path: true} : {};
    for (const option of spec.mode ? spec.mode.split(',') : []) {
      if (option === 'ro') volume.read_only = true;
      else if (option === 'rw') volume.read_only = false;
      else if (option === 'nocopy') volume.volume = {nocopy: true};
      else if (option === 'z' || option === 'Z') bind.selinux = option;
      else if (PROPAGATIONS.has(option)) bind.propagation = option;
      else if (CONSISTENCIES.has(option)) volume.consistency = option;
      else this.report('warning', path, `unknown volume option "${option}" is ignored`, 'use ro, rw, nocopy, z, Z, or a propagation such as rshared');
    }
    if (volume.read_only === false) delete volume.read_only;
    if (Object.keys(bind).length > 0) volume.bind = bind;
    return volume;
  }

  private longVolume(entry: RawMap, path: ModelPath): ServiceVolume | undefined {
    const volume = {...entry} as ServiceVolume & RawMap;
    if (typeof volume.target === 'string') volume.target = cleanTarget(volume.target);
    if (volume.type === 'bind' && (volume.source === undefined || volume.source === '')) {
      this.report('error', path, 'invalid mount config for type "bind": field Source must not be empty', 'set `source` to the host path to mount');
      return undefined;
    }
    if (isMap(entry.bind)) volume.bind = {create_host_path: true, ...entry.bind};
    if (isMap(entry.tmpfs) && 'size' in entry.tmpfs) volume.tmpfs = {...entry.tmpfs, size: this.bytes(entry.tmpfs.size, [...path, 'tmpfs', 'size']) as number};
    return volume;
  }

  private devices(value: unknown, path: ModelPath): unknown {
    if (!Array.isArray(value)) return value;
    const out: unknown[] = [];
    value.forEach((entry, i) => {
      if (typeof entry !== 'string') return void out.push(entry);
      const parts = entry.split(':');
      if (parts.length > 3) {
        this.report('error', [...path, i], `confusing device mapping ${JSON.stringify(entry)}`, 'use the long syntax with `source`, `target` and `permissions`');
        return;
      }
      out.push({source: parts[0], target: parts[1] || parts[0], permissions: parts[2] ?? 'rwm'});
    });
    return out;
  }

  /** GPU and device reservations: `count` is a number or `all`, exclusive with `device_ids`. */
  private deviceRequests(value: unknown, path: ModelPath): unknown {
    if (!Array.isArray(value)) return value;
    return value.map((entry, i) => {
      if (!isMap(entry)) return entry;
      const request = {...entry};
      const hasCount = request.count !== undefined;
      if (hasCount && request.device_ids !== undefined) {
        this.report('error', [...path, i], '"count" and "device_ids" attributes are exclusive', 'keep `count` to ask for a number of devices, or `device_ids` to name them');
      } else if (!hasCount && request.device_ids === undefined) {
        request.count = 'all';
      } else if (typeof request.count === 'string') {
        if (request.count.toLowerCase() === 'all') request.count = 'all';
        else if (/^-?\d+$/.test(request.count)) request.count = Number(request.count);
        else this.report('error', [...path, i, 'count'], `invalid value "${request.count}", the only value allowed is 'all' or a number`, 'write `count: all` or a number of devices, e.g. `count: 1`');
      }
      return request;
    });
  }

  // ---- references to other things

  private fileRefs(value: unknown, path: ModelPath, secret: boolean): unknown {
    if (!Array.isArray(value)) return value;
    return value.map((entry, i): unknown => {
      if (typeof entry === 'string') return secret ? {source: entry, target: `/run/secrets/${entry}`} : {source: entry};
      if (!isMap(entry)) return entry;
      const ref = {...entry} as FileReference & RawMap;
      if (secret && ref.target === undefined) ref.target = `/run/secrets/${scalarText(ref.source)}`;
      if (entry.uid !== undefined) ref.uid = scalarText(entry.uid);
      if (entry.gid !== undefined) ref.gid = scalarText(entry.gid);
      if (typeof entry.mode === 'string') {
        // Compose reads a quoted mode as octal, the way chmod does.
        if (/^[0-7]{1,6}$/.test(entry.mode)) ref.mode = parseInt(entry.mode, 8);
        else this.report('error', [...path, i, 'mode'], `invalid file mode "${entry.mode}"`, 'write an octal mode such as 0440 (or "0440")');
      }
      return ref;
    });
  }

  private dependsOn(value: unknown): unknown {
    const out: Record<string, DependsOn> = {};
    if (Array.isArray(value)) {
      for (const name of value) setOwn(out, scalarText(name), {condition: 'service_started', required: true});
    } else if (isMap(value)) {
      for (const [name, d] of Object.entries(value)) {
        const dep = isMap(d) ? d : {};
        setOwn(out, name, {...dep, condition: (dep.condition as string | undefined) ?? 'service_started', required: (dep.required as boolean | undefined) ?? true});
      }
    } else {
      return value;
    }
    return out;
  }

  /** Compose starts a service after those it links to, shares a namespace with, or takes volumes from. */
  private impliedDependencies(service: RawMap): void {
    const deps = service.depends_on as Record<string, DependsOn>;
    const add = (name: string, restart: boolean) => {
      if (name && !Object.hasOwn(deps, name)) setOwn(deps, name, {condition: 'service_started', restart, required: true});
    };
    if (Array.isArray(service.links)) for (const link of service.links) add(scalarText(link).split(':')[0], true);
    for (const ns of NAMESPACES) {
      const v = service[ns];
      if (typeof v === 'string' && v.startsWith('service:')) add(v.slice('service:'.length), true);
    }
    for (const from of Array.isArray(service.volumes_from) ? service.volumes_from : []) {
      const text = scalarText(from);
      if (!text.startsWith('container:')) add(text.split(':')[0], false);
    }
  }

  // ---- nested sections

  private healthcheck(value: unknown): unknown {
    if (!isMap(value)) return value;
    const check = {...value};
    // `test: NONE` can only mean "no healthcheck": no shell command is called NONE.
    if (check.test === 'NONE') check.test = ['NONE'];
    else if (typeof check.test === 'string') check.test = ['CMD-SHELL', check.test];
    else if (Array.isArray(check.test)) check.test = check.test.map(scalarText);
    return check;
  }

  private deploy(value: unknown, path: ModelPath): unknown {
    if (!isMap(value)) return value;
    const deploy = {...value};
    if ('labels' in deploy) deploy.labels = this.mapping(deploy.labels);
    if (isMap(deploy.resources)) {
      const resources = {...deploy.resources};
      for (const k of ['limits', 'reservations']) {
        const r = resources[k];
        if (!isMap(r)) continue;
        const p = [...path, 'resources', k];
        const out = {...r};
        if ('memory' in out) out.memory = this.bytes(out.memory, [...p, 'memory']);
        if ('cpus' in out) out.cpus = this.cpus(out.cpus, [...p, 'cpus']);
        if ('devices' in out) out.devices = this.deviceRequests(out.devices, [...p, 'devices']);
        resources[k] = out;
      }
      deploy.resources = resources;
    }
    return deploy;
  }

  private develop(value: unknown, path: ModelPath): unknown {
    if (!isMap(value) || !Array.isArray(value.watch)) return value;
    const watch = value.watch.map((w, i) => {
      if (!isMap(w)) return w;
      if (w.path === '') this.report('error', [...path, 'watch', i, 'path'], 'watch path must not be empty', 'set `path` to the folder or file to watch');
      const out = {...w};
      if ('ignore' in out) out.ignore = stringList(out.ignore);
      if ('include' in out) out.include = stringList(out.include);
      return out;
    });
    return {...value, watch};
  }

  // ---- top-level resources

  private resources(kind: (typeof RESOURCE_KINDS)[number], value: unknown, project: string): Record<string, FileObjectDef> {
    const out: Record<string, FileObjectDef> = {};
    if (!isMap(value)) return out;
    for (const [key, def] of Object.entries(value)) {
      const resource = this.resource(kind, key, isMap(def) ? def : {});
      if (resource.name === undefined) resource.name = resource.external === true ? key : `${project}_${key}`;
      setOwn(out, key, {name: resource.name, ...resource});
    }
    return out;
  }

  private resource(kind: string, key: string, def: RawMap): FileObjectDef {
    const path = [kind, key];
    const out = {...def} as FileObjectDef;
    if (isMap(def.external)) {
      out.external = true;
      if (def.external.name !== undefined) {
        const extName = scalarText(def.external.name);
        if (def.name !== undefined && def.name !== extName) {
          this.report('error', [...path, 'external', 'name'], `${kind}.${key}: name and external.name conflict; only use name`, `remove external.name and keep \`name: ${scalarText(def.name)}\` with \`external: true\``);
        } else {
          this.report('warning', [...path, 'external', 'name'], `${kind}.${key}: external.name is deprecated. Please set name and external: true`, `write \`name: ${extName}\` and \`external: true\``);
          out.name = extName;
        }
      }
    }
    if ('labels' in def) out.labels = this.mapping(def.labels) as Record<string, string>;
    if ('driver_opts' in def) out.driver_opts = this.mapping(def.driver_opts) as Record<string, string>;
    if (kind === 'volumes' && out.external === true) {
      for (const k of Object.keys(def)) {
        if (k !== 'name' && k !== 'external' && !k.startsWith('x-')) {
          this.report('error', [...path, k], `${kind}.${key}: conflicting parameters "external" and "${k}" specified`, `remove "${k}": an external volume is created outside this project`);
        }
      }
    }
    return out;
  }
}

/**
 * `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]` as the Docker CLI reads it; port ranges give
 * one entry per container port. Returns the reason as a string when the spec is invalid.
 */
export function parsePortSpec(spec: string): PortConfig[] | string {
  let rest = spec;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!PROTOCOLS.has(protocol)) return `unknown protocol "${protocol}"`;
  }
  const parts = rest.split(':');
  const container = parts[parts.length - 1];
  const host = parts.length >= 2 ? parts[parts.length - 2] : '';
  let ip = parts.length >= 3 ? parts.slice(0, -2).join(':') : '';
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== '' && isIP(ip) === 0) return `invalid IP address "${ip}"`;
  const targets = parsePortRange(container);
  if (!targets) return `invalid container port "${container}"`;
  const hosts = host === '' ? undefined : parsePortRange(host);
  if (host !== '' && !hosts) return `invalid host port "${host}"`;
  const count = targets[1] - targets[0] + 1;
  if (hosts && hosts[1] - hosts[0] + 1 !== count && count !== 1) return 'the host and container port ranges have different sizes';
  const out: PortConfig[] = [];
  for (let i = 0; i < count; i++) {
    const port: PortConfig = {mode: 'ingress', target: targets[0] + i, protocol};
    if (ip) port.host_ip = ip;
    // A single container port may be published on any port of a host range.
    if (hosts) port.published = count === 1 ? host : String(hosts[0] + i);
    out.push(port);
  }
  return out;
}

function parsePortRange(text: string): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start <= end && end <= 65535 ? [start, end] : undefined;
}

/**
 * Turns a merged, cast, schema-valid raw model into the canonical `ComposeModel`. Problems it finds
 * (an unreadable env file, a bind without source, a bad size or port) come back as diagnostics;
 * the project is still returned so callers can show as much as possible.
 */
export async function normalize(raw: RawMap, ctx: NormalizeContext): Promise<{project: ComposeModel; diagnostics: Diagnostic[]}> {
  const n = new Normalizer(ctx);
  const project = await n.project(raw);
  return {project, diagnostics: n.diagnostics};
}
