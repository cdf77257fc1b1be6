import type { FastifyInstance } from 'fastify';
import { FhirError } from '../fhir/outcome.js';
import type { Platform } from '../platform.js';
import { errorPage } from './layout.js';
import { adminRoutes } from './routes/admin.routes.js';
import { apiRoutes } from './routes/api.routes.js';
import { breakGlassReviewRoutes } from './routes/break-glass-review.routes.js';
import { directoryRoutes } from './routes/directory.routes.js';
import { dischargeRoutes } from './routes/discharge.routes.js';
import { pathwaysRoutes } from './routes/pathways.routes.js';
import { mdtRoutes } from './routes/mdt.routes.js';
import { jointAssessmentRoutes } from './routes/joint-assessment.routes.js';
import { myPlanRoutes } from './routes/my-plan.routes.js';
import { peopleRoutes } from './routes/people.routes.js';
import { planRoutes } from './routes/plan.routes.js';
import { outcomesRoutes } from './routes/outcomes.routes.js';
import { submittedFigureRoutes } from './routes/submitted-figure.routes.js';
import { bcfRoutes } from './routes/bcf.routes.js';
import { outcomePeopleRoutes } from './routes/outcome-people.routes.js';
import { feedbackRoutes } from './routes/feedback.routes.js';
import { portalRoutes } from './routes/portal.routes.js';
import { proactiveCareRoutes } from './routes/proactive-care.routes.js';
import { referralRoutes } from './routes/referrals.routes.js';
import { socialPrescribingRoutes } from './routes/social-prescribing.routes.js';
import { signInRoutes } from './routes/sign-in.routes.js';
import { workRoutes } from './routes/work.routes.js';
import { staticRoutes } from './static.routes.js';
import { navFor, WebContext } from './web-context.js';

/**
 * The web app: the staff workspace (/work, /people …) and the resident and carer portal (/my-…),
 * server-rendered with the NHS.UK design system; static files under /assets; the record summary as
 * JSON under /api. One plugin per area (src/web/routes/); handlers are thin: they read the session,
 * ask the policy, call a service of the platform, and render with the component kit.
 */
export async function webRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const web = new WebContext(opts.platform);
  await app.register(staticRoutes);
  await app.register(apiRoutes, { web });
  await app.register(async (pages) => {
    // Any error on a page is a page: a FhirError's status and words, never a stack trace or JSON.
    pages.setErrorHandler(async (err, req, reply) => {
      const s = await web.signedIn(req).catch(() => undefined);
      const nav = s ? navFor(s.principal, '') : undefined;
      if (err instanceof FhirError) {
        const text = err.outcome.issue?.[0]?.diagnostics ?? 'The request could not be completed.';
        const title = err.status === 404 ? 'Page not found' : err.status === 403 ? 'You cannot see this' : 'There is a problem';
        return web.send(reply, err.status, errorPage(err.status, s?.viewer, title, text, nav));
      }
      const status = (err as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) return web.send(reply, status, errorPage(status, s?.viewer, 'There is a problem', 'The request could not be understood.', nav));
      req.log.error({ err }, 'web page failed');
      return web.send(reply, 500, errorPage(500, s?.viewer, 'Sorry, there is a problem with the service', 'The page could not be shown.', nav));
    });
    await pages.register(signInRoutes, { web });
    await pages.register(workRoutes, { web });
    await pages.register(peopleRoutes, { web });
    await pages.register(breakGlassReviewRoutes, { web });
    await pages.register(portalRoutes, { web });
    await pages.register(referralRoutes, { web });
    await pages.register(socialPrescribingRoutes, { web });
    await pages.register(adminRoutes, { web });
    await pages.register(outcomesRoutes, { web });
    await pages.register(submittedFigureRoutes, { web });
    await pages.register(bcfRoutes, { web });
    await pages.register(outcomePeopleRoutes, { web });
    await pages.register(feedbackRoutes, { web });
    await pages.register(directoryRoutes, { web });
    await pages.register(dischargeRoutes, { web });
    await pages.register(pathwaysRoutes, { web });
    await pages.register(proactiveCareRoutes, { web });
    await pages.register(planRoutes, { web });
    await pages.register(mdtRoutes, { web });
    await pages.register(myPlanRoutes, { web });
    await pages.register(jointAssessmentRoutes, { web });
  });
}
