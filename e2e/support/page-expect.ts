import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Waits (bounded) until the element's text contains `text`; playwright-core has no expect. */
export async function expectText(locator: Locator, text: string, timeout = DEFAULT_TIMEOUT_MS) {
  await expect
    .poll(async () => (await locator.count()) > 0 && (await locator.first().textContent()), {
      timeout,
      interval: 100,
    })
    .toContain(text);
}

/** Waits until the element's whole text is `text`. */
export async function expectExactText(
  locator: Locator,
  text: string,
  timeout = DEFAULT_TIMEOUT_MS,
) {
  await expect
    .poll(
      async () => (await locator.count()) > 0 && (await locator.first().textContent())?.trim(),
      {
        timeout,
        interval: 100,
      },
    )
    .toBe(text);
}

export async function expectCount(locator: Locator, count: number, timeout = DEFAULT_TIMEOUT_MS) {
  await expect.poll(() => locator.count(), { timeout, interval: 100 }).toBe(count);
}
