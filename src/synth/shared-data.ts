import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The strategy's facts live outside the repository in ../shared/data, so one copy serves every
 * project that works from them. From src/synth (tsc source, vitest) or dist/src/synth (built),
 * the repository root is the directory above `src`, stepping over `dist`.
 */
export function sharedDataDir(): string {
  const override = process.env.ONESTORY_SHARED_DIR;
  if (override) {
    const dir = resolve(override);
    return existsSync(join(dir, 'data', 'strategy')) ? join(dir, 'data') : dir;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  while (basename(dir) !== 'src' && dirname(dir) !== dir) dir = dirname(dir);
  let root = dirname(dir);
  if (basename(root) === 'dist') root = dirname(root);
  return resolve(root, '..', 'shared', 'data');
}

export interface District {
  id: string;
  name: string;
  council: string;
  hcp: string;
  population: number;
  centroid: [number, number];
  deprivation_tier: 'least' | 'middle' | 'more' | 'most';
  coastal: boolean;
}

export interface Trust {
  ods: string;
  name: string;
  kind: string;
}

export interface Places {
  system: {
    population: number;
    gp_practices: number;
    primary_care_networks: number;
    pharmacies: number;
    care_homes: number;
    adult_unpaid_carers_approx: number;
  };
  health_and_care_partnerships: { id: string; name: string }[];
  districts: District[];
  nhs_provider_trusts: Trust[];
  strategy_facts: {
    smoking_prevalence_swale_percent: number;
    smoking_prevalence_west_kent_percent: number;
    adults_overweight_or_obese_percent: number;
    adults_physically_inactive_percent: number;
  };
}

export interface Locality {
  name: string;
  postcodeDistrict: string;
  lat: number;
  lon: number;
  district: string;
}

export interface Indicator {
  id: string;
  name: string;
  unit: string;
  baseline: number | null;
}

export interface EfiDeficit {
  name: string;
  file: string | null;
  codes: { code: string; display: string }[];
}

export interface SharedData {
  places: Places;
  localities: Locality[];
  indicators: Map<string, Indicator>;
  efi: EfiDeficit[];
}

let cached: { dir: string; data: SharedData } | undefined;

export function loadSharedData(dir = sharedDataDir()): SharedData {
  if (cached && cached.dir === dir) return cached.data;
  if (!existsSync(join(dir, 'strategy', 'places.json'))) {
    throw new Error(`Shared data not found at ${dir}: set ONESTORY_SHARED_DIR to the folder holding strategy/, geography/ and efi/`);
  }
  const places = JSON.parse(readFileSync(join(dir, 'strategy', 'places.json'), 'utf8')) as Places;
  const indicatorsFile = JSON.parse(readFileSync(join(dir, 'strategy', 'indicators.json'), 'utf8')) as {
    outcomes: { indicators: Indicator[] }[];
  };
  const indicators = new Map<string, Indicator>();
  for (const o of indicatorsFile.outcomes) for (const i of o.indicators) indicators.set(i.id, i);
  const data: SharedData = {
    places,
    localities: loadLocalities(join(dir, 'geography', 'kent-medway-localities.csv'), places.districts),
    indicators,
    efi: loadEfi(join(dir, 'efi')),
  };
  cached = { dir, data };
  return data;
}

/** Minimal CSV: the file quotes names that contain commas ("Sevenoaks, ..."). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

function loadLocalities(file: string, districts: District[]): Locality[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = parseCsvLine(lines[0]);
  const col = (name: string) => header.indexOf(name);
  const [iName, iPc, iLat, iLon] = [col('place_name'), col('postcode_district'), col('lat'), col('lon')];
  return lines.slice(1).map((line) => {
    const f = parseCsvLine(line);
    const lat = Number(f[iLat]), lon = Number(f[iLon]);
    return { name: f[iName], postcodeDistrict: f[iPc], lat, lon, district: nearestDistrict(lat, lon, districts) };
  });
}

/** Nearest centroid on an equirectangular projection: good enough across one county. */
export function nearestDistrict(lat: number, lon: number, districts: District[]): string {
  const k = Math.cos((51.3 * Math.PI) / 180);
  let best = districts[0].id, bestD = Infinity;
  for (const d of districts) {
    const dy = lat - d.centroid[0], dx = (lon - d.centroid[1]) * k;
    const dist = dx * dx + dy * dy;
    if (dist < bestD) { bestD = dist; best = d.id; }
  }
  return best;
}

function loadEfi(dir: string): EfiDeficit[] {
  const file = JSON.parse(readFileSync(join(dir, 'deficits.json'), 'utf8')) as {
    deficits: { name: string; codes: string | null }[];
  };
  return file.deficits.map((d) => ({
    name: d.name,
    file: d.codes,
    codes: d.codes
      ? readFileSync(join(dir, d.codes), 'utf8').split(/\r?\n/).filter(Boolean).map((l) => {
          const [code, display] = l.split('\t');
          return { code, display: display ?? code };
        })
      : [],
  }));
}
