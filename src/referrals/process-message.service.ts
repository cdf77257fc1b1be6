import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, MessageHeader, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Database, Queryable } from '../db/database.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest, conflict, FhirError, invalidResource, issue } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import { Params } from '../fhir/search.repository.js';
import { OPENREFERRAL_ID_SYSTEM } from '../directory/oruk-ids.js';
import { consentOf } from './referral.write-rule.js';
import type { ReferralService } from './referral.service.js';
import { HEALTH_INFO_EXTENSION, WHAT_MATTERS_EXTENSION } from './referral.vocabulary.js';

/** The BaRS message event of a new referral, and the systems its codes come from. */
export const BARS_EVENT_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/message-events-bars';
export const BARS_REFERRAL_EVENT = 'servicerequest-request';

/** What a message answered: the HTTP status and the response Bundle (or OperationOutcome). */
export interface MessageAnswer {
  status: number;
  body: unknown;
  /** A repeat of a message already processed: the first answer, nothing written again. */
  replayed: boolean;
}

/**
 * `$process-message` in the style of the NHS Booking and Referral Standard (BaRS): a message Bundle
 * whose first entry is a MessageHeader with the event `servicerequest-request`, its `focus` the
 * ServiceRequest in the Bundle, which names the person (`subject`: a Patient in the Bundle, found
 * here by NHS number, or `Patient/{id}` of this record), the service (`performer`:
 * `HealthcareService/{id}`, or its Open Referral id: `serviceOf`), the reason, and the person's consent to share
 * (referral.vocabulary.ts). It becomes a referral through ReferralService.send, so every rule of a
 * referral holds. Idempotent on the sender's `X-Request-Id`: the first answer is kept
 * (`message_receipt`, migration 012, written in the referral's transaction) and given again for the
 * same message, even one sent again before the first was answered; the same id with a different
 * message is a 409. Bad input is a 4xx OperationOutcome and writes nothing.
 */
export class ProcessMessageService {
  constructor(private readonly db: Database, private readonly referrals: ReferralService, private readonly clock: Clock) {}

  async process(p: Principal, requestId: string, body: unknown): Promise<MessageAnswer> {
    const sender = `${p.kind === 'client' ? 'client' : 'user'}:${p.id}`;
    const hash = createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
    const earlier = await this.receipt(this.db, sender, requestId, hash);
    if (earlier) return earlier;
    const { header, sr, patient } = this.read(body);
    const patientId = await this.patientOf(p, sr, patient);
    const serviceId = await this.serviceOf(sr);
    const consent = consentOf(sr);
    const ext = (url: string) => sr.extension?.find((e) => e.url === url)?.valueString;
    const key = `msg-${createHash('sha256').update(`${sender}|${requestId}`).digest('hex').slice(0, 48)}`;
    const keep = (q: Queryable, answer: Bundle) => q.query(
      `INSERT INTO message_receipt (sender, request_id, body_hash, status, response, received_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (sender, request_id) DO NOTHING`,
      [sender, requestId, hash, 200, JSON.stringify(answer), answer.timestamp],
    );
    // The receipt is written in the referral's own transaction, under its key's lock: a message sent
    // twice at once makes one referral, and the second is answered from the first's receipt (or a 409
    // when it is another message under the same id), never with a referral it did not make.
    let answered: MessageAnswer | undefined;
    const { referral } = await this.referrals.send(p, {
      patientId, serviceId, reason: sr.reasonCode?.[0]?.text ?? sr.reasonCode?.[0]?.coding?.[0]?.display ?? '',
      priority: sr.priority, consentGiven: consent?.given === true, share: (consent?.share ?? []).filter((s) => s !== 'contact'),
      whatMatters: ext(WHAT_MATTERS_EXTENSION), healthInfo: ext(HEALTH_INFO_EXTENSION), idempotencyKey: key,
    }, async (tx, made) => {
      if (made.created) {
        const answer = this.answerOf(header, requestId, key, made.sr, made.task);
        await keep(tx, answer);
        answered = { status: 200, body: answer, replayed: false };
      } else {
        answered = await this.receipt(tx, sender, requestId, hash);
      }
    });
    if (answered) return answered;
    // A referral made under this key whose receipt was never kept (sent before receipts were written with the referral).
    const answer = this.answerOf(header, requestId, key, referral.sr, referral.task);
    await keep(this.db, answer);
    return { status: 200, body: answer, replayed: false };
  }

  /**
   * The service referred to: `HealthcareService/{id}` of this record, or the id a sender found it by in
   * the directory's Open Referral API (`/openreferral/services/{uuid}`), as that reference or as an
   * identifier (`{ system: OPENREFERRAL_ID_SYSTEM, value: uuid }`). The directory is public, so
   * resolving an id tells nothing; an id it does not know is left for the referral to refuse.
   */
  private async serviceOf(sr: ServiceRequest): Promise<string> {
    const performer = sr.performer?.[0];
    const ref = localReference(performer?.reference);
    const byIdentifier = performer?.identifier?.system === OPENREFERRAL_ID_SYSTEM ? performer.identifier.value : undefined;
    const wanted = ref?.type === 'HealthcareService' ? ref.id : performer?.reference === undefined ? byIdentifier : undefined;
    if (!wanted) {
      throw invalidResource([issue('required', `ServiceRequest.performer must name the service: HealthcareService/{id}, or its Open Referral id (HealthcareService/{uuid}, or an identifier of system ${OPENREFERRAL_ID_SYSTEM})`, 'ServiceRequest.performer')]);
    }
    const res = await this.db.query<{ service_id: string }>(
      'SELECT service_id FROM directory_service WHERE service_id = $1 OR oruk_id = lower($1) ORDER BY service_id = $1 DESC LIMIT 1', [wanted]);
    return res.rows[0]?.service_id ?? wanted;
  }

