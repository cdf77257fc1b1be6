import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_DATA_DIR } from '../paths.js';

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

export interface ReferenceData {
  places: Places;
  localities: Locality[];
  indicators: Map<string, Indicator>;
  efi: EfiDeficit[];
}

let cached: { dir: string; data: ReferenceData } | undefined;

/** The strategy's facts, the localities and the eFI code sets, from the repository's data/ (see data/README.md). */
export function loadReferenceData(dir = REFERENCE_DATA_DIR): ReferenceData {
  if (cached && cached.dir === dir) return cached.data;
  if (!existsSync(join(dir, 'strategy', 'places.json'))) {
    throw new Error(`Reference data not found at ${dir}: the package's data/ folder (strategy/, geography/, efi/) is missing`);
  }
  const places = JSON.parse(readFileSync(join(dir, 'strategy', 'places.json'), 'utf8')) as Places;
  const indicatorsFile = JSON.parse(readFileSync(join(dir, 'strategy', 'indicators.json'), 'utf8')) as {
    outcomes: { indicators: Indicator[] }[];
  };
  const indicators = new Map<string, Indicator>();
  for (const o of indicatorsFile.outcomes) for (const i of o.indicators) indicators.set(i.id, i);
  const data: ReferenceData = {
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
