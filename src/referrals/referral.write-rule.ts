import type { HealthcareService, ServiceRequest } from '@medplum/fhirtypes';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/database.js';
import { invalidResource, issue } from '../fhir/outcome.js';
import { localReference } from '../fhir/reference.js';
import type { WriteRule } from '../fhir/write-rules.js';
import { CONSENT_EXTENSION, REFERRAL_CATEGORY, SHARE_SYSTEM, SHARED_BY_EXTENSION, type ShareItem } from './referral.vocabulary.js';
import { serviceRefusal } from './service-acceptance.js';

/** Whether a ServiceRequest is a referral to a service (its category says so). */
export function isReferral(sr: Pick<ServiceRequest, 'category'>): boolean {
  return (sr.category ?? []).some((c) => (c.coding ?? []).some((x) => x.system === REFERRAL_CATEGORY.system && x.code === REFERRAL_CATEGORY.code));
}

/** The person's consent to share on a referral: whether given, and the items it lets the referral share. */
export function consentOf(sr: Pick<ServiceRequest, 'extension'>): { given: boolean; date?: string; share: ShareItem[] } | undefined {
  const e = (sr.extension ?? []).find((x) => x.url === CONSENT_EXTENSION);
  if (!e) return undefined;
  const subs = e.extension ?? [];
  return {
    given: subs.find((x) => x.url === 'given')?.valueBoolean === true,
    date: subs.find((x) => x.url === 'date')?.valueDateTime,
    share: subs.filter((x) => x.url === 'share' && x.valueCoding?.system === SHARE_SYSTEM).map((x) => x.valueCoding!.code as ShareItem),
  };
}

/** Reads a HealthcareService as stored (the directory is shared: no row restriction). */
export async function readService(q: Queryable, id: string): Promise<HealthcareService | undefined> {
  return (await readServices(q, [id])).get(id);
}

/** Reads several HealthcareServices in one statement (a list of referrals names many), by id; missing ones are absent. */
export async function readServices(q: Queryable, ids: string[]): Promise<Map<string, HealthcareService>> {
  const out = new Map<string, HealthcareService>();
  if (ids.length === 0) return out;
  const res = await q.query<{ id: string; content: string }>(
    "SELECT id, content FROM resource WHERE resource_type = 'HealthcareService' AND id = ANY($1::text[]) AND NOT deleted", [[...new Set(ids)]]);
  for (const r of res.rows) out.set(r.id, JSON.parse(r.content) as HealthcareService);
  return out;
}

/**
 * What a referral may contain, on every write path (the referral commands, the FHIR API, Bundles and
 * $process-message), before anything is stored (422 otherwise):
 * - a new referral (category REFERRAL_CATEGORY) records the person's consent to share, given;
 * - it carries what matters to the person, or health information, only when that consent shares it
 *   (so nothing reaches a voluntary group that the person did not agree to share);
 * - a new referral is addressed to a service that takes referrals (active, and not left unchecked:
 *   service-acceptance.ts).
 */
export function referralWriteRule(clock: Clock): WriteRule {
  return {
    types: ['ServiceRequest'],
    async check(w, q) {
      if (!w.resource || w.action === 'delete') return;
      const sr = w.resource as ServiceRequest;
      const consent = consentOf(sr);
      if (!consent && !isReferral(sr)) return;
      if (!w.current && isReferral(sr) && !consent?.given) {
        throw invalidResource([issue('business-rule', 'A referral needs the person’s consent to share their details with the service (the referral-consent-to-share extension, given: true)', 'consent')]);
      }
      for (const e of sr.extension ?? []) {
        const needs = SHARED_BY_EXTENSION[e.url];
        if (needs && !(consent?.given && consent.share.includes(needs))) {
          throw invalidResource([issue('business-rule', `The referral carries ${needs === 'health' ? 'health information' : 'what matters to the person'} that their consent does not share`, 'share')]);
        }
      }
      if (!w.current && isReferral(sr)) {
        for (const p of sr.performer ?? []) {
          const k = localReference(p.reference);
          if (k?.type !== 'HealthcareService') continue;
          const why = serviceRefusal(await readService(q, k.id), clock.now());
          if (why) throw invalidResource([issue('business-rule', why, 'service')]);
        }
      }
    },
  };
}
