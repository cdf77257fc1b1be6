import type { DemoAccount } from '../access/identity/demo-accounts.js';
import type { StaffPrincipal } from '../access/principal.js';
import type { Platform } from '../platform.js';

const day = (now: Date, offset: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + offset * 86_400_000).toISOString().slice(0, 10);

function principalOf(a: DemoAccount | undefined): StaffPrincipal | undefined {
  if (!a || a.kind !== 'staff' || !a.role || !a.organizationId) return undefined;
  return {
    kind: 'staff', id: a.username, displayName: a.displayName, role: a.role, organizationId: a.organizationId, organizationIds: [a.organizationId],
    ...(a.practitionerId ? { practitionerId: a.practitionerId } : {}), via: 'session', credentialId: 'demo-seed',
  };
}

/**
 * The demo's care planning, written through the same services as the pages (so every rule holds):
 * the demo resident's plan made with them (sections, an action, a review, the care coordinator as
 * named professional) waiting for them to agree it; plans in every state for other people in the
 * care coordinator's care (being written, agreed and in use, changed since agreed, finished); a
 * past MDT meeting whose open action carries the resident over to an upcoming one, where the GP's
 * team has given actions to a social worker and a voluntary organisation. Written once: skipped
 * when an MDT meeting exists already.
 */
