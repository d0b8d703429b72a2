import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';

export default class History extends SpinCommand {
  static override summary = "List a stack's revisions, newest first: who deployed what, when, and how it went.";

  static override description = `Each deploy, scale or rollback records a revision with the image digests it ran. IMAGES shows each service's image as \`spin ps\` does: its name and tag, then the first 12 hex digits of the digest. CURRENT marks (*) the revision the stack runs: after a failed deploy rolled back, the one it went back to. \`spin rollback --to N\` restores revision N exactly.`;

  static override examples = [
    {description: 'The revisions of the stack named after the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The last good revision of stack "portal", for a rollback', command: '<%= config.bin %> <%= command.id %> --stack portal --json | jq "[.revisions[] | select(.outcome == \\"healthy\\")][0].number"'},
  ];

  static override flags = {
    ...stackFlags,
    json: Flags.boolean({description: 'Print the revisions as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(History);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const p = project();
    const {revisions, currentRevision} = await client.revisions(p, stack);
    if (flags.json) return this.out(JSON.stringify({project: p, stack, currentRevision: currentRevision ?? null, revisions}, null, 2));
    if (revisions.length === 0) {
      this.err(`stack "${stack}" in project "${p}" has no revisions yet`);
      return;
    }
    const {renderHistory} = await import('../lib/ui/status.ts');
    this.out(renderHistory(revisions, {...this.stdoutTerminal, current: currentRevision}));
  }
}
