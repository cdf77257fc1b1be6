import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether running from src/ (tests) or dist/src/ (built). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the OneStory package root');
    dir = parent;
  }
  return dir;
}

export const ROOT_DIR = findRoot();
export const MIGRATIONS_DIR = join(ROOT_DIR, 'src', 'db', 'migrations');
/**
 * The reference data the product ships with (strategy facts, localities, eFI code sets): read-only
 * and committed, so a fresh clone runs with nothing beside it. Not ONESTORY_DATA_DIR, which is
 * where the running platform writes its database and exports.
 */
export const REFERENCE_DATA_DIR = join(ROOT_DIR, 'data');
