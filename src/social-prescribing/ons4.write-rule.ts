import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import { invalidResource, issue } from '../fhir/outcome.js';
import type { WriteRule } from '../fhir/write-rules.js';
import { ONS4_ITEMS, ONS4_SHORT, ONS4_URL, TIMEPOINT_EXTENSION, TIMEPOINTS, type Ons4Item } from './social-prescribing.vocabulary.js';

/**
 * What an ONS4 response may contain, on every write path (the caseload's form, the FHIR API, Bundles),
 * before anything is stored (422 otherwise): each of the four questions answered once with a whole
 * number from 0 to 10, no other items, and its time point (start or end). A wellbeing change is only as
 * good as its scores: one outside the scale would move the mean silently.
 */
export const ons4WriteRule: WriteRule = {
  types: ['QuestionnaireResponse'],
  async check(w) {
    if (!w.resource || w.action === 'delete') return;
    const qr = w.resource as QuestionnaireResponse;
    if (qr.questionnaire !== ONS4_URL) return;
    const items = qr.item ?? [];
    for (const linkId of Object.keys(ONS4_ITEMS) as Ons4Item[]) {
      const answers = items.filter((i) => i.linkId === linkId).flatMap((i) => i.answer ?? []);
      const v = answers[0]?.valueInteger;
      if (answers.length !== 1 || !Number.isInteger(v) || v! < 0 || v! > 10) {
        throw invalidResource([issue('business-rule', `${ONS4_SHORT[linkId]}: ONS4 needs one whole-number answer from 0 to 10`, linkId)]);
      }
    }
    const other = items.find((i) => !(i.linkId in ONS4_ITEMS));
    if (other) throw invalidResource([issue('business-rule', `"${other.linkId}" is not an ONS4 question`, 'item')]);
    const tp = qr.extension?.find((e) => e.url === TIMEPOINT_EXTENSION)?.valueCode;
    if (!tp || !(tp in TIMEPOINTS)) throw invalidResource([issue('business-rule', 'An ONS4 response says whether it is at the start or the end (the outcome-measure-timepoint extension)', 'timepoint')]);
  },
};
