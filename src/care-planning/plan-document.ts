import type { Bundle, BundleEntry, CarePlan, Composition, CompositionSection, Goal, Resource, Task } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { PLAN_CATEGORY } from './care-planning.vocabulary.js';
import { planViewOf, type PlanView } from './plan.view.js';

/**
 * The plan as a FHIR document (a Bundle of type `document` whose first entry is a Composition), the
 * way a personalised care and support plan travels between systems: one section per heading of the
 * PRSB standard, each with a narrative for a human reader and entries pointing at the resources in
 * the Bundle that hold the data (the CarePlan, its Goals and its Tasks). `readPlanDocument` reads it
 * back into the same PlanView the pages show, so a round trip loses nothing (plan-document.test.ts).
 */
const SECTION_SYSTEM = 'https://onestory.example/fhir/CodeSystem/pcsp-section';
export const PCSP_SECTIONS = {
  'about-me': 'About me',
  'what-matters': 'What matters to me',
  needs: 'My needs',
  goals: 'My goals and how confident I feel',
  actions: 'Actions: who, what, by when',
  contingency: 'Contingency and crisis plan',
  involvement: 'Who was involved',
  agreement: 'Agreement',
  review: 'Next review',
} as const;
type SectionCode = keyof typeof PCSP_SECTIONS;

const fullUrl = (r: Resource) => `urn:onestory:${r.resourceType}/${r.id}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const div = (lines: string[]) => ({ status: 'generated' as const, div: `<div xmlns="http://www.w3.org/1999/xhtml">${lines.length ? lines.map((l) => `<p>${esc(l)}</p>`).join('') : '<p>None recorded.</p>'}</div>` });

export function planDocument(plan: CarePlan & { meta?: { versionId?: string } }, goals: Goal[], tasks: Task[], view: PlanView, now: Date): Bundle {
  const planRef = { reference: fullUrl(plan) };
  const section = (code: SectionCode, lines: string[], entry: { reference: string }[] = [planRef]): CompositionSection => ({
    title: PCSP_SECTIONS[code], code: { coding: [{ system: SECTION_SYSTEM, code, display: PCSP_SECTIONS[code] }] }, text: div(lines), entry,
  });
  const composition: Composition = {
    resourceType: 'Composition', id: `pcsp-${plan.id}-${view.versionId}`,
    status: view.status === 'active' && view.agreedAsItIs ? 'final' : 'preliminary',
    type: PLAN_CATEGORY, subject: plan.subject, date: now.toISOString(), title: view.title,
    author: plan.author ? [plan.author as Composition['author'][number]] : [{ display: 'OneStory' }],
    section: [
      section('about-me', view.aboutMe ? [view.aboutMe] : []),
      section('what-matters', view.whatMatters ? [view.whatMatters] : []),
      section('needs', view.needs),
      section('goals', view.goals.map((g) => `${g.text}${g.confidence !== undefined ? ` (confidence ${g.confidence} out of 10)` : ''}`), goals.map((g) => ({ reference: fullUrl(g) }))),
      section('actions', view.actions.map((a) => `${a.what}: ${a.who?.name ?? 'nobody named'}, by ${a.due ?? 'no date'}`), tasks.map((t) => ({ reference: fullUrl(t) }))),
      section('contingency', view.contingency.map((c) => `If ${c.trigger}: ${c.action}`)),
      section('involvement', view.involved.map((i) => i.name)),
      section('agreement', view.agreement ? [`Agreed by ${view.agreement.agreedByName ?? view.agreement.agreedBy} on ${view.agreement.date.slice(0, 10)}${view.agreedAsItIs ? '' : ' (the plan has changed since)'}`] : ['Not agreed yet']),
      section('review', view.review ? [`${view.review.date}${view.review.owner ? `, led by ${view.review.owner.name}` : ''}`] : []),
    ],
  };
  const entry: BundleEntry[] = [composition, plan, ...goals, ...tasks].map((r) => ({ fullUrl: fullUrl(r), resource: r }));
  return { resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:onestory:pcsp-document', value: composition.id }, timestamp: now.toISOString(), entry };
}

/** Reads a plan document back: the CarePlan, Goals and Tasks its Composition's sections point at, as a PlanView. */
export function readPlanDocument(bundle: Bundle): { view: PlanView; plan: CarePlan; goals: Goal[]; tasks: Task[] } {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'document') throw badRequest('A plan document is a Bundle of type document');
  const byUrl = new Map((bundle.entry ?? []).map((e) => [e.fullUrl, e.resource]));
  const composition = bundle.entry?.[0]?.resource as Composition | undefined;
  if (composition?.resourceType !== 'Composition') throw badRequest('A document starts with its Composition');
  const sectionEntries = (code: SectionCode) => (composition.section ?? []).find((s) => s.code?.coding?.some((c) => c.code === code))?.entry ?? [];
  const resolve = <T extends Resource>(refs: { reference?: string }[], type: string): T[] =>
    refs.map((r) => byUrl.get(r.reference)).filter((r): r is T => r?.resourceType === type);
  const plan = resolve<CarePlan>(sectionEntries('about-me'), 'CarePlan')[0];
  if (!plan) throw badRequest('The document names no care plan');
  const goals = resolve<Goal>(sectionEntries('goals'), 'Goal');
  const tasks = resolve<Task>(sectionEntries('actions'), 'Task');
  const versionId = Number(plan.meta?.versionId ?? 0);
  const view = planViewOf(plan, versionId, new Map(goals.map((g) => [g.id!, g])), new Map(tasks.map((t) => [t.id!, t])));
  return { view, plan, goals, tasks };
}
