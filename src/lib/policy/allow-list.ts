// The rules that make the policy an allow-list: the field table itself (fields.ts), and the
// values of the objects a stack creates beside its containers (networks, volumes), of its log
// driver and of its secret and config files. Each names what it accepts; everything else is refused.

import {parseBytes} from '../compose/units.ts';
import {fieldProblems, isUnset} from './fields.ts';
import {list, quoteList, services, type Rule} from './rules.ts';
import {formatBytes} from './values.ts';

const fields: Rule = {
  id: 'fields',
  summary: 'every compose field that reaches the engine is known harmless or bounded by a rule; any other field is refused',
  check({project, report}) {
    for (const p of fieldProblems(project)) report(p.path, p.message, p.hint);
  },
};

const networks: Rule = {
  id: 'networks',
  summary: "a stack's own networks use an allowed driver (bridge), with no driver options and no addressing of their own",
  check({project, policy, report}) {
    const drivers = policy.networks.drivers;
    for (const [key, def] of Object.entries(project.networks ?? {})) {
      if (!def || def.external) continue;
      const driver = def.driver ?? 'bridge';
      if (!drivers.includes(driver)) {
        report(['networks', key, 'driver'], `network "${key}" uses driver "${driver}", which the platform does not allow`, `remove driver (the default is ${drivers[0] ?? 'bridge'}); allowed: ${quoteList(drivers)}`);
      }
      if (!isUnset(def.driver_opts)) {
        report(['networks', key, 'driver_opts'], `network "${key}" sets driver_opts, which can take over the host's own network interfaces`, `remove driver_opts from network "${key}"`);
      }
      if (!isUnset(def.ipam)) {
        report(['networks', key, 'ipam'], `network "${key}" sets ipam; subnets of its own could overlap the host's networks`, `remove ipam from network "${key}": the engine picks a free subnet`);
      }
    }
  },
};

/** Options a local volume's `o` may hold: a bind, and flags that only narrow it. */
const BIND_OPTIONS = new Set(['bind', 'rbind', 'ro', 'rw', 'nosuid', 'nodev', 'noexec']);

const volumes: Rule = {
  id: 'volumes',
  summary: 'named volumes use an allowed driver (local); driver_opts only bind a host folder (checked by bind-mounts), never mount a file system',
  check({project, policy, report}) {
    const drivers = policy.volumes.drivers;
    for (const [key, def] of Object.entries(project.volumes ?? {})) {
      if (!def || def.external) continue;
      const driver = def.driver ?? 'local';
      if (!drivers.includes(driver)) {
        report(['volumes', key, 'driver'], `volume "${key}" uses driver "${driver}", which the platform does not allow`, `remove driver (the default is local); allowed: ${quoteList(drivers)}`);
      }
      const opts = def.driver_opts;
      if (isUnset(opts)) continue;
      const at = ['volumes', key, 'driver_opts'];
      const why = 'remove driver_opts (a plain named volume), or bind a folder under an allowed root with {type: none, o: bind, device: /path}';
      const unknown = Object.keys(opts ?? {}).filter((k) => !['type', 'o', 'device'].includes(k));
      if (unknown.length > 0) {
        report([...at, unknown[0]], `volume "${key}" sets driver_opts ${quoteList(unknown)}, which the platform does not allow`, why);
        continue;
      }
      const type = String(opts?.type ?? 'none').trim();
      if (type !== 'none' && type !== '') {
        report([...at, 'type'], `volume "${key}" mounts a "${type}" file system on the host`, why);
        continue;
      }
      const options = String(opts?.o ?? '').split(',').map((o) => o.trim()).filter(Boolean);
      const bad = options.filter((o) => !BIND_OPTIONS.has(o));
      if (bad.length > 0 || !options.some((o) => o === 'bind' || o === 'rbind')) {
        report([...at, 'o'], `volume "${key}" sets driver_opts o: "${options.join(',')}", which is not a bind of a host folder`, why);
      }
    }
  },
};

/** Log options each allowed driver may take; all keep the logs on the host. */
const LOG_OPTIONS = new Set(['max-size', 'max-file', 'compress']);

const logging: Rule = {
  id: 'logging',
  summary: 'logs stay on the host: an allowed log driver (json-file, local) with bounded rotation',
  check({project, policy, report}) {
    const {drivers, max_size: maxSize, max_file: maxFile} = policy.logging;
    for (const [name, svc] of services(project)) {
      const log = svc.logging as {driver?: unknown; options?: Record<string, unknown> | null} | undefined;
      if (!log || typeof log !== 'object') continue;
      const at = ['services', name, 'logging'];
      const driver = log.driver === undefined || log.driver === null ? 'json-file' : String(log.driver);
      if (!drivers.includes(driver)) {
        report([...at, 'driver'], `service "${name}" sends its logs to driver "${driver}", which the platform does not allow`, `remove logging.driver, or use one of ${quoteList(drivers)}; read logs with \`spin logs\``);
      }
      for (const [key, value] of Object.entries(log.options ?? {})) {
        const path = [...at, 'options', key];
        if (!LOG_OPTIONS.has(key)) {
          report(path, `service "${name}" sets log option "${key}", which the platform does not allow`, `remove it; allowed: ${quoteList([...LOG_OPTIONS])}`);
        } else if (key === 'max-size') {
          const n = parseBytes(value);
          if (n === undefined || n <= 0 || n > maxSize) report(path, `service "${name}" sets log max-size ${JSON.stringify(value)}; it may be at most ${formatBytes(maxSize)}`, `set max-size to at most ${formatBytes(maxSize)}`);
        } else if (key === 'max-file') {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 1 || n > maxFile) report(path, `service "${name}" sets log max-file ${JSON.stringify(value)}; it may be 1 to ${maxFile}`, `set max-file to at most ${maxFile}`);
        }
      }
    }
  },
};

/** Permission bits a secret or config file may have: no setuid, setgid or sticky bit. */
const FILE_MODE_BITS = 0o777;

const files: Rule = {
  id: 'files',
  summary: 'secret and config files belong to the service\'s own non-root user and have no setuid, setgid or sticky bit',
  check({project, report}) {
    for (const [name, svc] of services(project)) {
      for (const kind of ['secrets', 'configs'] as const) {
        list(svc[kind]).forEach((ref, i) => {
          const at = ['services', name, kind, i];
          for (const id of ['uid', 'gid'] as const) {
            const v = ref?.[id];
            if (v === undefined || v === null) continue;
            const text = String(v).trim();
            if (!/^\d{1,10}$/.test(text) || Number(text) === 0) {
              report([...at, id], `service "${name}" gives ${kind.slice(0, -1)} "${ref.source}" ${id} ${JSON.stringify(v)}; it must be a numeric id other than 0 (root)`, `remove ${id} (the file then belongs to the service's user), or give your own numeric id`);
            }
          }
          const mode = ref?.mode;
          if (mode !== undefined && mode !== null && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || (mode & ~FILE_MODE_BITS) !== 0)) {
            const shown = typeof mode === 'number' ? `0${mode.toString(8)}` : JSON.stringify(mode);
            report([...at, 'mode'], `service "${name}" gives ${kind.slice(0, -1)} "${ref.source}" mode ${shown}, with a setuid, setgid or sticky bit`, 'use plain permission bits, e.g. 0400 or 0440');
          }
        });
      }
    }
  },
};

export const ALLOW_LIST_RULES: readonly Rule[] = [fields, networks, volumes, logging, files];
