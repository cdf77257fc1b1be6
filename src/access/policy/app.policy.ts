import type { Principal } from '../principal.js';
import type { Decision } from './policy.js';

/**
 * Which part of the web app a principal uses, and who reads a person's access log: staff use the
 * workspace, residents and their proxies the portal, and only the person themself reads who looked
 * at their record (a proxy acts for the person's care, not their privacy).
 */
export type AppVerb = 'workspace.use' | 'portal.use' | 'accesslog.read';

/** accesslog.read: whose log. */
export interface AccessLogSubject {
  patientId: string;
}

export function canUseApp(p: Principal, verb: AppVerb, s?: AccessLogSubject): Decision {
  switch (verb) {
    case 'workspace.use':
      return p.kind === 'staff' ? { allowed: true, reason: 'staff use the workspace' } : { allowed: false, reason: 'the workspace is for staff' };
    case 'portal.use':
      return p.kind === 'resident' || p.kind === 'proxy'
        ? { allowed: true, reason: 'residents and carers use the portal' }
        : { allowed: false, reason: 'the portal is for residents and their carers' };
    case 'accesslog.read':
      if (p.kind !== 'resident') return { allowed: false, reason: 'only the person themself reads their access log' };
      return !s || s.patientId === p.patientId
        ? { allowed: true, reason: 'a person reads who accessed their record' }
        : { allowed: false, reason: 'a person reads only their own access log' };
  }
}
