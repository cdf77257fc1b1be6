import { loadReferenceData } from '../synth/reference-data.js';

/**
 * Where a postcode is, as far as the product knows: the locality centroids of
 * data/geography/kent-medway-localities.csv give each Kent and Medway postcode district (the outward
 * code, e.g. ME7) a point, the mean of its localities. A full postcode is placed at its district's
 * point: a few kilometres of error, said so wherever distances are shown ("about").
 */

export interface Point {
  lat: number;
  lon: number;
}

/** A UK postcode (full, e.g. "ME7 1AB", or outward code alone, e.g. "ME7"), any spacing or case. */
const FULL = /^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})$/;
const OUTWARD = /^([A-Z]{1,2}[0-9][0-9A-Z]?)$/;

/** The outward code of a well-formed UK postcode (upper case), or undefined when it is not one. */
export function outwardCode(postcode: string): string | undefined {
  const s = postcode.trim().toUpperCase().replace(/\s+/g, ' ');
  if (s.length > 8) return undefined;
  return FULL.exec(s)?.[1] ?? OUTWARD.exec(s)?.[1];
}

/** Each postcode district's point: the mean of its localities' coordinates. */
export function postcodeDistrictCentroids(localities: readonly { postcodeDistrict: string; lat: number; lon: number }[]): Map<string, Point> {
  const sums = new Map<string, { lat: number; lon: number; n: number }>();
  for (const l of localities) {
    const s = sums.get(l.postcodeDistrict) ?? { lat: 0, lon: 0, n: 0 };
    s.lat += l.lat;
    s.lon += l.lon;
    s.n++;
    sums.set(l.postcodeDistrict, s);
  }
  return new Map([...sums].map(([k, s]) => [k, { lat: round5(s.lat / s.n), lon: round5(s.lon / s.n) }]));
}

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres (haversine; the same formula as the directory's SQL). */
export function distanceMetres(a: Point, b: Point): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

let kent: Map<string, Point> | undefined;

/** The points of Kent and Medway's postcode districts, from the reference data (loaded once). */
export function kentPostcodeDistricts(): Map<string, Point> {
  kent ??= postcodeDistrictCentroids(loadReferenceData().localities);
  return kent;
}

/** Where a postcode is: its outward code and that district's point; `undefined` point when the district is not in Kent and Medway. */
export function locatePostcode(postcode: string): { outward: string; point?: Point } | undefined {
  const outward = outwardCode(postcode);
  if (!outward) return undefined;
  return { outward, point: kentPostcodeDistricts().get(outward) };
}
