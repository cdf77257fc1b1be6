/**
 * UK terms for coded concepts. SNOMED CT's international display names are US English ("Anemia",
 * "Dyspnea") and often a classifier's wording ("Hypertensive disorder, systemic arterial"); people in
 * the NHS read the UK edition's preferred terms, and residents and carers read plain English. This is
 * the one place that says which words a code is shown in; fhir-text's conceptText reads it, so records
 * sent by partners are shown in the same words as our own.
 */

export const SNOMED_SYSTEM = 'http://snomed.info/sct';

/** Whose words: staff read the clinical term; the person and their carer read plain English. */
export type Words = 'clinical' | 'plain';

interface UkTerm {
  /** The UK edition's preferred term (what staff see). */
  term: string;
  /** Plain English for the person's own view, when the clinical term is not everyday English. */
  plain?: string;
}

/**
 * The codes the platform itself writes (the synthetic catalogue, src/synth/clinical.catalogue.ts,
 * and the reasons and reactions synth records) whose international display is not the UK term or
 * not plain English. A code not listed falls back to its display with UK spelling (ukSpelling).
 */
export const UK_TERMS: Readonly<Record<string, UkTerm>> = {
  '38341003': { term: 'Hypertension', plain: 'High blood pressure' },
  '44054006': { term: 'Type 2 diabetes mellitus', plain: 'Type 2 diabetes' },
  '13645005': { term: 'Chronic obstructive pulmonary disease', plain: 'COPD (chronic obstructive pulmonary disease)' },
  '53741008': { term: 'Coronary heart disease' },
  '230690007': { term: 'Stroke' },
  '35489007': { term: 'Depression' },
  '363346000': { term: 'Cancer' },
  '110359009': { term: 'Learning disability' },
  '49436004': { term: 'Atrial fibrillation', plain: 'Atrial fibrillation (irregular heartbeat)' },
  '709044004': { term: 'Chronic kidney disease' },
  '271737000': { term: 'Anaemia' },
  '60845006': { term: 'Dyspnoea on exertion', plain: 'Breathlessness on exertion' },
  '45007003': { term: 'Low blood pressure' },
  '193462001': { term: 'Insomnia', plain: 'Difficulty sleeping' },
  '62315008': { term: 'Diarrhoea' },
  '68566005': { term: 'Urinary tract infection' },
  '230145002': { term: 'Difficulty breathing' },
  '271807003': { term: 'Rash' },
  '4525004': { term: 'A&E attendance' },
};

/** US spellings in clinical words and their UK forms; each keeps the case of its first letter. */
const SPELLINGS: [RegExp, string][] = [
  [/\bdiarrhea/gi, 'diarrhoea'],
  [/\bdyspnea/gi, 'dyspnoea'],
  [/apnea\b/gi, 'apnoea'],
  [/\bedema/gi, 'oedema'],
  [/\besophag/gi, 'oesophag'],
  [/\bestrogen/gi, 'oestrogen'],
  [/\bceliac/gi, 'coeliac'],
  [/\bhem(?=[oa])/gi, 'haem'],
  [/\banesthe/gi, 'anaesthe'],
  [/\bpediatric/gi, 'paediatric'],
  [/\borthopedic/gi, 'orthopaedic'],
  [/\bgynecolog/gi, 'gynaecolog'],
  [/\btumor\b/gi, 'tumour'],
  [/\btumors\b/gi, 'tumours'],
  [/\bbehavior/gi, 'behaviour'],
  [/\bneighbor/gi, 'neighbour'],
  // -emia/-emic by stem (anemia, ischemic, hypoglycemia): a bare -emic rule would also change systemic and epidemic.
  [/(an|isch|leuk|septic|glyc|kal|natr|calc|phosphat|magnes|ur|lipid|ox|tox|bacter|vir|thalass)emi(a|c)\b/gi, '$1aemi$2'],
];

/** Plain words for clinical ones, for the person's view. */
const PLAIN_WORDS: [RegExp, string][] = [
  [/\bdyspnoea\b/gi, 'breathlessness'],
  [/\bhypertension\b/gi, 'high blood pressure'],
  [/\bhypotension\b/gi, 'low blood pressure'],
];

function keepCase(found: string, replacement: string): string {
  return found[0] === found[0].toUpperCase() && found[0] !== found[0].toLowerCase()
    ? replacement[0].toUpperCase() + replacement.slice(1)
    : replacement;
}

function replaceAll(text: string, rules: [RegExp, string][]): string {
  let out = text;
  for (const [re, to] of rules) {
    out = to.includes('$') ? out.replace(re, to) : out.replace(re, (found) => keepCase(found, to));
  }
  return out;
}

/** "Anemia" → "Anaemia", "Diarrhea" → "Diarrhoea"; words already in UK spelling are left alone. */
export function ukSpelling(text: string): string {
  return replaceAll(text, SPELLINGS);
}

/** UK spelling, then plain words for the person's view ("Dyspnea" → "Breathlessness"). */
export function inWords(text: string, words: Words): string {
  const uk = ukSpelling(text);
  return words === 'plain' ? replaceAll(uk, PLAIN_WORDS) : uk;
}

/** The UK term of a coding, in whose words; undefined for a code this module does not know. */
export function ukTermOf(coding: { system?: unknown; code?: unknown } | undefined, words: Words): string | undefined {
  if (coding?.system !== SNOMED_SYSTEM || typeof coding.code !== 'string') return undefined;
  const t = UK_TERMS[coding.code];
  if (!t) return undefined;
  return words === 'plain' ? t.plain ?? t.term : t.term;
}
