/**
 * Reads build progress from `cabal build` / `cabal test` / `ghc --make` output as it streams:
 * which component is building, `[3 of 5] Compiling Foo`, linking, test suites and results.
 * It reads the same log as the diagnostics parser and numbers lines the same way.
 */
import { PlainLineReader, type LogLine } from './ansi.ts';

export type BuildPhase =
  /** `Resolving dependencies...` */
  | 'resolving'
  /** One line of the build plan: ` - pkg-0.1 (lib) (first run)`. */
  | 'planned'
  | 'configuring'
  | 'preprocessing'
  | 'building'
  /** `[3 of 5] Compiling Foo`: `done`, `total` and `module` are set. */
  | 'compiling'
  /** `[2 of 2] Linking path` (GHC 9.4+) or `Linking path ...` (older, no counter). */
  | 'linking'
  /** `Running 1 test suites...`, `Test suite spec: RUNNING...` */
  | 'testing'
  /** `Test suite spec: PASS` / `FAIL`: `passed` is set. */
  | 'tested'
  /** `Up to date`: nothing needed building. */
  | 'up-to-date';

export interface BuildProgress {
  phase: BuildPhase;
  /** Index of the line in the log. */
  logLine: number;
  /** `snake-fury-0.1.0.0`: the package being built, when cabal said. */
  package?: string;
  /** cabal's target syntax: `lib`, `lib:internal`, `exe:main`, `test:spec`, `bench:b`. */
  component?: string;
  /** The GHC step counter `[done of total]`; it restarts for each component. */
  done?: number;
  total?: number;
  module?: string;
  /** What is being linked, as printed. */
  output?: string;
  testSuite?: string;
  passed?: boolean;
}

const COMPONENT_KINDS: Record<string, string> = {
  library: 'lib',
  executable: 'exe',
  'test suite': 'test',
  benchmark: 'bench',
  'foreign library': 'flib',
};

/**
 * `Building library for x-0.1.0.0..` (two dots up to cabal 3.8, three since 3.10),
 * `Configuring executable 'main' for x-0.1...`, or old `Building x-0.1.0.0...`.
 */
const COMPONENT_STEP = new RegExp(
  [
    String.raw`^(?<step>Configuring|Preprocessing|Building)\s+`,
    String.raw`(?:(?<kind>library|executable|test suite|benchmark|foreign library)`,
    String.raw`(?:\s+instance)?(?:\s+'(?<name>[^']+)')?\s+for\s+)?`,
    String.raw`(?<package>\S+?)\.{2,3}\s*$`,
  ].join(''),
);

/** `[ 3 of 12] Compiling Foo ( src/Foo.hs, obj )` or, since GHC 9.4, without the parens. */
const GHC_STEP = /^\[\s*(?<done>\d+) of (?<total>\d+)\]\s+(?<action>\w+)\s+(?<what>.*)$/;
const PLAN_LINE = /^ - (?<package>\S+) \((?<component>[^)]+)\)/;
const LINKING = /^Linking (?<output>.*?)(?: \.\.\.)?$/;
const TESTS_RUNNING = /^Running \d+ test suites?\.\.\./;
const TEST_SUITE = /^Test suite (?<suite>\S+): (?<status>RUNNING|PASS|FAIL)\b/;

const PHASES: Record<string, BuildPhase> = {
  Configuring: 'configuring',
  Preprocessing: 'preprocessing',
  Building: 'building',
};

export class BuildProgressParser {
  private readonly reader = new PlainLineReader();
  private package: string | undefined;
  private component: string | undefined;

  push(chunk: string): BuildProgress[] {
    return this.reader.push(chunk).flatMap((line) => this.pushLine(line));
  }

  end(): BuildProgress[] {
    return this.reader.end().flatMap((line) => this.pushLine(line));
  }

  /** Feeds one line already split and stripped elsewhere (another reader of the same log). */
  pushLine(line: LogLine): BuildProgress[] {
    const event = this.read(line.text.trimEnd(), line.index);
    return event ? [event] : [];
  }

  private read(text: string, logLine: number): BuildProgress | undefined {
    const step = GHC_STEP.exec(text)?.groups;
    if (step) return this.ghcStep(step, logLine);

    const component = COMPONENT_STEP.exec(text)?.groups;
    if (component) {
      this.package = component.package;
      this.component = componentName(component.kind, component.name);
      return this.event(PHASES[component.step ?? ''] ?? 'building', logLine);
    }

    const linking = LINKING.exec(text)?.groups;
    if (linking) return { ...this.event('linking', logLine), output: linking.output };

    const test = TEST_SUITE.exec(text)?.groups;
    if (test) {
      const testSuite = test.suite ?? '';
      if (test.status === 'RUNNING') return { ...this.event('testing', logLine), testSuite };
      return { ...this.event('tested', logLine), testSuite, passed: test.status === 'PASS' };
    }

    const plan = PLAN_LINE.exec(text)?.groups;
    if (plan)
      return { phase: 'planned', logLine, package: plan.package, component: plan.component };

    if (TESTS_RUNNING.test(text)) return this.event('testing', logLine);
    if (text.startsWith('Resolving dependencies')) return { phase: 'resolving', logLine };
    if (text === 'Up to date') return { phase: 'up-to-date', logLine };
    return undefined;
  }

  private ghcStep(step: Record<string, string | undefined>, logLine: number): BuildProgress {
    const counter = { done: Number(step.done), total: Number(step.total) };
    const what = step.what ?? '';

    if (step.action === 'Linking') {
      return {
        ...this.event('linking', logLine),
        ...counter,
        output: what.replace(/ \.\.\.$/, ''),
      };
    }
    // `Foo ( src/Foo.hs, obj )`, `Foo [Source file changed]`: the module is the first word.
    const module = what.split(/\s/)[0] ?? what;
    return { ...this.event('compiling', logLine), ...counter, module };
  }

  private event(phase: BuildPhase, logLine: number): BuildProgress {
    const event: BuildProgress = { phase, logLine };
    if (this.package !== undefined) event.package = this.package;
    if (this.component !== undefined) event.component = this.component;
    return event;
  }
}

/** Parses a whole log at once. */
export function parseBuildProgress(text: string): BuildProgress[] {
  const parser = new BuildProgressParser();
  return [...parser.push(text), ...parser.end()];
}

function componentName(kind: string | undefined, name: string | undefined): string | undefined {
  if (kind === undefined) return undefined;
  const prefix = COMPONENT_KINDS[kind] ?? kind;
  return name === undefined ? prefix : `${prefix}:${name}`;
}
