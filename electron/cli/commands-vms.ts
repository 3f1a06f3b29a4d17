/** CLI commands for VM lifecycle (issue 3). */
import type { Command } from './cli-support.ts';

export const vmCommands: Record<string, Command> = {};
