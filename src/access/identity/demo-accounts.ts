import type { Platform } from '../../platform.js';
import { ROLE_NAMES, type StaffRole } from '../principal.js';
import { identityFor } from './identity.js';
import { hashPassword } from './password.service.js';
import { demoBefriendingService } from '../../referrals/referral.demo.js';
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
 * Synthetic names for the roles with no synthetic Practitioner (the header, the audit trail and the
 * person's access log show the name beside the role, and "Demo icb analyst" reads like a placeholder,
 * not a colleague). Fixed, so the demo reads the same on every start.
 */
export const DEMO_STAFF_NAMES: Partial<Record<StaffRole, string>> = {
  'icb-analyst': 'Priya Raman',
  'privacy-officer': 'Gillian Marsh',
  'system-admin': 'Daniel Okoye',
  'local-admin': 'Fiona Blake',
};

/**
 * One account per staff role, a resident and their carer (a proxy), on the synthetic population
 * (src/synth): each staff account is a real synthetic Practitioner at an organisation of the right
 * kind (roles the synthetic staff do not include — analyst, privacy officer, system administrator —
 * have no Practitioner; the receptionist gets one, written here). The GP, practice nurse and
 * receptionist work at the resident's own practice, the care coordinator and link worker at its PCN,
 * and the other roles are the resident's own professionals where the care team names one, so the
 * demo has legitimate relationships to show. Safe to call again: existing accounts are kept and listed.
 * Returns [] when the database does not hold the synthetic population.
 */
