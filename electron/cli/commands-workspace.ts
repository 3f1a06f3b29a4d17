/** CLI commands for GHCi, artefacts, GHC versions (issue 6). */
import type { Command } from './cli-support.ts';

export const workspaceCommands: Record<string, Command> = {};
