import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { can } from '../../access/policy/index.js';
import { forbidden, notFound } from '../../fhir/outcome.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { actionableListOf } from '../../outcomes/actionable-list.definitions.js';
import { analystPeopleNote, clinicianIndicatorBody, clinicianOverviewBody } from '../outcome-people.page.js';
import { indicatorBody, indicatorCsv, overviewBody } from '../outcomes.page.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';

/**
 * The outcomes dashboard for ICB analysts (aggregate.read): /outcomes (every indicator with its
 * rating), /outcomes/:id (trend, tile map, places, drill-down by `place`), /outcomes/:id.csv.
 * Reads only stored, protected figures (src/outcomes/outcomes.service.ts).
 */
export async function outcomesRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const outcomes = web.platform.outcomes.service;
  const people = web.platform.outcomes.people;
  const submitted = web.platform.outcomes.submitted;
  const mayRead = (s: Signed) => {
    const d = can(s.principal, 'aggregate.read');
    if (!d.allowed) throw forbidden(`The outcomes dashboard is for ICB analysts: ${d.reason}`);
  };
  /** Clinicians (not analysts) see the indicators without figures, and the people in their care behind them (outcome-people.page.ts). */
  const clinician = (s: Signed) => !can(s.principal, 'aggregate.read').allowed && can(s.principal, 'outcomes.people').allowed;
  /** Partners' staff who may submit an indicator's figures find the form from the indicator. */
  const submitLink = (s: Signed, id: string) => (submitted.maySubmit(s.principal, id)
    ? html`<p><a href="/outcomes/${id}/submit">Submit or correct a figure for this indicator</a></p>` : html``);
  const audited = (req: FastifyRequest) => {
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'MeasureReport';
  };

  app.get('/outcomes', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'outcomes');
    if (!s) return reply;
    if (clinician(s)) return web.send(reply, 200, page({ title: 'Outcomes', viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: clinicianOverviewBody(people.lists()) }));
    mayRead(s);
    audited(req);
    const items = await outcomes.overview(s.principal);
    const residents = await outcomes.residents(s.principal);
    return web.send(reply, 200, page({ title: 'Outcomes', viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: overviewBody(items, residents) }));
  });

  app.get('/outcomes/:file', async (req: FastifyRequest<{ Params: { file: string } }>, reply) => {
    const s = await web.need(req, reply, 'workspace', 'outcomes');
    if (!s) return reply;
    const csv = req.params.file.endsWith('.csv');
    const id = csv ? req.params.file.slice(0, -4) : req.params.file;
    if (!csv && clinician(s)) {
      const i = outcomes.registry.get(id);
      if (!i) throw notFound(`There is no indicator '${id}': the strategy's indicators are O1.1 to O6.5.`);
      return web.send(reply, 200, page({ title: `${i.id} ${i.name}`, viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: html`${clinicianIndicatorBody(i, actionableListOf(id))}${submitLink(s, id)}` }));
    }
    mayRead(s);
    audited(req);
    const indicator = outcomes.registry.get(id);
    if (!indicator) throw notFound(`There is no indicator '${id}': the strategy's indicators are O1.1 to O6.5.`);
    const place = one((req.query as Record<string, unknown>).place);
    if (place !== undefined && !/^[a-z]+(:[A-Za-z0-9\-.]{1,64})?$/.test(place)) throw notFound(`There is no place '${place}'.`);
    if (csv) {
      const rows = await outcomes.figures(s.principal, id, place);
      return reply.code(200).headers({
        'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="outcome-${id}.csv"`, 'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      }).send(indicatorCsv(indicator, rows));
    }
    const d = (await outcomes.indicator(s.principal, id, place ?? 'system'))!;
    const known = d.latest.find((r) => r.place === (place ?? 'system'));
    if (place !== undefined && place !== 'system' && !known && d.history.length === 0) throw notFound(`There are no figures for place '${place}'.`);
    const placeInfo = { id: place ?? 'system', name: known?.placeName ?? d.history[0]?.placeName ?? 'Kent and Medway' };
    return web.send(reply, 200, page({
      title: `${indicator.id} ${indicator.name}`, viewer: s.viewer, nav: navFor(s.principal, 'outcomes'),
      body: indicatorBody({ ...d, place: placeInfo, note: analystPeopleNote(actionableListOf(id)), submitHref: submitted.maySubmit(s.principal, id) ? `/outcomes/${id}/submit` : undefined }),
    }));
  });
}
