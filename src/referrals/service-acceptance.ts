import type { HealthcareService } from '@medplum/fhirtypes';
import { freshnessOf, NOT_TAKING_REFERRALS_AFTER_MONTHS } from '../directory/service-freshness.js';

/**
 * Why a service cannot be sent a new referral now, in words for the referrer, or undefined when it
 * can: it must be in the directory, active, and checked within the last 12 months (the directory's
 * freshness rule, src/directory/service-freshness.ts: an entry nobody has confirmed for a year may
 * have closed, and a referral to it could go unanswered).
 */
export function serviceRefusal(service: Pick<HealthcareService, 'active' | 'extension' | 'name'> | undefined, now: Date): string | undefined {
  if (!service) return 'The service is not in the directory';
  if (service.active === false) return `${service.name ?? 'The service'} is no longer active and does not take referrals`;
  const f = freshnessOf(service, now);
  if (f.state === 'not-taking-referrals') {
    return `${service.name ?? 'The service'} has not been checked for over ${NOT_TAKING_REFERRALS_AFTER_MONTHS} months (last checked ${f.lastChecked}), so it is not taking referrals until its entry is confirmed`;
  }
  return undefined;
}
