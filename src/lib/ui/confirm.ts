// Confirmation before destroying something. Asked only when a person can answer (a TTY on both
// ends, not CI); otherwise the caller must say --yes, so a script never hangs on a question.

import {createInterface} from 'node:readline';

import {OperationError, UsageError} from '../errors.ts';

export interface ConfirmOptions {
  question: string;
  /** What would be removed, for the error when nobody can answer: `stack "web" in project "demo"`. */
  subject: string;
  /** --yes was given. */
  yes: boolean;
  /** canPrompt(): a person can answer. */
  interactive: boolean;
  /** What the user can pass instead, quoted in the hint, e.g. `spin rm --stack web --yes`. */
  command: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Resolves when the action may go ahead; throws when it may not (usage: 2, declined: 1). */
export async function confirmDestructive(options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  if (!options.interactive) {
    throw new UsageError(`removing ${options.subject} needs confirmation, and there is no terminal to ask`, {hint: `pass --yes to confirm: \`${options.command} --yes\``});
  }
  const rl = createInterface({input: options.input, output: options.output});
  options.output.write(`${options.question} [y/N] `);
  // End of input (Ctrl-D) before an answer counts as no.
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (/^\s*y(es)?\s*$/i.test(answer)) return;
  throw new OperationError(`cancelled: ${options.subject} was not removed`);
}