export async function seedDemoCarePlanning(platform: Platform, accounts: DemoAccount[], now: Date): Promise<void> {
  const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Appointment' AND content LIKE '%mdt-meeting%' LIMIT 1");
  if (exists.rows.length > 0) return;
  const cc = principalOf(accounts.find((a) => a.role === 'care-coordinator'));
  const gp = principalOf(accounts.find((a) => a.role === 'gp'));
  const sw = accounts.find((a) => a.role === 'social-worker');
  const resident = accounts.find((a) => a.kind === 'resident')?.patientId;
  if (!cc || !gp || !resident) return;
  const { plans, mdt, namedProfessionals, lists } = platform.carePlanning;
  const vcs = (await platform.db.query<{ id: string }>("SELECT id FROM resource WHERE resource_type = 'Organization' AND NOT deleted AND content::jsonb ->> 'name' ILIKE 'Carers%' ORDER BY id LIMIT 1")).rows[0]?.id;
  const orgOf = (role: string) => accounts.find((a) => a.role === role)?.organizationId;
  const ccOrg = cc.organizationId;

  // The resident's plan: theirs from the record (the synthetic population's), or a new one.
  const mine = await plans.forPerson(cc, resident).catch(() => undefined);
  if (mine) {
    if (cc.practitionerId) {
      const me = `Practitioner/${cc.practitionerId}`;
      const named = await namedProfessionals.of(cc, resident).catch(() => undefined);
      if (named && !named.current) await namedProfessionals.assign(cc, resident, me).catch(() => undefined);
      else if (named?.current && named.current.manager.reference !== me && !named.pending) {
        // The synthetic population names someone already: the demo's care coordinator takes over by handover.
        await namedProfessionals.proposeHandover(cc, resident, me).catch(() => undefined);
        await namedProfessionals.acceptHandover(cc, resident).catch(() => undefined);
      }
    }
    let p = mine.current ?? await plans.start(cc, resident, 'Staying well at home');
    p = await plans.saveSections(cc, p.view.id, p.versionId, {
      title: p.view.title, aboutMe: 'I have lived here for forty years. I like my garden, the radio, and a chat with my neighbours.',
      whatMatters: p.view.whatMatters ?? 'Staying in my own home, and being able to get out into the garden.',
      needs: 'Help to stay steady on my feet\nSupport for my carer to have a break\nHelp to manage my medicines',
      contingency: [
        { trigger: 'my carer is unwell or cannot come', action: 'Call the care coordinator; out of hours call 111 and say I have a care plan' },
        { trigger: 'I have a fall', action: 'Press the pendant alarm; if hurt call 999' },
      ],
    });
    if (p.view.goals.length === 0) p = await plans.addGoal(cc, p.view.id, p.versionId, 'Walk to the end of the garden and back every day');
    p = await plans.addAction(cc, p.view.id, p.versionId, { what: 'Strength and balance exercise group, Tuesdays', owner: `Organization/${ccOrg}`, due: day(now, 21) });
    p = await plans.setReview(cc, p.view.id, p.versionId, day(now, 12), cc.practitionerId ? `Practitioner/${cc.practitionerId}` : `Organization/${ccOrg}`, cc.displayName);
    if (p.view.status === 'draft') await plans.setStatus(cc, p.view.id, p.versionId, 'active');
  }

  // Plans in every state, for people in the care coordinator's care who have none.
  const people = (await lists.withoutPlan(cc)).people.filter((x) => x.id !== resident).slice(0, 4);
  const [draft, agreed, changed, finished] = people;
  if (draft) await plans.start(cc, draft.id, 'My care and support plan');
  for (const person of [agreed, changed, finished].filter(Boolean)) {
    let p = await plans.start(cc, person.id, 'Living well with my conditions');
    p = await plans.saveSections(cc, p.view.id, p.versionId, { title: p.view.title, whatMatters: 'Keeping my independence', needs: 'Help with shopping', contingency: [] });
    p = await plans.addGoal(cc, p.view.id, p.versionId, 'Get to the shops on my own', '5');
    p = await plans.setStatus(cc, p.view.id, p.versionId, 'active');
    if (person === finished) { await plans.setStatus(cc, p.view.id, p.versionId, 'completed'); continue; }
    p = await plans.agree(cc, p.view.id, p.versionId, { agreedWith: `Patient/${person.id}`, date: day(now, -7) });
    p = await plans.setReview(cc, p.view.id, p.versionId, day(now, person === changed ? -3 : 20), `Organization/${ccOrg}`);
    if (person === changed) await plans.saveSections(cc, p.view.id, p.versionId, { title: p.view.title, whatMatters: 'Keeping my independence', needs: 'Help with shopping\nA key safe', contingency: [] });
  }

  // MDT: last fortnight's meeting left an action open, so the resident is carried over to the next one.
  const orgs = [ccOrg, orgOf('social-worker'), orgOf('community-nurse'), vcs].filter((x): x is string => !!x && x !== gp.organizationId);
  const past = await mdt.arrange(gp, { title: 'Neighbourhood team MDT', date: day(now, -11), time: '13:00', organisations: orgs });
  const item = await mdt.addPerson(gp, past.id, resident).catch(() => undefined);
  if (item) {
    await mdt.recordDiscussion(gp, past.id, item, 'Two falls in the last month. Lives with her husband, who is her carer and is tired. Agreed to look at the care package and support for him.');
    await mdt.addAction(gp, past.id, item, { what: 'Review the care and support package', owner: sw?.practitionerId ? `Practitioner/${sw.practitionerId}` : `Organization/${orgOf('social-worker') ?? gp.organizationId}`, due: day(now, 5) });
  }
  const next = await mdt.arrange(gp, { title: 'Neighbourhood team MDT', date: day(now, 3), time: '13:00', organisations: orgs });
  // And two people in the GP's care without a plan, added by hand (as from case finding).
  for (const person of (await lists.withoutPlan(gp)).people.filter((x) => x.id !== resident).slice(0, 2)) await mdt.addPerson(gp, next.id, person.id).catch(() => undefined);
  const again = next.people.find((x) => x.patientId === resident)?.itemId;
  if (again && vcs) {
    await mdt.addAction(gp, next.id, again, { what: "Carer's assessment and a regular break for her husband", owner: `Organization/${vcs}`, due: day(now, 10) });
  }
  // The care coordinator has an MDT action of their own to do, so their "MDT actions due" list is not empty.
  if (again && cc.practitionerId) {
    await mdt.addAction(gp, next.id, again, { what: 'Check the strength and balance group has started, and tell the team', owner: `Practitioner/${cc.practitionerId}`, due: day(now, 7) });
  }
}