  /** The answer kept for the sender's id: given again for the same message, a 409 for another one. */
  private async receipt(q: Queryable, sender: string, requestId: string, hash: string): Promise<MessageAnswer | undefined> {
    const res = await q.query<{ body_hash: string; status: number; response: string }>(
      'SELECT body_hash, status, response FROM message_receipt WHERE sender = $1 AND request_id = $2', [sender, requestId]);
    const row = res.rows[0];
    if (!row) return undefined;
    if (row.body_hash !== hash) throw conflict(`X-Request-Id ${requestId} was already used for a different message: send a new id for a new message`);
    return { status: row.status, body: JSON.parse(row.response), replayed: true };
  }

  /** The response message: MessageHeader (ok, answering the request's header), the ServiceRequest and its Task. */
  private answerOf(header: MessageHeader, requestId: string, key: string, sr: ServiceRequest, task: Task | undefined): Bundle {
    const responseHeader: MessageHeader = {
      resourceType: 'MessageHeader', id: createHash('sha256').update(`response|${key}`).digest('hex').slice(0, 32),
      eventCoding: { system: BARS_EVENT_SYSTEM, code: BARS_REFERRAL_EVENT },
      source: { endpoint: 'urn:onestory:process-message', name: 'OneStory' },
      response: { identifier: header.id ?? requestId, code: 'ok' },
      focus: [{ reference: `ServiceRequest/${sr.id}` }],
    };
    return {
      resourceType: 'Bundle', type: 'message', timestamp: this.clock.now().toISOString(),
      entry: [
        { fullUrl: `urn:uuid:${responseHeader.id}`, resource: responseHeader },
        { fullUrl: `ServiceRequest/${sr.id}`, resource: sr },
        ...(task ? [{ fullUrl: `Task/${task.id}`, resource: task }] : []),
      ],
    };
  }

  /** The message's header, its ServiceRequest, and the Patient entry it names (if any), checked. */
  private read(body: unknown): { header: MessageHeader; sr: ServiceRequest; patient?: Patient } {
    const b = body as Bundle | undefined;
    if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle') throw badRequest('Send a message Bundle (resourceType Bundle, type message)', 'Bundle');
    if (b.type !== 'message') throw badRequest('The Bundle must be of type "message"', 'Bundle.type');
    const entries = Array.isArray(b.entry) ? b.entry : [];
    const header = entries[0]?.resource as MessageHeader | undefined;
    if (header?.resourceType !== 'MessageHeader') throw badRequest('The first entry of a message Bundle must be its MessageHeader', 'Bundle.entry[0]');
    const event = header.eventCoding;
    if (event?.code !== BARS_REFERRAL_EVENT) {
      throw invalidResource([issue('not-supported', `Only the event "${BARS_REFERRAL_EVENT}" (a new referral) is processed here; this message is "${String(event?.code ?? 'without an event')}"`, 'MessageHeader.eventCoding')]);
    }
    const focusRef = header.focus?.[0]?.reference;
    const find = (ref: string | undefined, type: string): BundleEntry | undefined => {
      if (!ref) return undefined;
      return entries.find((e) => e.resource?.resourceType === type && (e.fullUrl === ref || `${type}/${e.resource.id}` === ref || (e.fullUrl ?? '').endsWith(`/${ref}`)));
    };
    const srEntry = find(focusRef, 'ServiceRequest');
    if (!srEntry) throw invalidResource([issue('required', 'MessageHeader.focus must reference the ServiceRequest in the Bundle', 'MessageHeader.focus')]);
    const sr = srEntry.resource as ServiceRequest;
    const patient = find(sr.subject?.reference, 'Patient')?.resource as Patient | undefined;
    return { header, sr, patient };
  }

  /**
   * The person: `Patient/{id}` of this record, or a Patient in the Bundle found here by NHS number (under the sender's restriction: one they may see).
   * `t.resource_type` is what lets sp_token's index (resource_type, code, value, system) find the number: without it
   * PostgreSQL read all of sp_token, 770 ms a message at 100,000 patients (bench/PROFILE.md).
   */
  private async patientOf(p: Principal, sr: ServiceRequest, inBundle: Patient | undefined): Promise<string> {
    const nhs = inBundle?.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
    if (nhs) {
      const params = new Params();
      const r = restrictionFor(p, this.clock.now())('pt', 'Patient', params);
      const res = await this.db.query<{ id: string }>(
        `SELECT pt.id FROM resource pt JOIN sp_token t ON t.rid = pt.rid AND t.resource_type = 'Patient' AND t.code = 'identifier' AND t.system = ${params.add(NHS_NUMBER_SYSTEM)} AND t.value = ${params.add(nhs)}
          WHERE pt.resource_type = 'Patient' AND NOT pt.deleted${r ? ` AND ${r}` : ''} LIMIT 1`,
        params.values,
      );
      if (!res.rows[0]) throw new FhirError(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: `No person with NHS number ${nhs} is known to you here`, expression: ['Patient.identifier'] }] });
      return res.rows[0].id;
    }
    const k = localReference(sr.subject?.reference);
    if (k?.type === 'Patient' && isValidId(k.id)) return k.id;
    throw invalidResource([issue('required', 'ServiceRequest.subject must be the Patient in the Bundle (with an NHS number) or Patient/{id}', 'ServiceRequest.subject')]);
  }
}