export async function seedDemoAccounts(platform: Pick<Platform, 'db' | 'identity' | 'resources'>): Promise<DemoAccount[]> {
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
  // for), preferring one with a care and support plan, and then one whose care team includes the
  // community nursing team (so the community nurse demo account is one of their professionals), so
  // the demo shows every part of the record.
  const carer = await one(
    `SELECT r.id, r.content FROM resource r
      WHERE r.resource_type = 'RelatedPerson' AND NOT r.deleted
      ORDER BY EXISTS (SELECT 1 FROM sp_reference rp JOIN sp_reference cp ON cp.resource_type = 'CarePlan' AND cp.code = 'subject'
                         AND cp.target_type = 'Patient' AND cp.target_id = rp.target_id
                       WHERE rp.rid = r.rid AND rp.code = 'patient') DESC,
               EXISTS (SELECT 1 FROM sp_reference rp JOIN sp_reference ct ON ct.resource_type = 'CareTeam' AND ct.code = 'subject'
                         AND ct.target_type = 'Patient' AND ct.target_id = rp.target_id
                       JOIN resource c ON c.rid = ct.rid AND NOT c.deleted
                       WHERE rp.rid = r.rid AND rp.code = 'patient'
                         AND EXISTS (SELECT 1 FROM jsonb_array_elements(c.content::jsonb -> 'participant') x WHERE x -> 'role' -> 0 ->> 'text' = 'Community nursing team')) DESC,
               r.id
      LIMIT 1`,
  );
  const patient = carer ? await read('Patient', idOf(carer.patient)!) : undefined;
  const practiceId = idOf(patient?.generalPractitioner?.[0]);
  const practice = practiceId ? await read('Organization', practiceId) : undefined;
  const pcnId = idOf(practice?.partOf);

  // Who each role's account is: someone on the resident's care team in that role when there is one
  // (so the nurse the resident's plan names is the one who signs in), otherwise someone at the
  // organisation of that kind with the most people in its care, and there the person with the most
  // of their own; the lowest id on a tie. So every account opens on a caseload, not an empty list.
  const team = patient ? await one(
    `SELECT r.id, r.content FROM resource r JOIN sp_reference s ON s.rid = r.rid AND s.code = 'subject' AND s.target_type = 'Patient' AND s.target_id = $1
      WHERE r.resource_type = 'CareTeam' AND NOT r.deleted ORDER BY r.id LIMIT 1`,
    [patient.id],
  ) : undefined;
  const onTeam = new Set<string>((team?.participant ?? []).map((p: any) => p?.member?.reference).filter(Boolean));
  const caseload = new Map<string, number>();
  for (const row of (await db.query<{ party: string; n: number }>('SELECT party, count(DISTINCT patient_id)::int AS n FROM care_relationship GROUP BY party')).rows) {
    caseload.set(row.party, row.n);
  }
  const roleAt = async (code: string, orgId?: string) => {
    const rows = (await db.query<Row>(
      `SELECT id, content FROM resource WHERE resource_type = 'PractitionerRole' AND NOT deleted
         AND content::jsonb -> 'code' -> 0 -> 'coding' -> 0 ->> 'code' = $1
         AND ($2::text IS NULL OR content::jsonb -> 'organization' ->> 'reference' = 'Organization/' || $2::text)
       ORDER BY id`,
      [code, orgId ?? null],
    )).rows.map((r) => ({ id: r.id, ...JSON.parse(r.content) }));
    const score = (r: any) => [
      onTeam.has(r.practitioner?.reference) ? 1 : 0, caseload.get(r.organization?.reference) ?? 0, caseload.get(r.practitioner?.reference) ?? 0,
    ];
    let best: any;
    for (const r of rows) {
      if (!best) { best = r; continue; }
      const [a, b] = [score(r), score(best)];
      const i = a.findIndex((x, k) => x !== b[k]);
      if (i >= 0 && a[i] > b[i]) best = r;
    }
    return best;
  };
  const orgFor: Partial<Record<StaffRole, string | undefined>> = {
    gp: practiceId, 'practice-nurse': practiceId, receptionist: practiceId,
    'care-coordinator': pcnId, 'link-worker': pcnId,
    'icb-analyst': icb.id, 'privacy-officer': icb.id, 'system-admin': icb.id, 'local-admin': practiceId,
    // The voluntary organisation running a befriending service in the resident's district.
    'vcse-worker': (await demoBefriendingService(db, practiceId).catch(() => undefined))?.organizationId,
  };

  const planned: { account: DemoAccount; user: Omit<NewUser, 'passwordHash'> }[] = [];
  for (const role of Object.keys(ROLE_NAMES) as StaffRole[]) {
    const synthRole = SYNTH_ROLE[role];
    let organizationId = orgFor[role];
    let practitionerId: string | undefined;
    let displayName = DEMO_STAFF_NAMES[role] ?? `${ROLE_NAMES[role]} (demo)`;
    if (synthRole) {
      const pr = await roleAt(synthRole, organizationId);
      if (!pr) continue;
      organizationId = idOf(pr.organization);
      practitionerId = idOf(pr.practitioner);
      const practitioner = practitionerId ? await read('Practitioner', practitionerId) : undefined;
      displayName = nameOf(practitioner) || displayName; // the header and audit show the role beside the name
    } else if (role === 'receptionist' && organizationId) {
      // The synthetic staff have no receptionists; the demo's is a Practitioner too, so work can be given to them by name.
      practitionerId = await ensureReceptionist(platform, organizationId);
      displayName = RECEPTIONIST_NAME;
    } else if (role === 'vcse-worker' && organizationId) {
      // Nor volunteers' coordinators: the demo's works for the befriending charity, with a Practitioner record of its own.
      practitionerId = await ensureDemoPractitioner(platform, VCSE_ID, organizationId, ['Sam'], 'Okonjo', 'vcse-worker', 'Befriending coordinator');
      displayName = VCSE_NAME;
    }
    if (!organizationId) continue;
    const org = await read('Organization', organizationId);
    const username = DEMO_USERNAMES[role] ?? `${role}.demo`;
    planned.push({
      account: {
        username, password: DEMO_PASSWORD, kind: 'staff', role, displayName, organizationId,
        organizationName: nameOf(org) || organizationId, ...(practitionerId ? { practitionerId } : {}),
      },
      user: { kind: 'staff', username, displayName, memberships: [{ organizationId, role, ...(practitionerId ? { practitionerId } : {}) }] },
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

const RECEPTIONIST_ID = 'demo-receptionist';
const RECEPTIONIST_NAME = 'Alex Morgan';

/** The demo receptionist's Practitioner and PractitionerRole at the practice, written once. */
async function ensureReceptionist(platform: Pick<Platform, 'db' | 'resources'>, practiceId: string): Promise<string> {
  const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Practitioner' AND id = $1", [RECEPTIONIST_ID]);
  if (exists.rows.length > 0) return RECEPTIONIST_ID;
  await platform.resources.update('Practitioner', RECEPTIONIST_ID, {
    resourceType: 'Practitioner', id: RECEPTIONIST_ID, active: true, name: [{ use: 'official', family: 'Morgan', given: ['Alex'] }],
  });
  await platform.resources.update('PractitionerRole', `${RECEPTIONIST_ID}-role`, {
    resourceType: 'PractitionerRole', id: `${RECEPTIONIST_ID}-role`, active: true,
    practitioner: { reference: `Practitioner/${RECEPTIONIST_ID}`, display: RECEPTIONIST_NAME }, organization: { reference: `Organization/${practiceId}` },
    code: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/staff-role', code: 'receptionist', display: 'Receptionist' }], text: 'Receptionist' }],
  });
  return RECEPTIONIST_ID;
}

/** Demo user names that are not `<role>.demo`. */
const DEMO_USERNAMES: Partial<Record<StaffRole, string>> = { 'vcse-worker': 'vcse.demo' };
const VCSE_ID = 'demo-vcse-worker';
const VCSE_NAME = 'Sam Okonjo';

/** A demo Practitioner and their PractitionerRole at an organisation, written once. */
async function ensureDemoPractitioner(platform: Pick<Platform, 'db' | 'resources'>, id: string, orgId: string, given: string[], family: string, code: string, display: string): Promise<string> {
  const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Practitioner' AND id = $1", [id]);
  if (exists.rows.length > 0) return id;
  await platform.resources.update('Practitioner', id, { resourceType: 'Practitioner', id, active: true, name: [{ use: 'official', family, given }] });
  await platform.resources.update('PractitionerRole', `${id}-role`, {
    resourceType: 'PractitionerRole', id: `${id}-role`, active: true,
    practitioner: { reference: `Practitioner/${id}`, display: `${given.join(' ')} ${family}` }, organization: { reference: `Organization/${orgId}` },
    code: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/staff-role', code, display }], text: display }],
  });
  return id;
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
