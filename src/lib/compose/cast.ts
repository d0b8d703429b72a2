// Interpolation only produces strings, so `replicas: $N` arrives as "3". Compose casts the values
// of known numeric and boolean fields before the schema sees them; so does this phase. It also
// reads YAML 1.1 booleans (`yes`, `off`, ...), which a YAML 1.2 parser leaves as strings, in
// boolean fields only: `yes` stays a string wherever a string is legitimate.

import {diagnostic} from './diagnostics.ts';
import type {Locations} from './locations.ts';
import {formatPath} from './locations.ts';
import {setOwn} from './interpolate.ts';
import {isMap} from './merge.ts';
import type {Diagnostic, PathSegment, RawMap} from './types.ts';

type CastType = 'int' | 'float' | 'bool';

/**
 * Fields whose schema also accepts a string (so an uninterpolated `${VAR}` validates): a string
 * that does not cast is reported here, since the schema will let it through. `*` is any key or
 * list index. Modes of secrets and configs are absent on purpose: their strings are octal.
 */
const LENIENT: Record<string, CastType> = {
  'services.*.attach': 'bool',
  'services.*.blkio_config.weight': 'int',
  'services.*.blkio_config.weight_device.*.weight': 'int',
  'services.*.blkio_config.device_read_iops.*.rate': 'int',
  'services.*.blkio_config.device_write_iops.*.rate': 'int',
  'services.*.build.no_cache': 'bool',
  'services.*.build.privileged': 'bool',
  'services.*.build.pull': 'bool',
  'services.*.build.ulimits.*': 'int',
  'services.*.build.ulimits.*.hard': 'int',
  'services.*.build.ulimits.*.soft': 'int',
  'services.*.cpu_period': 'int',
  'services.*.cpu_quota': 'int',
  'services.*.cpu_rt_period': 'int',
  'services.*.cpu_rt_runtime': 'int',
  'services.*.cpu_shares': 'int',
  'services.*.cpus': 'float',
  'services.*.depends_on.*.restart': 'bool',
  'services.*.deploy.placement.max_replicas_per_node': 'int',
  'services.*.deploy.replicas': 'int',
  'services.*.deploy.resources.limits.cpus': 'float',
  'services.*.deploy.resources.limits.pids': 'int',
  'services.*.deploy.resources.reservations.cpus': 'float',
  'services.*.deploy.restart_policy.max_attempts': 'int',
  'services.*.deploy.rollback_config.max_failure_ratio': 'float',
  'services.*.deploy.rollback_config.parallelism': 'int',
  'services.*.deploy.update_config.max_failure_ratio': 'float',
  'services.*.deploy.update_config.parallelism': 'int',
  'services.*.develop.watch.*.exec.privileged': 'bool',
  'services.*.env_file.*.required': 'bool',
  'services.*.healthcheck.disable': 'bool',
  'services.*.healthcheck.retries': 'int',
  'services.*.init': 'bool',
  'services.*.mem_swappiness': 'int',
  'services.*.oom_kill_disable': 'bool',
  'services.*.pids_limit': 'int',
  'services.*.ports.*.target': 'int',
  'services.*.post_start.*.privileged': 'bool',
  'services.*.pre_stop.*.privileged': 'bool',
  'services.*.privileged': 'bool',
  'services.*.read_only': 'bool',
  'services.*.scale': 'int',
  'services.*.stdin_open': 'bool',
  'services.*.tty': 'bool',
  'services.*.ulimits.*': 'int',
  'services.*.ulimits.*.hard': 'int',
  'services.*.ulimits.*.soft': 'int',
  'services.*.volumes.*.bind.create_host_path': 'bool',
  'services.*.volumes.*.read_only': 'bool',
  'services.*.volumes.*.volume.nocopy': 'bool',
  'networks.*.attachable': 'bool',
  'networks.*.enable_ipv4': 'bool',
  'networks.*.enable_ipv6': 'bool',
  'networks.*.external': 'bool',
  'networks.*.internal': 'bool',
  'volumes.*.external': 'bool',
  'secrets.*.external': 'bool',
  'configs.*.external': 'bool',
};

/**
 * Fields whose schema refuses strings, or where another phase judges a string (a device `count`
 * may be `all`): cast when the string is clean, and leave the rest to them.
 */
