import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { synthCommand } from './synth.command.js';

const dir = mkdtempSync(join(tmpdir(), 'onestory-synth-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('onestory synth', () => {
  it('writes NDJSON for the requested residents and prints a summary', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const rc = await synthCommand.run(['--residents', '25', '--seed', '4', '--as-of', '2025-07-01', '--out', dir]);
      expect(rc).toBe(0);
      expect(log.mock.calls.flat().join('\n')).toMatch(/for 25 residents[\s\S]*resources\/s, peak RSS/);
    } finally {
      log.mockRestore();
    }
    expect(readFileSync(join(dir, 'Patient.ndjson'), 'utf8').trimEnd().split('\n')).toHaveLength(25);
    expect(existsSync(join(dir, 'Organization.ndjson'))).toBe(true);
  });

  it('rejects a non-numeric size or an impossible as-of day with exit code 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await synthCommand.run(['--residents', 'lots'])).toBe(2);
      expect(await synthCommand.run(['--seed', '-1'])).toBe(2);
      expect(await synthCommand.run(['--as-of', '2025-13-01'])).toBe(2);
      expect(await synthCommand.run(['--as-of'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});
