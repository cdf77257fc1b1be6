import { describe, expect, it } from 'vitest';
import { IndicatorRegistry } from './indicator.registry.js';
import type { Figure } from './measure-evaluation.service.js';
import { progressOf, targetDate, trajectoryAt } from './progress.js';

const registry = new IndicatorRegistry();
const fig = (score: number, low: number, high: number, den = 5000, num = 500): Figure => ({ numerator: num, denominator: den, score, low, high, suppressed: false });
const at = (end: string, f: Figure) => ({ period: { start: `${end.slice(0, 8)}01`, end }, figure: f });

describe('progress against the targets', () => {
  it('target years and the straight-line trajectory', () => {
    expect(targetDate('2028/29')).toBe('2029-03-31');
    expect(targetDate('2028')).toBe('2028-12-31');
    expect(targetDate(null)).toBeNull();
    const b = { date: '2024-03-31', value: 10.2 };
    const t = { date: '2029-03-31', value: 6 };
    expect(trajectoryAt(b, t, '2024-03-31')).toBeCloseTo(10.2);
    expect(trajectoryAt(b, t, '2029-03-31')).toBeCloseTo(6);
    expect(trajectoryAt(b, t, '2035-01-01')).toBeCloseTo(6);
    expect(trajectoryAt(b, t, '2026-09-30')).toBeCloseTo(8.1, 1);
  });

  it('lower is better (smoking at delivery): on track, at risk, off track by the interval against the trajectory', () => {
    const satod = registry.get('O1.1')!;
    // Expected at 2026-09-30 is about 8.1.
    expect(progressOf(satod, [at('2026-09-30', fig(7.5, 7.0, 8.0))]).rating).toBe('on-track');
    expect(progressOf(satod, [at('2026-09-30', fig(8.5, 7.9, 9.1))]).rating).toBe('at-risk');
    expect(progressOf(satod, [at('2026-09-30', fig(9.5, 9.0, 10.0))]).rating).toBe('off-track');
  });

  it('higher is better (GP appointment experience): the same rules turned round', () => {
    const gp = registry.get('O4.1')!;
    expect(progressOf(gp, [at('2024-06-30', fig(55, 53, 57))]).rating).toBe('on-track');
    expect(progressOf(gp, [at('2028-12-31', fig(55, 53, 57))]).rating).toBe('off-track');
  });

  it('"maintain" (Year 6 healthy weight at 63%): held within 5% either way', () => {
    const y6 = registry.get('O1.2')!;
    expect(progressOf(y6, [at('2025-06-30', fig(62, 60, 64))]).rating).toBe('on-track');
    expect(progressOf(y6, [at('2025-06-30', fig(68.5, 68, 69))]).rating).toBe('at-risk');
    expect(progressOf(y6, [at('2025-06-30', fig(50, 48, 52))]).rating).toBe('off-track');
  });

  it('too little data to tell: suppressed, few people, an interval reaching back past the baseline, no figures, no baseline yet', () => {
    const satod = registry.get('O1.1')!;
    const p = progressOf(satod, [at('2026-09-30', { numerator: null, denominator: null, score: null, low: null, high: null, suppressed: true })]);
    expect(p.rating).toBe('too-little-data');
    expect(p.reason).toContain('suppressed');
    expect(progressOf(satod, [at('2026-09-30', fig(5, 1, 14, 40, 2))]).rating).toBe('too-little-data');
    // On the line by its point estimate, but the interval reaches back past 10.2: not "on track".
    const wide = progressOf(satod, [at('2026-09-30', fig(7.5, 4.9, 11.0, 300, 22))]);
    expect(wide.rating).toBe('too-little-data');
    expect(wide.reason).toContain('too little data');
    expect(progressOf(satod, []).rating).toBe('too-little-data');
    // No strategy baseline (frail admissions, "2024 rate"): one figure cannot be rated; the first figure becomes the baseline.
    const frail = registry.get('O3.4')!;
    const rate = (s: number) => fig(s, s - 20, s + 20, 300_000, 600);
    expect(progressOf(frail, [at('2024-06-30', rate(800))]).rating).toBe('too-little-data');
    const two = progressOf(frail, [at('2024-06-30', rate(800)), at('2024-09-30', rate(790))]);
    expect(two.baseline).toMatchObject({ source: 'first-figure', value: 800 });
    expect(two.rating).toBe('on-track');
  });
});
