import { DataDirInUseError } from '../db/data-dir.lock.js';
import { auditCommand } from './audit.command.js';
import { clientCommand } from './client.command.js';
import { directoryCommand } from './directory.command.js';
import { efiCommand } from './efi.command.js';
import type { Command } from './command.js';
import { importCommand } from './import.command.js';
import { startCommand } from './start.command.js';
import { synthCommand } from './synth.command.js';

const commands: Command[] = [startCommand, importCommand, synthCommand, auditCommand, clientCommand, efiCommand, directoryCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: npx onestory <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `npx onestory <command> --help` for the options of one command.',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // Expected at the command line (a server already running on the data directory): say what to
    // do, without a stack trace, and exit non-zero: no command reports success it could not keep.
    if (err instanceof DataDirInUseError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}
