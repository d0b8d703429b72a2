// `spin exec` reads its command line as `docker compose exec` does: spin's options, then SERVICE,
// then the command with its own arguments and flags untouched (`spin exec db ls -l`). A `--` is
// optional; spin's options may also sit between SERVICE and a `--` (`spin exec web -it -- sh`).

/** Which of the command's flags take a value: long names and one-letter aliases. */
export interface FlagArity {
  /** Every long name spin knows, and whether it takes a value. */
  long: ReadonlyMap<string, boolean>;
  /** Every one-letter alias, and whether it takes a value. */
  short: ReadonlyMap<string, boolean>;
}

export interface ExecArgv {
  /** spin's own options, for the flag parser. */
  options: string[];
  /** Undefined when the line names no service. */
  service?: string;
  /** The command to run, exactly as typed. */
  command: string[];
}

/** How many tokens the option at `argv[i]` spans (1 or 2); 0 when it is not one of spin's options. */
function optionLength(argv: readonly string[], i: number, flags: FlagArity): number {
  const arg = argv[i];
  if (arg.startsWith('--')) {
    const [name] = arg.slice(2).split('=', 1);
    const takesValue = flags.long.get(name);
    if (takesValue === undefined) return 0;
    return takesValue && !arg.includes('=') && i + 1 < argv.length ? 2 : 1;
  }
  if (!arg.startsWith('-') || arg.length < 2) return 0;
  // A cluster of one-letter options (`-it`); one that takes a value ends it (`-uroot`, `-u root`).
  for (let j = 1; j < arg.length; j++) {
    const takesValue = flags.short.get(arg[j]);
    if (takesValue === undefined) return 0;
    if (takesValue) return j === arg.length - 1 && i + 1 < argv.length ? 2 : 1;
  }
  return 1;
}

export function splitExecArgv(argv: readonly string[], flags: FlagArity): ExecArgv {
  const options: string[] = [];
  let i = 0;
  // Before SERVICE every dash word is spin's (an unknown one is left for the parser to refuse).
  while (i < argv.length && argv[i] !== '--' && argv[i].startsWith('-') && argv[i].length > 1) {
    const n = Math.max(optionLength(argv, i, flags), 1);
    options.push(...argv.slice(i, i + n));
    i += n;
  }
  if (argv[i] === '--') i++;
  if (i >= argv.length) return {options, command: []};
  const service = argv[i];
  const rest = argv.slice(i + 1);
  // `SERVICE [spin options] -- CMD…`: options only if every word up to the `--` is one of spin's.
  const end = rest.indexOf('--');
  if (end >= 0) {
    const between: string[] = [];
    let j = 0;
    while (j < end) {
      const n = optionLength(rest, j, flags);
      if (n === 0 || j + n > end) break;
      between.push(...rest.slice(j, j + n));
      j += n;
    }
    if (j === end) return {options: [...options, ...between], service, command: rest.slice(end + 1)};
  }
  return {options, service, command: rest};
}
