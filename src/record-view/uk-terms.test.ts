import { describe, expect, it } from 'vitest';
import { CONDITIONS } from '../synth/clinical.catalogue.js';
import { SNOMED_SYSTEM, inWords, ukSpelling, ukTermOf } from './uk-terms.js';

describe('UK terms', () => {
  it('gives the UK preferred term for codes the platform writes, and plain English for the person', () => {
    const hypertension = { system: SNOMED_SYSTEM, code: '38341003' };
    expect(ukTermOf(hypertension, 'clinical')).toBe('Hypertension');
    expect(ukTermOf(hypertension, 'plain')).toBe('High blood pressure');
    expect(ukTermOf({ system: SNOMED_SYSTEM, code: '271737000' }, 'clinical')).toBe('Anaemia');
    expect(ukTermOf({ system: SNOMED_SYSTEM, code: '60845006' }, 'plain')).toBe('Breathlessness on exertion');
    // No plain term of its own: the person reads the UK term.
    expect(ukTermOf({ system: SNOMED_SYSTEM, code: '230690007' }, 'plain')).toBe('Stroke');
  });

  it('knows codes only in SNOMED CT, not a local code system that happens to use the same digits', () => {
    expect(ukTermOf({ system: 'https://example.org/local', code: '38341003' }, 'clinical')).toBeUndefined();
    expect(ukTermOf({ system: SNOMED_SYSTEM, code: '999999999' }, 'clinical')).toBeUndefined();
  });

  it('spells common US forms the UK way, keeping the first letter\'s case and leaving look-alikes alone', () => {
    expect(ukSpelling('Anemia')).toBe('Anaemia');
    expect(ukSpelling('Iron deficiency anemia')).toBe('Iron deficiency anaemia');
    expect(ukSpelling('Ischemic heart disease')).toBe('Ischaemic heart disease');
    expect(ukSpelling('Edema of lower leg')).toBe('Oedema of lower leg');
    expect(ukSpelling('Diarrhea')).toBe('Diarrhoea');
    expect(ukSpelling('Hemorrhage of rectum')).toBe('Haemorrhage of rectum');
    expect(ukSpelling('Hypoglycemia')).toBe('Hypoglycaemia');
    expect(ukSpelling('neighbor')).toBe('neighbour'); // HL7's RoleCode display for a neighbour who cares
    // Already UK, or not a US spelling at all.
    expect(ukSpelling('Anaemia')).toBe('Anaemia');
    expect(ukSpelling('Emphysema')).toBe('Emphysema');
    expect(ukSpelling('Systemic lupus erythematosus')).toBe('Systemic lupus erythematosus');
    expect(ukSpelling('Epidemic')).toBe('Epidemic');
    expect(ukSpelling('Hemiplegia')).toBe('Hemiplegia');
  });

  it('says dyspnoea as breathlessness in the person\'s view only', () => {
    expect(inWords('Dyspnea', 'clinical')).toBe('Dyspnoea');
    expect(inWords('Dyspnea', 'plain')).toBe('Breathlessness');
    expect(inWords('Nocturnal dyspnea', 'plain')).toBe('Nocturnal breathlessness');
  });

  it('is what the synthetic catalogue writes, so the data carries UK terms before the page reads it', () => {
    for (const c of CONDITIONS) {
      expect(ukTermOf({ system: SNOMED_SYSTEM, code: c.code }, 'clinical') ?? c.display, c.key).toBe(c.display);
      expect(ukSpelling(c.display), c.key).toBe(c.display);
    }
  });
});