const STRICT: Record<string, CastType> = {
  'services.*.cpu_count': 'int',
  'services.*.cpu_percent': 'int',
  'services.*.depends_on.*.required': 'bool',
  'services.*.deploy.resources.reservations.devices.*.count': 'int',
  'services.*.develop.watch.*.initial_sync': 'bool',
  'services.*.gpus.*.count': 'int',
  'services.*.networks.*.gw_priority': 'int',
  'services.*.networks.*.priority': 'int',
  'services.*.oom_score_adj': 'int',
  'services.*.use_api_socket': 'bool',
  'models.*.context_size': 'int',
};

interface Node {
  type?: CastType;
  report?: boolean;
  children: Map<string, Node>;
}

function buildTrie(): Node {
  const root: Node = {children: new Map()};
  const add = (table: Record<string, CastType>, report: boolean) => {
    for (const [pattern, type] of Object.entries(table)) {
      let node = root;
      for (const seg of pattern.split('.')) {
        let next = node.children.get(seg);
        if (!next) node.children.set(seg, (next = {children: new Map()}));
        node = next;
      }
      node.type = type;
      node.report = report;
    }
  };
  add(LENIENT, true);
  add(STRICT, false);
  return root;
}

const TRIE = buildTrie();

const TRUE = new Set(['true', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'no', 'n', 'off']);
const YAML12 = new Set(['true', 'false']);
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const EXPECTED: Record<CastType, [string, string]> = {
  int: ['an integer', 'write a whole number, e.g. 3'],
  float: ['a number', 'write a number, e.g. 0.5'],
  bool: ['a boolean', 'write true or false'],
};

export interface CastOptions {
  locations?: Locations;
  /** Receives errors for strings that cannot be cast and warnings for YAML 1.1 booleans. */
  diagnostics?: Diagnostic[];
}

class Caster {
  private readonly options: CastOptions;

  constructor(options: CastOptions) {
    this.options = options;
  }

  /** Returns `value` itself when nothing below it changed, so untouched subtrees are shared. */
  walk(value: unknown, node: Node, path: PathSegment[]): unknown {
    if (typeof value === 'string' && node.type) return this.cast(value, node, path);
    if (node.children.size === 0) return value;
    if (Array.isArray(value)) {
      const child = node.children.get('*');
      if (!child) return value;
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const v = this.walk(value[i], child, path);
        path.pop();
        if (v !== value[i]) (out ??= [...value])[i] = v;
      }
      return out ?? value;
    }
    if (!isMap(value)) return value;
    let out: RawMap | undefined;
    for (const key of Object.keys(value)) {
      const child = node.children.get(key) ?? node.children.get('*');
      if (!child) continue;
      path.push(key);
      const v = this.walk(value[key], child, path);
      path.pop();
      if (v !== value[key]) setOwn((out ??= {...value}), key, v);
    }
    return out ?? value;
  }

  private cast(text: string, node: Node, path: PathSegment[]): unknown {
    const type = node.type as CastType;
    if (type === 'bool') {
      const lower = text.toLowerCase();
      const b = TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
      if (b !== undefined && !YAML12.has(lower)) {
        this.report('warning', path, `"${text}" is a YAML 1.1 boolean, read as ${b}`, `write ${b}: YAML 1.2 reads "${text}" as a string`);
      }
      if (b !== undefined) return b;
    } else if (type === 'int' ? INT.test(text) : FLOAT.test(text)) {
      const n = Number(text);
      if (type === 'float' ? Number.isFinite(n) : Number.isSafeInteger(n)) return n;
    }
    if (node.report) {
      const [what, hint] = EXPECTED[type];
      this.report('error', path, `${formatPath(path)} must be ${what}, got "${text}"`, hint);
    }
    return text;
  }

  private report(severity: 'error' | 'warning', path: PathSegment[], message: string, hint: string): void {
    this.options.diagnostics?.push(diagnostic(this.options.locations, {severity, source: 'schema', message, path: [...path], hint}));
  }
}

/**
 * A copy of a raw model with the strings of numeric and boolean fields cast (`"3"` → 3, `"yes"` →
 * true). Strings that do not cast stay as they are; with `options.diagnostics`, those in fields
 * that accept strings in the schema are reported there. The input is not modified.
 */
export function castTypes(raw: RawMap, options: CastOptions = {}): RawMap {
  const out = new Caster(options).walk(raw, TRIE, []) as RawMap;
  return out === raw ? {...raw} : out;
}
