// HERALD_ABLATE names the features the bench's ablation table runs without; a
// misspelt one stops the server at start rather than measuring nothing.
import { describe, expect, test } from 'vitest';
import { ABLATABLE, ablated, parseAblation } from '../../src/ablation.ts';

describe('HERALD_ABLATE', () => {
  test('unset or empty: every feature runs (the suite itself runs the whole server)', () => {
    expect(parseAblation(undefined).size).toBe(0);
    expect(parseAblation(' , ').size).toBe(0);
    expect(ablated.size).toBe(0);
  });

  test('names features, comma-separated, with spaces allowed', () => {
    expect([...parseAblation('metrics, cost-limit')]).toEqual(['metrics', 'cost-limit']);
    for (const feature of Object.keys(ABLATABLE)) expect(parseAblation(feature).has(feature as keyof typeof ABLATABLE)).toBe(true);
  });

  test('refused: an unknown name, with the list of known ones', () => {
    expect(() => parseAblation('metrics,acess')).toThrow(/unknown feature "acess" \(one of metrics, request-log/);
  });
});
