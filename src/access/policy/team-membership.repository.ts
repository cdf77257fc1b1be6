import type { Queryable } from '../../db/database.js';
import { isActiveCareTeam } from '../../fhir/statuses.js';
import type { Principal } from '../principal.js';
import { refKey } from './relationship.rules.js';

/**
 * Which care teams a principal belongs to: the CareTeams (active, or with no status, as for care
 * relationships) whose `participant.member` names the user's Practitioner or the organisation the
 * principal acts for. Read from the record as it stands, unrestricted: membership is a fact about
 * the principal, and only the ids leave here, for the policy to decide with (task.policy.ts).
 */
export class TeamMembershipRepository {
  /** Of `teamIds`, those the principal is a member of. */
  async memberOf(q: Queryable, p: Principal, teamIds: readonly string[]): Promise<string[]> {
    const parties = partiesOf(p);
    if (teamIds.length === 0 || parties.size === 0) return [];
    const rows = await q.query<{ id: string; content: string }>(
      "SELECT id, content FROM resource WHERE resource_type = 'CareTeam' AND id = ANY($1::text[]) AND NOT deleted",
      [[...new Set(teamIds)]],
    );
    return rows.rows.filter((r) => isMember(JSON.parse(r.content), parties)).map((r) => r.id).sort();
  }

  /** Every team the principal is a member of (for a worklist of the teams' pool tasks). */
  async teamsOf(q: Queryable, p: Principal): Promise<string[]> {
    const parties = partiesOf(p);
    if (parties.size === 0) return [];
    const refs = [...parties].map((x) => x.split('/'));
    const rows = await q.query<{ id: string }>(
      `SELECT DISTINCT r.id FROM sp_reference x JOIN resource r ON r.rid = x.rid
        WHERE x.resource_type = 'CareTeam' AND x.code = 'participant'
          AND (x.target_type, x.target_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          AND r.resource_type = 'CareTeam' AND NOT r.deleted`,
      [refs.map((r) => r[0]), refs.map((r) => r[1])],
    );
    return this.memberOf(q, p, rows.rows.map((r) => r.id));
  }
}

function partiesOf(p: Principal): Set<string> {
  const out = new Set<string>();
  if (p.kind === 'staff' && p.practitionerId) out.add(`Practitioner/${p.practitionerId}`);
  if (p.kind === 'staff' || p.kind === 'client') out.add(`Organization/${p.organizationId}`);
  return out;
}

function isMember(team: { status?: string; participant?: { member?: { reference?: string } }[] }, parties: Set<string>): boolean {
  if (!isActiveCareTeam(team)) return false;
  return (team.participant ?? []).some((x) => {
    const k = refKey(x?.member);
    return !!k && parties.has(`${k.type}/${k.id}`);
  });
}
