import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { can } from '../../access/policy/index.js';
import { forbidden } from '../../fhir/outcome.js';
import type { Signed, WebContext } from '../web-context.js';

/**
 * The guard of the outcomes pages built on protected figures (the Better Care Fund view, the 'I'
 * statements figures): a signed-in workspace user with `aggregate.read`, else a 403 saying so; the
 * request audited as a read of `resourceType`.
 */
export async function needAnalyst(web: WebContext, req: FastifyRequest, reply: FastifyReply, what: string, resourceType: string): Promise<Signed | undefined> {
  const s = await web.need(req, reply, 'workspace', 'outcomes');
  if (!s) return undefined;
  const d = can(s.principal, 'aggregate.read');
  if (!d.allowed) throw forbidden(`${what} is for ICB analysts: ${d.reason}`);
  const audit = auditContextOf(req);
  audit.interaction = 'read';
  audit.resourceType = resourceType;
  return s;
}
