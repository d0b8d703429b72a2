// `spin stop|start|restart [SERVICE…]` differ only in the verb: one implementation here, and each
// command file holds its own help text.

import {Args, Flags} from '@oclif/core';

import {SpinCommand} from './base.ts';
import {stackFlags} from './remote.ts';
import {connect, stackName} from './connect.ts';

export abstract class LifecycleCommand extends SpinCommand {
  static override args = {
    service: Args.string({description: 'Services to act on; several may be given. Default: every service of the stack.', multiple: true, ignoreStdin: true}),
  };

  static override flags = {
    ...stackFlags,
    json: Flags.boolean({description: 'Print the resulting status as JSON on stdout.'}),
  };

  protected abstract readonly action: 'stop' | 'start' | 'restart';

  async run(): Promise<void> {
    // Named explicitly: oclif spreads the class it parses for, which drops inherited statics.
    const {args, flags} = await this.parse({flags: LifecycleCommand.flags, baseFlags: SpinCommand.baseFlags, args: LifecycleCommand.args});
    const services = args.service ?? [];
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const p = project();
    const {status} = await client.lifecycle(p, stack, this.action, services);
    if (flags.json) this.out(JSON.stringify(status, null, 2));
    const done = {stop: 'stopped', start: 'started', restart: 'restarted'}[this.action];
    const what = services.length ? `${services.map((s) => `"${s}"`).join(', ')} in stack "${stack}"` : `stack "${stack}"`;
    this.err(`${done} ${what} of project "${p}"`);
  }
}
