import type { Platform } from '../../platform.js';
import { ROLE_NAMES, type StaffRole } from '../principal.js';
import { identityFor } from './identity.js';
import { hashPassword } from './password.service.js';
import type { NewUser } from './user.repository.js';

/** The password of every demo account: demo data only, printed on the console of an embedded demo start. */
export const DEMO_PASSWORD = 'onestory-demo';

export interface DemoAccount {
  username: string;
  password: string;
  kind: 'staff' | 'resident' | 'proxy';
  role?: StaffRole;
  displayName: string;
  organizationId?: string;
  organizationName?: string;
  practitionerId?: string;
  patientId?: string;
  relatedPersonId?: string;
}

type Row = { id: string; content: string };
const SYNTH_ROLE: Partial<Record<StaffRole, string>> = {
  gp: 'gp',
  'practice-nurse': 'practice-nurse',
  'community-nurse': 'community-nurse',
  'social-worker': 'social-worker',
  'mental-health-practitioner': 'mental-health-practitioner',
  'discharge-coordinator': 'discharge-coordinator',
  'care-coordinator': 'care-coordinator',
  'link-worker': 'social-prescribing-link-worker',
};

/**
 * One account per staff role, a resident and their carer (a proxy), on the synthetic population
 * (src/synth): each staff account is a real synthetic Practitioner at an organisation of the right
 * kind (roles the synthetic staff do not include — receptionist, analyst, privacy officer, system
 * administrator — have no Practitioner). The GP, practice nurse and receptionist work at the
 * resident's own practice, and the care coordinator and link worker at its PCN, so the demo has
 * legitimate relationships to show. Safe to call again: existing accounts are kept and listed.
 * Returns [] when the database does not hold the synthetic population.
 */
