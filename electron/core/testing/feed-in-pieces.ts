/** A streaming reader or parser: takes text as it arrives and gives what each piece completes. */
export interface StreamParser<T> {
  push(chunk: string): T[];
  end(): T[];
}

/** Feeds `text` in pieces of `size` characters, as a slow stream would deliver it. */
export function feedInPieces<T>(parser: StreamParser<T>, text: string, size: number): T[] {
  const found: T[] = [];
  for (let i = 0; i < text.length; i += size) found.push(...parser.push(text.slice(i, i + size)));
  return [...found, ...parser.end()];
}
