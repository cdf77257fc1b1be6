import type { HealthcareService } from '@medplum/fhirtypes';

/**
 * Why a service cannot be sent a new referral now, in words for the referrer, or undefined when it
 * can: it must be in the directory and active. (The directory's freshness rule, unchecked for 12
 * months, joins this once src/directory lands.)
 */
export function serviceRefusal(service: Pick<HealthcareService, 'active' | 'extension' | 'name'> | undefined, _now: Date): string | undefined {
  if (!service) return 'The service is not in the directory';
  if (service.active === false) return `${service.name ?? 'The service'} is no longer active and does not take referrals`;
  return undefined;
}
