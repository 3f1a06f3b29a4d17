/** CLI commands for State Hub, credentials, SSH config, tunnel health (issue 5). */
import type { Command } from './cli-support.ts';

export const hubCommands: Record<string, Command> = {};
