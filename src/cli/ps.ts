// `spin ps`: the stack's replicas from the agent, as a table or JSON. Run by the oclif command
// (commands/ps.ts) and, without oclif, by the fast path (fast.ts): it is the command people and
// CI scripts poll most, so it must answer in about the time `docker ps` takes.

import {connect, stackName} from './connect.ts';
import type {Factory} from './factory.ts';
import {writeLine} from './io.ts';

export interface PsFlags {
  project?: string;
  stack?: string;
  file?: string[];
  json?: boolean;
}

export async function ps(factory: Factory, flags: PsFlags): Promise<void> {
  const {client, project} = await connect(factory, flags);
  const stack = await stackName(factory, flags);
  const p = project();
  const {status} = await client.stack(p, stack);
  if (flags.json) return writeLine(factory.stdout, JSON.stringify(status, null, 2));
  const {countContainers, renderPs} = await import('../lib/ui/status.ts');
  if (countContainers(status) === 0) {
    writeLine(factory.stderr, `stack "${stack}" in project "${p}" has no containers`);
    writeLine(factory.stderr, 'hint: deploy it with `spin deploy`, or scale a service up with `spin scale SERVICE=N`');
    return;
  }
  writeLine(factory.stdout, renderPs(status, factory.stdout.terminal));
}
