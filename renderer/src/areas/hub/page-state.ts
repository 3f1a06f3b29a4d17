/**
 * Browser mode has no tray: the tab's title and icon carry the overall state instead, so a
 * background tab still shows a cut tunnel.
 */
import type { HealthSnapshot } from '../../../../electron/core/api/contract-hub.ts';

const COLORS = { green: '#2e9e44', amber: '#e0a100', red: '#d93025' } as const;
const BASE_TITLE = 'Build Machines';

export function faviconFor(overall: HealthSnapshot['overall']): string {
  const svg =
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>" +
    `<circle cx='8' cy='8' r='7' fill='${COLORS[overall]}'/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export function titleFor(health: HealthSnapshot): string {
  const mark = { green: 'OK', amber: 'DEGRADED', red: 'DOWN' }[health.overall];
  return `[${mark}] ${BASE_TITLE} - ${health.summary}`;
}

export function showStateInPage(health: HealthSnapshot): void {
  document.title = titleFor(health);
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.append(link);
  }
  link.href = faviconFor(health.overall);
  link.dataset.state = health.overall;
}
