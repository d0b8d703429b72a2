// oclif calls this for a command it does not know (`spin stak`): one line saying so and the
// closest command as a hint, exit 2 (a usage error), in the same shape as every other error.

import type {Hook} from '@oclif/core';

const hook: Hook<'command_not_found'> = async function ({id, config}) {
  const [{closest}, {detectTerminal, palette}] = await Promise.all([import('../lib/suggest.ts'), import('../lib/ui/terminal.ts')]);
  const shown = (commandId: string) => `spin ${commandId.replaceAll(':', ' ')}`;
  const names = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  // Command names are short: two edits (or half the word) still read as a typo of one.
  const suggestion = closest(id, names, Math.max(2, Math.floor(id.length / 2)));
  const topic = id.includes(':') ? config.topics.find((t) => t.name === id.slice(0, id.lastIndexOf(':'))) : undefined;
  const c = palette(detectTerminal(process.stderr).color);
  const hint = suggestion
    ? `did you mean \`${shown(suggestion)}\`? \`spin --help\` lists every command`
    : topic
      ? `\`${shown(topic.name)} --help\` lists its commands`
      : '`spin --help` lists every command';
  process.stderr.write(`${c.red('error:')} unknown command "${shown(id)}"\n${c.dim('hint:')} ${hint}\n`);
  process.exitCode = 2;
};

export default hook;
