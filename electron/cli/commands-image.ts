/** CLI commands for the build-machine image (issue 4). */
import type { Command } from './cli-support.ts';

export const imageCommands: Record<string, Command> = {};