export async function seedDemoAccounts(platform: Pick<Platform, 'db'>): Promise<DemoAccount[]> {
  const db = platform.db;
  const one = async (sql: string, params: unknown[] = []): Promise<any | undefined> => {
    const r = await db.query<Row>(sql, params);
    return r.rows[0] ? { id: r.rows[0].id, ...JSON.parse(r.rows[0].content) } : undefined;
  };
  const read = (type: string, id: string) => one('SELECT id, content FROM resource WHERE resource_type = $1 AND id = $2 AND NOT deleted', [type, id]);
  const icb = await read('Organization', 'org-icb');
  if (!icb) return [];
  const idOf = (ref?: { reference?: string }) => ref?.reference?.split('/')[1];
  const nameOf = (r: any): string => {
    const n = r?.name?.[0];
    return typeof r?.name === 'string' ? r.name : n ? n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ') : '';
  };

  // The resident: the first person with a carer on record (so the proxy account has someone to act
  // for), preferring one with a care and support plan, so the demo shows every part of the record.
  const carer = await one(
    `SELECT r.id, r.content FROM resource r
      WHERE r.resource_type = 'RelatedPerson' AND NOT r.deleted
      ORDER BY EXISTS (SELECT 1 FROM sp_reference rp JOIN sp_reference cp ON cp.resource_type = 'CarePlan' AND cp.code = 'subject'
                         AND cp.target_type = 'Patient' AND cp.target_id = rp.target_id
                       WHERE rp.rid = r.rid AND rp.code = 'patient') DESC, r.id
      LIMIT 1`,
  );
  const patient = carer ? await read('Patient', idOf(carer.patient)!) : undefined;
  const practiceId = idOf(patient?.generalPractitioner?.[0]);
  const practice = practiceId ? await read('Organization', practiceId) : undefined;
  const pcnId = idOf(practice?.partOf);

  const roleAt = (code: string, orgId?: string) =>
    one(
      `SELECT id, content FROM resource WHERE resource_type = 'PractitionerRole' AND NOT deleted
         AND content::jsonb -> 'code' -> 0 -> 'coding' -> 0 ->> 'code' = $1
         AND ($2::text IS NULL OR content::jsonb -> 'organization' ->> 'reference' = 'Organization/' || $2::text)
       ORDER BY id LIMIT 1`,
      [code, orgId ?? null],
    );
  const orgFor: Partial<Record<StaffRole, string | undefined>> = {
    gp: practiceId, 'practice-nurse': practiceId, receptionist: practiceId,
    'care-coordinator': pcnId, 'link-worker': pcnId,
    'icb-analyst': icb.id, 'privacy-officer': icb.id, 'system-admin': icb.id,
  };

  const planned: { account: DemoAccount; user: Omit<NewUser, 'passwordHash'> }[] = [];
  for (const role of Object.keys(ROLE_NAMES) as StaffRole[]) {
    const synthRole = SYNTH_ROLE[role];
    let organizationId = orgFor[role];
    let practitionerId: string | undefined;
    let displayName = `Demo ${ROLE_NAMES[role].toLowerCase()}`;
    if (synthRole) {
      const pr = await roleAt(synthRole, organizationId);
      if (!pr) continue;
      organizationId = idOf(pr.organization);
      practitionerId = idOf(pr.practitioner);
      const practitioner = practitionerId ? await read('Practitioner', practitionerId) : undefined;
      displayName = nameOf(practitioner) || displayName; // the header and audit show the role beside the name
    }
    if (!organizationId) continue;
    const org = await read('Organization', organizationId);
    planned.push({
      account: {
        username: `${role}.demo`, password: DEMO_PASSWORD, kind: 'staff', role, displayName, organizationId,
        organizationName: nameOf(org) || organizationId, ...(practitionerId ? { practitionerId } : {}),
      },
      user: { kind: 'staff', username: `${role}.demo`, displayName, memberships: [{ organizationId, role, ...(practitionerId ? { practitionerId } : {}) }] },
    });
  }
  if (patient && carer) {
    const residentName = nameOf(patient) || patient.id;
    planned.push({
      account: { username: 'resident.demo', password: DEMO_PASSWORD, kind: 'resident', displayName: residentName, patientId: patient.id },
      user: { kind: 'resident', username: 'resident.demo', displayName: residentName, patientId: patient.id },
    });
    const carerName = `${nameOf(carer) || carer.id} (carer of ${residentName})`;
    planned.push({
      account: { username: 'carer.demo', password: DEMO_PASSWORD, kind: 'proxy', displayName: carerName, patientId: patient.id, relatedPersonId: carer.id },
      user: { kind: 'proxy', username: 'carer.demo', displayName: carerName, proxyLinks: [{ relatedPersonId: carer.id, patientId: patient.id }] },
    });
  }

  const users = identityFor(platform).users;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const p of planned) {
    if (await users.findByUsername(p.account.username)) continue;
    try {
      await users.create({ ...p.user, passwordHash });
    } catch (err) {
      // Another process seeding at the same moment made it first: that is the account we wanted.
      if (!(await users.findByUsername(p.account.username))) throw err;
    }
  }
  return planned.map((p) => p.account);
}

/** The sign-in table printed on an embedded demo start. */
export function formatDemoAccounts(accounts: DemoAccount[]): string {
  const rows = accounts.map((a) => [a.username, a.kind === 'staff' ? ROLE_NAMES[a.role!] : a.kind === 'resident' ? 'Resident' : 'Carer (proxy)',
    a.kind === 'staff' ? a.organizationName ?? '' : a.kind === 'resident' ? `Patient/${a.patientId}` : `RelatedPerson/${a.relatedPersonId} for Patient/${a.patientId}`]);
  const head = ['User name', 'Who', 'Organisation / record'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(w[i])).join('  ')}`.trimEnd();
  return [
    `Demo accounts (password for all: ${DEMO_PASSWORD}) — sign in on the web app (the server's address in a browser), or with a SMART app through /oauth2/authorize:`,
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...rows.map(line),
  ].join('\n');
}
