import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesize, synthesizeResidents } from './index.js';
import { formatSummary, writeNdjson } from './ndjson.writer.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'onestory-synth-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('writeNdjson', () => {
  it('writes one NDJSON file per resource type, one resource a line, matching the generator', async () => {
    const outDir = tempDir();
    writeFileSync(join(outDir, 'Appointment.ndjson'), '{"stale":true}\n');
    writeFileSync(join(outDir, 'notes.txt'), 'keep me');
    const summary = await writeNdjson(synthesizeResidents({ residents: 150, seed: 3 }), { outDir });
    const expected = [...synthesize({ residents: 150, seed: 3 })];
    expect(summary.residents).toBe(150);
    expect(summary.resources).toBe(expected.length);
    const files = readdirSync(outDir).sort();
    // A stale file of a FHIR type is removed (it would be imported with this run); others are left alone.
    expect(files).not.toContain('Appointment.ndjson');
    expect(files).toContain('notes.txt');
    let lines = 0;
    for (const [type, count] of Object.entries(summary.byType)) {
      const text = readFileSync(join(outDir, `${type}.ndjson`), 'utf8');
      const rows = text.trimEnd().split('\n');
      expect(rows).toHaveLength(count);
      expect(text.endsWith('\n')).toBe(true);
      for (const row of rows) expect(JSON.parse(row).resourceType).toBe(type);
      lines += rows.length;
    }
    expect(lines).toBe(expected.length);
    const patients = readFileSync(join(outDir, 'Patient.ndjson'), 'utf8').trimEnd().split('\n');
    expect(patients.map((l) => JSON.parse(l).id)).toEqual(expected.filter((r) => r.resourceType === 'Patient').map((r) => r.id));
    expect(summary.peakRssMb).toBeGreaterThan(0);
    expect(formatSummary(summary)).toContain('resources/s');
  });

  it('writes byte-identical files for the same seed', async () => {
    const a = tempDir(), b = tempDir();
    await writeNdjson(synthesizeResidents({ residents: 100, seed: 11 }), { outDir: a });
    await writeNdjson(synthesizeResidents({ residents: 100, seed: 11 }), { outDir: b });
    for (const f of readdirSync(a)) expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));
  });

  it('reports progress in residents and resources', async () => {
    const calls: [number, number][] = [];
    await writeNdjson(synthesizeResidents({ residents: 50, seed: 1 }), { outDir: tempDir(), progressEvery: 10, onProgress: (r, n) => calls.push([r, n]) });
    expect(calls.map((c) => c[0])).toEqual([0, 10, 20, 30, 40, 50]);
    for (let i = 1; i < calls.length; i++) expect(calls[i][1]).toBeGreaterThan(calls[i - 1][1]);
  });
});
