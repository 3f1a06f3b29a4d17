import { describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { parseGuestProperty } from './guest-property.ts';
import { readCase } from './test-support.ts';

describe('parseGuestProperty', () => {
  it('reads the guest IP (case 14)', () => {
    expect(parseGuestProperty(readCase('14'))).toBe('192.0.2.57');
  });

  it('returns undefined, not an error, when no value is set yet (case 15)', () => {
    expect(parseGuestProperty(readCase('15'))).toBeUndefined();
  });

  it('trims CR and spaces', () => {
    expect(parseGuestProperty('Value:   10.0.2.15  \r\n')).toBe('10.0.2.15');
    expect(parseGuestProperty('No value set!\r\n')).toBeUndefined();
  });

  it('throws a UserError on output that is neither', () => {
    expect(() => parseGuestProperty('')).toThrow(UserError);
    expect(() => parseGuestProperty('Vaule 1.2.3.4')).toThrow(/unexpected/);
  });
});
