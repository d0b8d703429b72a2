import {LifecycleCommand} from '../cli/lifecycle.ts';

export default class Restart extends LifecycleCommand {
  static override summary = "Restart a stack's containers, or only some services.";

  static override description = `Stops and starts the same containers: configuration and image stay as they are. To change them, deploy again. On a Swarm cluster every task is replaced, one after the other as the service's update_config says. A confirmation goes to stderr; --json prints the resulting status on stdout.`;

  static override examples = [
    {description: 'Restart every service of the stack', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Restart the web service of stack "portal"', command: '<%= config.bin %> <%= command.id %> web --stack portal'},
  ];

  protected readonly action = 'restart';
}
