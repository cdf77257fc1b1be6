import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { fhir } from '../../testing/test-platform.js';

/** Stores a resource under its own id (update as create) and fails loudly if the server refuses it. */
export async function put<T extends { resourceType: string; id: string }>(app: FastifyInstance, resource: T): Promise<any> {
  const res = await fhir(app, 'PUT', `${resource.resourceType}/${resource.id}`, resource);
  if (res.status >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.status} ${res.text}`);
  return res.body;
}

/** A search that must succeed; returns the searchset Bundle. */
export async function searchset(app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fhir(app, 'GET', url, undefined, headers);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.text}`);
  expect(res.body.resourceType).toBe('Bundle');
  expect(res.body.type).toBe('searchset');
  return res.body;
}

/** The ids of the entries with search mode `mode`, in Bundle order. */
export function entryIds(bundle: any, mode = 'match'): string[] {
  return (bundle.entry ?? []).filter((e: any) => e.search?.mode === mode).map((e: any) => e.resource.id as string);
}

/** `Type/id` of the entries with search mode `mode`, sorted. */
export function entryRefs(bundle: any, mode: string): string[] {
  return (bundle.entry ?? [])
    .filter((e: any) => e.search?.mode === mode)
    .map((e: any) => `${e.resource.resourceType}/${e.resource.id}`)
    .sort();
}

/** The ids of the matches of a search, sorted (for searches whose order is not the point). */
export async function ids(app: FastifyInstance, url: string): Promise<string[]> {
  return entryIds(await searchset(app, url)).sort();
}

/** A relative URL for the `next` link of a Bundle, or undefined on the last page. */
export function nextUrl(bundle: any): string | undefined {
  const next = (bundle.link ?? []).find((l: any) => l.relation === 'next')?.url as string | undefined;
  if (!next) return undefined;
  const u = new URL(next);
  return `${u.pathname}${u.search}`;
}

/** Follows `next` links from `url` to the end; returns the match ids page by page. */
export async function allPages(app: FastifyInstance, url: string): Promise<string[][]> {
  const pages: string[][] = [];
  let at: string | undefined = url;
  while (at) {
    const b = await searchset(app, at);
    pages.push(entryIds(b));
    at = nextUrl(b);
    if (pages.length > 1000) throw new Error('paging does not end');
  }
  return pages;
}
