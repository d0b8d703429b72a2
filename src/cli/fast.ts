// The fast path: a few commands that scripts and people poll (`spin ps`) run without loading
// oclif, which costs more than the whole rest of such a command (about 250 ms of module loading
// on these machines, against a `docker ps` that answers in 30 ms).
//
// The flags are not defined twice: they are read from oclif.manifest.json, which the build writes
// from the oclif command's own definition. Anything this parser does not take as it is (an unknown
// flag, a positional argument, --help, a flag type it cannot parse) falls back to oclif, which
// then says what is wrong in its usual words. A fast command runs the same function the oclif
// command runs and reports failures the same way (io.ts).

// Every other command passes through here on its way to oclif, so this module loads nothing
// until argv names a fast command.
import {readFileSync} from 'node:fs';
import {parseArgs, type ParseArgsConfig} from 'node:util';

import type {Factory} from './factory.ts';
import type {CommandError} from './io.ts';

type Run = (factory: Factory, flags: Record<string, unknown>, args: string[]) => Promise<void>;

interface FastCommand {
  /** The function the oclif command runs too. */
  load(): Promise<Run>;
  /** It takes arguments (`spin logs web api`). */
  args?: boolean;
  /**
   * Values as the command's oclif flags would give them, or undefined to leave the command to
   * oclif (the manifest does not say which flags are integers, nor their bounds).
   */
  convert?(values: Record<string, unknown>): Record<string, unknown> | undefined;
}

/** The commands with a fast path. */
const FAST: Record<string, FastCommand> = {
  ps: {load: async () => (await import('./ps.ts')).ps as Run},
  logs: {
    load: async () => (await import('./logs.ts')).logs as Run,
    args: true,
    convert: (values) => {
      if (values.tail === undefined) return values;
      return typeof values.tail === 'string' && /^\d{1,9}$/.test(values.tail) ? {...values, tail: Number(values.tail)} : undefined;
    },
  },
};

/** A flag as oclif.manifest.json describes it. */
interface ManifestFlag {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  multiple?: boolean;
  allowNo?: boolean;
  default?: unknown;
  env?: string;
  options?: unknown[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options for the flags, or undefined when one needs more than parseArgs can do. */
export function parseOptions(flags: Record<string, ManifestFlag>): Options | undefined {
  const options: Options = {};
  for (const flag of Object.values(flags)) {
    // `--no-x`, choices and typed parsers (integers) are oclif's job.
    if (flag.allowNo || flag.options) return undefined;
    options[flag.name] = {type: flag.type === 'boolean' ? 'boolean' : 'string', ...(flag.char ? {short: flag.char} : {}), ...(flag.multiple ? {multiple: true} : {})};
  }
  return options;
}

/** The flag values as oclif would give them: parsed, else from the flag's variable, else its default. */
export function flagValues(argv: string[], flags: Record<string, ManifestFlag>, env: NodeJS.ProcessEnv, allowArgs = false): {values: Record<string, unknown>; args: string[]} | undefined {
  const options = parseOptions(flags);
  if (!options) return undefined;
  let values: Record<string, unknown>;
  let args: string[];
  try {
    const parsed = parseArgs({args: argv, options, strict: true, allowPositionals: allowArgs});
    values = {...parsed.values};
    args = parsed.positionals;
  } catch {
    return undefined;
  }
  for (const flag of Object.values(flags)) {
    if (values[flag.name] !== undefined) continue;
    const fromEnv = flag.env ? env[flag.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') values[flag.name] = flag.type === 'boolean' ? ['1', 'true', 'yes', 'on'].includes(fromEnv.toLowerCase()) : fromEnv;
    else if (flag.default !== undefined) values[flag.name] = flag.default;
  }
  return {values, args};
}

/** Runs `argv` on the fast path; false when it is not one (then oclif runs it). */
export async function runFast(argv: string[], manifestFile: URL): Promise<boolean> {
  const command = FAST[argv[0]];
  if (!command) return false;
  let flags: Record<string, ManifestFlag> | undefined;
  try {
    flags = (JSON.parse(readFileSync(manifestFile, 'utf8')) as {commands?: Record<string, {flags?: Record<string, ManifestFlag>}>}).commands?.[argv[0]]?.flags;
  } catch {
    return false;
  }
  const parsed = flags ? flagValues(argv.slice(1), flags, process.env, command.args === true) : undefined;
  const values = parsed && (command.convert ? command.convert(parsed.values) : parsed.values);
  if (!parsed || !values) return false;
  const [{processFactory}, {reportFailure}] = await Promise.all([import('./factory.ts'), import('./io.ts')]);
  const factory = processFactory();
  try {
    await (await command.load())(factory, values, parsed.args);
  } catch (err) {
    await reportFailure(err as CommandError, {factory, json: values.json === true, debug: values.debug === true});
  } finally {
    factory.close();
  }
  return true;
}
