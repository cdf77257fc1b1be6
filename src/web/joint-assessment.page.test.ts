import { describe, expect, it } from 'vitest';
import { TO_ANSWER_LIMIT } from '../care-planning/joint-assessment.service.js';
import { toAnswerBody } from './joint-assessment.page.js';

describe('Assessments to answer', () => {
  it('says when the list is cut at its limit, and where the rest are; says nothing of the kind when it is not', () => {
    const cut = String(toAnswerBody([], true));
    expect(cut).toContain(`More than ${TO_ANSWER_LIMIT} parts are waiting: these are the ${TO_ANSWER_LIMIT} due soonest.`);
    expect(cut).toContain('href="/work?kind=joint-assessment-part"');
    expect(String(toAnswerBody([], false))).not.toContain('More than');
  });
});
