import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DATA_DIR, ROOT_DIR } from '../paths.js';
import { loadReferenceData } from './reference-data.js';

describe('reference data', () => {
  it('ships inside the package, in data/ at its root', () => {
    expect(REFERENCE_DATA_DIR).toBe(join(ROOT_DIR, 'data'));
    expect(existsSync(join(REFERENCE_DATA_DIR, 'README.md'))).toBe(true);
  });

  it('loads the strategy facts, the localities and every eFI code set from it', () => {
    const data = loadReferenceData();
    expect(data.places.districts).toHaveLength(13);
    expect(data.localities).toHaveLength(622);
    const districtIds = new Set(data.places.districts.map((d) => d.id));
    expect(data.localities.every((l) => districtIds.has(l.district))).toBe(true);
    expect(data.indicators.size).toBe(29);
    expect(data.efi).toHaveLength(36);
    // Polypharmacy is counted from medicines, so it is the one deficit without a code set.
    expect(data.efi.filter((d) => d.file === null).map((d) => d.name)).toEqual(['Polypharmacy']);
    expect(data.efi.filter((d) => d.file !== null).every((d) => d.codes.length > 0)).toBe(true);
  });

  it('names the folder when it is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'onestory-no-data-'));
    try {
      expect(() => loadReferenceData(empty)).toThrow(`Reference data not found at ${empty}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
