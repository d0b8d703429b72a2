import {LifecycleCommand} from '../cli/lifecycle.ts';

export default class Start extends LifecycleCommand {
  static override summary = 'Start the stopped containers of a stack, or of some services.';

  static override description = `Runs the containers the current revision defines again, as they were; it does not deploy. On a Swarm cluster a stopped service goes back to the count it had. A confirmation goes to stderr; --json prints the resulting status on stdout.`;

  static override examples = [
    {description: 'Start the whole stack named after the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Start two services of stack "portal" in project "genomics"', command: '<%= config.bin %> <%= command.id %> web worker --stack portal --project genomics'},
  ];

  protected readonly action = 'start';
}
