import type { Communication } from '@medplum/fhirtypes';
import { accessContext } from '../access/policy/record-access.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { badRequest } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import type { DirectoryService } from './directory.service.js';
import { openingTimesInWords } from './opening-hours.js';

export const SHORTLIST_CATEGORY = { system: 'https://onestory.example/fhir/CodeSystem/communication-category', code: 'service-shortlist', display: 'Shortlist of services' } as const;
export const MAX_SHORTLIST = 10;
const MEDIUM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode';

/** A UK mobile (07…, +447…) or an email address; undefined when it is neither. */
function recipientOf(channel: string, to: string): string | undefined {
  const t = to.trim();
  if (channel === 'sms') {
    const digits = t.replace(/[\s()-]/g, '');
    return /^(?:07\d{9}|\+447\d{9})$/.test(digits) ? digits : undefined;
  }
  return /^[^\s@<>]{1,64}@[^\s@<>]{1,190}\.[A-Za-z]{2,}$/.test(t) ? t : undefined;
}

/**
 * A shortlist of services a professional gives a person: its words (the same on paper, by text and
 * by email), and sending it. Sending is a stub (no message leaves OneStory yet): it is recorded as a
 * Communication (completed, medium SMS or email, the text as its payload, sent by the professional
 * for their organisation), written through the record with the sender's access context, so the
 * policy's write rules apply as on the FHIR API.
 */
export class ShortlistService {
  constructor(
    private readonly resources: ResourceService,
    private readonly directory: DirectoryService,
    private readonly clock: Clock,
  ) {}

  /** The shortlist's entries in order; unknown or withdrawn ids are left out (the page says how many). */
  async entries(ids: string[]) {
    const out = [];
    for (const id of ids.slice(0, MAX_SHORTLIST)) {
      try {
        out.push(await this.directory.get(id));
      } catch {
        // A service withdrawn since it was shortlisted: not listed.
      }
    }
    return out;
  }

  /** The message: each service's name, phone and opening times, in plain words. */
  async text(ids: string[]): Promise<string> {
    const lines = (await this.entries(ids)).map((r, i) => {
      const phone = r.service.telecom?.find((t) => t.system === 'phone')?.value;
      const hours = openingTimesInWords(r.service.availableTime).join('; ');
      return `${i + 1}. ${r.service.name}${phone ? `, phone ${phone}` : ''}${hours ? ` (${hours})` : ''}`;
    });
    return `Services that could help you:\n${lines.join('\n')}`;
  }

  async send(p: Principal, ids: string[], channel: string, to: string): Promise<{ id: string }> {
    if (ids.length === 0) throw badRequest('The shortlist is empty: add services to it first', 'channel');
    if (channel !== 'sms' && channel !== 'email') throw badRequest('Choose text message or email', 'channel');
    const recipient = recipientOf(channel, to);
    if (!recipient) throw badRequest(channel === 'sms' ? 'Enter a UK mobile number, like 07700 900123' : 'Enter an email address, like name@example.com', 'to');
    const now = this.clock.now();
    const text = await this.text(ids);
    const sender = p.kind === 'staff' ? (p.practitionerId ? `Practitioner/${p.practitionerId}` : `Organization/${p.organizationId}`) : undefined;
    const communication: Communication = {
      resourceType: 'Communication', status: 'completed',
      category: [{ coding: [SHORTLIST_CATEGORY], text: SHORTLIST_CATEGORY.display }],
      medium: [{ coding: [{ system: MEDIUM, code: channel === 'sms' ? 'SMSWRIT' : 'EMAILWRIT', display: channel === 'sms' ? 'SMS message' : 'email' }] }],
      sent: now.toISOString(),
      ...(sender ? { sender: { reference: sender } } : {}),
      note: [{ text: `Sent to ${recipient} (stub: recorded, not delivered)` }],
      payload: [{ contentString: text }],
    };
    const made = await this.resources.create('Communication', communication, { ctx: { baseUrl: '', ...accessContext(p, now) } });
    return { id: made.id };
  }
}
