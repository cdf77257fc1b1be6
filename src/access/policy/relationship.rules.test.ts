import { describe, expect, it } from 'vitest';
import { relationshipsOf } from './relationship.rules.js';

const team = (participant: unknown[], status = 'active') => ({
  resourceType: 'CareTeam', id: 'ct-1', status, subject: { reference: 'Patient/pat-1' }, participant,
});

describe('care relationships from a CareTeam', () => {
  it('relates an organisation taking part as a team, as well as the named people, and nobody else', () => {
    const rows = relationshipsOf(team([
      { member: { reference: 'Practitioner/prac-1' }, onBehalfOf: { reference: 'Organization/org-gp' } },
      { role: [{ text: 'Community nursing team' }], member: { reference: 'Organization/org-ryy' } },
      { member: { reference: 'RelatedPerson/rp-1' } },
      { member: { reference: 'Patient/pat-1' } },
    ]));
    expect(rows.sort()).toEqual([
      ['pat-1', 'Organization/org-ryy', 'CareTeam'],
      ['pat-1', 'Practitioner/prac-1', 'CareTeam'],
    ]);
  });

  it('gives an organisation nothing for acting on behalf of a named member (the named person is the relationship)', () => {
    const rows = relationshipsOf(team([{ member: { reference: 'Practitioner/prac-1' }, onBehalfOf: { reference: 'Organization/org-gp' } }]));
    expect(rows.map((r) => r[1])).toEqual(['Practitioner/prac-1']);
  });

  it('ends the team organisation\'s relationship when the care team is no longer active', () => {
    expect(relationshipsOf(team([{ member: { reference: 'Organization/org-ryy' } }], 'inactive'))).toEqual([]);
  });
});
