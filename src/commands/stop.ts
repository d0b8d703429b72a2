import {LifecycleCommand} from '../cli/lifecycle.ts';

export default class Stop extends LifecycleCommand {
  static override summary = "Stop a stack's containers, or only some services; nothing is removed.";

  static override description = `Stopped containers keep their configuration and volumes; \`spin start\` runs them again. On a Swarm cluster a service is scaled to 0 and remembers its count; a global service cannot be stopped. A confirmation goes to stderr; --json prints the resulting status on stdout.`;

  static override examples = [
    {description: 'Stop every service of the stack named after the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Stop only the worker of stack "portal"', command: '<%= config.bin %> <%= command.id %> worker --stack portal'},
    {description: 'Stop and print the status for a script', command: '<%= config.bin %> <%= command.id %> --stack portal --json | jq ".services[].running"'},
  ];

  protected readonly action = 'stop';
}
