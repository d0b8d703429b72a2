import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect} from '../cli/connect.ts';

export default class Dashboard extends SpinCommand {
  static override summary = "Print (or open) the URL of the current context's web dashboard.";

  static override description = `Asks the agent where it serves its dashboard (\`spin agent start --dashboard-listen\`) and prints the
URL on stdout. The URL carries no token: the page asks for one, and \`spin login\`'s token works.
Exit status 1 when the agent serves no dashboard.`;

  static override examples = [
    {description: "The current context's dashboard", command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Open it in the default browser', command: '<%= config.bin %> <%= command.id %> --open'},
    {description: "Another context's, as JSON", command: 'SPIN_CONTEXT=prod <%= config.bin %> <%= command.id %> --json'},
  ];

  static override flags = {
    open: Flags.boolean({description: 'Open the URL in the default browser as well.'}),
    json: Flags.boolean({description: 'Print {"url", "context"} as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Dashboard);
    const {ctx, client} = await connect(this.factory, {});
    const {findDashboard, openInBrowser} = await import('../lib/client/dashboard.ts');
    const dashboard = await findDashboard(client, ctx);
    if (flags.json) this.out(JSON.stringify(dashboard, null, 2));
    else this.out(dashboard.url);
    if (flags.open) {
      await openInBrowser(dashboard.url);
      this.err(`opened ${dashboard.url} in the default browser`);
    }
  }
}
