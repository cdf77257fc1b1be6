import type { TimelineQuery } from '../record-view/record-summary.service.js';
import { datePartsOf, readDate, type DateParts, type FieldErrors } from './components/index.js';
import type { TimelineForm } from './record.page.js';

const BOXES = ['from-day', 'from-month', 'from-year', 'to-day', 'to-month', 'to-year'];
const filled = (d: DateParts) => !!(d.day || d.month || d.year);

/**
 * The record page's timeline filter, read from its query: the dates come as the NHS three-box input
 * (`from-day`…, `to-year`), or as ISO dates (`from`, `to`) in the links the page itself makes for
 * paging. A date that is not real, or a From after a To, is a form error; the filter then runs
 * without the dates, and the form shows the error with what was typed.
 */
export function timelineFromPage(q: Record<string, unknown>): { query: TimelineQuery; form: TimelineForm } {
  const query: Record<string, unknown> = Object.fromEntries(Object.entries(q).filter(([k]) => !BOXES.includes(k)));
  const errors: FieldErrors = [];
  const form: TimelineForm = { errors };
  for (const [name, words] of [['from', 'The From date'], ['to', 'The To date']] as const) {
    const parts = datePartsOf(q, name);
    if (!filled(parts)) continue;
    form[name] = parts;
    const r = readDate(parts, words);
    if (r.error) errors.push({ field: `${name}-day`, text: r.error });
    else query[name] = r.date;
  }
  if (errors.length === 0 && typeof query.from === 'string' && typeof query.to === 'string' && query.from > query.to) {
    errors.push({ field: 'from-day', text: 'The From date must be the same as or before the To date' });
  }
  if (errors.length > 0) {
    delete query.from;
    delete query.to;
    delete query.cursor;
  }
  return { query: query as TimelineQuery, form };
}
