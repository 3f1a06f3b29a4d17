import { memo, useEffect, useMemo, useRef } from 'react';

import { logLines, segmentsOf } from '../lib/ansi-spans.ts';
import { usePanel } from '../state/store.ts';

const Line = memo(function Line({
  index,
  text,
  marked,
}: {
  index: number;
  text: string;
  marked: boolean;
}) {
  return (
    <div className={`log-line${marked ? ' marked' : ''}`} data-line={index}>
      {segmentsOf(text).map((segment, position) => (
        <span key={position} className={segment.className || undefined}>
          {segment.text}
        </span>
      ))}
    </div>
  );
});

/** The live build log with its colours; follows the tail unless the user scrolled up. */
export function LogView({ runId }: { runId: string }) {
  const text = usePanel((state) => state.logs[runId]?.text ?? '');
  const focus = usePanel((state) =>
    state.focusLine?.runId === runId ? state.focusLine : undefined,
  );
  const container = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const lines = useMemo(() => logLines(text), [text]);

  useEffect(() => {
    const element = container.current;
    if (element && following.current && !focus) element.scrollTop = element.scrollHeight;
  }, [lines, focus]);

  useEffect(() => {
    if (!focus) return;
    following.current = false;
    const target = container.current?.querySelector(`[data-line="${focus.line}"]`);
    target?.scrollIntoView({ block: 'center' });
  }, [focus]);

  return (
    <div
      className="log"
      ref={container}
      data-testid="build-log"
      role="log"
      aria-live="polite"
      onScroll={(event) => {
        const element = event.currentTarget;
        following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      }}
    >
      {lines.map((line, index) => (
        <Line key={index} index={index} text={line} marked={focus?.line === index} />
      ))}
    </div>
  );
}
