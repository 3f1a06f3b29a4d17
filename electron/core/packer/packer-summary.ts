import type { PackerArtifact, PackerEvent, PackerLogLine } from './packer-output.ts';

export interface PackerStep {
  build: string;
  step: string;
}

/**
 * What a run has shown so far, folded from parser events: the UI reads the current step, the
 * runner reads artifacts and the failing step when Packer exits.
 */
export class PackerSummary {
  version: string | undefined;
  prerelease: string | undefined;
  commit: string | undefined;
  currentStep: PackerStep | undefined;
  /** The step that was running when the first error appeared (cleanup steps come later). */
  failedStep: string | undefined;
  errorCount: number | undefined;
  readonly errors: string[] = [];
  readonly artifacts: PackerArtifact[] = [];
  readonly artifactCounts = new Map<string, number>();
  readonly finishedBuilds: string[] = [];
  readonly erroredBuilds: { build: string; message: string }[] = [];
  readonly lines: PackerLogLine[] = [];

  apply(event: PackerEvent): void {
    switch (event.kind) {
      case 'log':
        this.lines.push(event.line);
        break;
      case 'step':
        this.currentStep = { build: event.build, step: event.step };
        break;
      case 'error':
        this.noteFailure(event.message);
        this.errors.push(event.message);
        break;
      case 'build-errored':
        this.noteFailure(event.message);
        this.erroredBuilds.push({ build: event.build, message: event.message });
        break;
      case 'build-finished':
        this.finishedBuilds.push(event.build);
        break;
      case 'error-count':
        this.errorCount = event.count;
        break;
      case 'artifact-count':
        this.artifactCounts.set(event.build, event.count);
        break;
      case 'artifact':
        this.artifacts.push(event.artifact);
        break;
      case 'version':
        this[event.field] = event.value;
        break;
      case 'other':
        break;
    }
  }

  get failed(): boolean {
    return this.errors.length > 0 || this.erroredBuilds.length > 0 || (this.errorCount ?? 0) > 0;
  }

  private noteFailure(message: string): void {
    if (this.failedStep !== undefined) return;
    this.failedStep = this.currentStep?.step ?? actionOf(message) ?? message;
  }
}

// "Error starting VM: retry count exhausted..." -> "starting VM": with no step line before the
// error, the error's own headline says what was being done.
function actionOf(message: string): string | undefined {
  return /^Error ([a-z]+ing\b[^:]*):/i.exec(message)?.[1];
}

export function summarizePackerEvents(events: readonly PackerEvent[]): PackerSummary {
  const summary = new PackerSummary();
  for (const event of events) summary.apply(event);
  return summary;
}
