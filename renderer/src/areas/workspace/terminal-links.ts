/** http(s) URLs in a line of terminal text, as [start, end) column ranges. */
export function findUrls(line: string): { start: number; end: number; url: string }[] {
  const found: { start: number; end: number; url: string }[] = [];
  const pattern = /https?:\/\/[^\s"'<>`]+/g;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    // Sentence punctuation and a closing bracket after a URL are rarely part of it.
    const url = match[0].replace(/[.,;:!?)\]}]+$/, '');
    found.push({ start: match.index, end: match.index + url.length, url });
  }
  return found;
}

/** Opens a link outside the panel: Electron's window-open handler passes it to the browser. */
export function openExternal(url: string): void {
  if (/^https?:\/\//.test(url)) window.open(url, '_blank', 'noopener,noreferrer');
}
