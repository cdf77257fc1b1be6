import type { EfiDeficit } from './reference-data.js';

/**
 * Long-term conditions, their medicines and the frailty deficits. Displays are UK terms (as
 * src/record-view/uk-terms.ts shows them), not SNOMED CT's international US English. Prevalences are by age band
 * [0-17, 18-39, 40-64, 65-79, 80+], shaped on QOF registers and the published eFI papers: close
 * enough that registers, frailty and polypharmacy look like a real system, not calibrated to an
 * indicator (the strategy's indicators are calibrated separately, in history.model.ts).
 */

export interface ConditionDef {
  key: string;
  code: string;
  display: string;
  bands: [number, number, number, number, number];
  male?: number;
  female?: number;
  /** Deprivation gradient (see depFactor). */
  dep: number;
  /** The eFI deficit this condition counts towards. */
  efi?: string;
  medicines: [string, number][];
}

export const CONDITIONS: ConditionDef[] = [
  { key: 'hypertension', code: '38341003', display: 'Hypertension', bands: [0, 0.03, 0.16, 0.45, 0.6], dep: 0.15, efi: 'Hypertension',
    medicines: [['Amlodipine 5mg tablets', 0.55], ['Ramipril 5mg capsules', 0.45], ['Indapamide 2.5mg tablets', 0.15]] },
  { key: 'diabetes', code: '44054006', display: 'Type 2 diabetes mellitus', bands: [0.001, 0.015, 0.08, 0.17, 0.18], male: 1.2, female: 0.83, dep: 0.3, efi: 'Diabetes',
    medicines: [['Metformin 500mg tablets', 0.85], ['Gliclazide 80mg tablets', 0.25], ['Empagliflozin 10mg tablets', 0.2]] },
  { key: 'asthma', code: '195967001', display: 'Asthma', bands: [0.08, 0.07, 0.065, 0.065, 0.06], dep: 0.15, efi: 'Respiratory disease',
    medicines: [['Salbutamol 100micrograms/dose inhaler', 0.9], ['Beclometasone 100micrograms/dose inhaler', 0.6]] },
  { key: 'copd', code: '13645005', display: 'Chronic obstructive pulmonary disease', bands: [0, 0.002, 0.02, 0.07, 0.09], dep: 0.5, efi: 'Respiratory disease',
    medicines: [['Tiotropium 2.5micrograms/dose inhaler', 0.7], ['Salbutamol 100micrograms/dose inhaler', 0.8]] },
  { key: 'chd', code: '53741008', display: 'Coronary heart disease', bands: [0, 0.001, 0.03, 0.1, 0.16], male: 1.4, female: 0.65, dep: 0.3, efi: 'Ischaemic heart disease',
    medicines: [['Atorvastatin 20mg tablets', 0.85], ['Aspirin 75mg dispersible tablets', 0.6], ['Bisoprolol 2.5mg tablets', 0.5], ['Glyceryl trinitrate 400micrograms/dose spray', 0.3]] },
  { key: 'heart-failure', code: '84114007', display: 'Heart failure', bands: [0, 0, 0.005, 0.03, 0.08], dep: 0.2, efi: 'Heart failure',
    medicines: [['Furosemide 40mg tablets', 0.7], ['Bisoprolol 2.5mg tablets', 0.6], ['Ramipril 5mg capsules', 0.5]] },
  { key: 'af', code: '49436004', display: 'Atrial fibrillation', bands: [0, 0.001, 0.01, 0.06, 0.13], male: 1.2, female: 0.85, dep: 0, efi: 'Atrial fibrillation',
    medicines: [['Apixaban 5mg tablets', 0.75], ['Bisoprolol 2.5mg tablets', 0.5]] },
  { key: 'stroke', code: '230690007', display: 'Stroke', bands: [0, 0.001, 0.01, 0.04, 0.08], dep: 0.2, efi: 'Cerebrovascular disease',
    medicines: [['Clopidogrel 75mg tablets', 0.7], ['Atorvastatin 20mg tablets', 0.8]] },
  { key: 'ckd', code: '709044004', display: 'Chronic kidney disease', bands: [0, 0.002, 0.02, 0.1, 0.25], dep: 0.15, efi: 'Chronic kidney disease', medicines: [] },
  { key: 'depression', code: '35489007', display: 'Depression', bands: [0.01, 0.12, 0.14, 0.1, 0.09], male: 0.7, female: 1.3, dep: 0.35,
    medicines: [['Sertraline 50mg tablets', 0.5], ['Citalopram 20mg tablets', 0.25], ['Mirtazapine 15mg tablets', 0.1]] },
  { key: 'anxiety', code: '197480006', display: 'Anxiety disorder', bands: [0.02, 0.08, 0.07, 0.05, 0.04], male: 0.7, female: 1.3, dep: 0.2,
    medicines: [['Propranolol 10mg tablets', 0.2]] },
  { key: 'dementia', code: '52448006', display: 'Dementia', bands: [0, 0, 0.001, 0.02, 0.12], dep: 0.1, efi: 'Memory and cognitive problems',
    medicines: [['Donepezil 10mg tablets', 0.5], ['Memantine 10mg tablets', 0.2]] },
  { key: 'osteoarthritis', code: '396275006', display: 'Osteoarthritis', bands: [0, 0.01, 0.08, 0.2, 0.3], male: 0.8, female: 1.2, dep: 0.15, efi: 'Arthritis',
    medicines: [['Paracetamol 500mg tablets', 0.5], ['Naproxen 250mg tablets', 0.2], ['Co-codamol 30mg/500mg tablets', 0.2]] },
  { key: 'hypothyroidism', code: '40930008', display: 'Hypothyroidism', bands: [0.001, 0.01, 0.035, 0.06, 0.07], male: 0.3, female: 1.7, dep: 0, efi: 'Thyroid disease',
    medicines: [['Levothyroxine 50microgram tablets', 0.95]] },
  { key: 'osteoporosis', code: '64859006', display: 'Osteoporosis', bands: [0, 0, 0.01, 0.05, 0.12], male: 0.3, female: 1.7, dep: 0.1, efi: 'Osteoporosis',
    medicines: [['Alendronic acid 70mg tablets', 0.7], ['Calcium carbonate / colecalciferol chewable tablets', 0.7]] },
  { key: 'parkinsons', code: '49049000', display: "Parkinson's disease", bands: [0, 0, 0.001, 0.006, 0.015], male: 1.4, female: 0.65, dep: 0, efi: 'Parkinsonism and tremor',
    medicines: [['Co-careldopa 25mg/100mg tablets', 0.9]] },
  { key: 'rheumatoid-arthritis', code: '69896004', display: 'Rheumatoid arthritis', bands: [0, 0.002, 0.01, 0.02, 0.02], male: 0.5, female: 1.5, dep: 0.1, efi: 'Arthritis',
    medicines: [['Methotrexate 2.5mg tablets', 0.6], ['Folic acid 5mg tablets', 0.6]] },
  { key: 'cancer', code: '363346000', display: 'Cancer', bands: [0.001, 0.005, 0.03, 0.08, 0.1], dep: 0.1, medicines: [] },
  { key: 'epilepsy', code: '84757009', display: 'Epilepsy', bands: [0.005, 0.008, 0.008, 0.008, 0.008], dep: 0.2,
    medicines: [['Levetiracetam 500mg tablets', 0.5], ['Lamotrigine 100mg tablets', 0.3], ['Sodium valproate 500mg gastro-resistant tablets', 0.15]] },
  { key: 'schizophrenia', code: '58214004', display: 'Schizophrenia', bands: [0.0002, 0.005, 0.006, 0.004, 0.003], male: 1.4, female: 0.6, dep: 0.6,
    medicines: [['Olanzapine 10mg tablets', 0.5], ['Aripiprazole 10mg tablets', 0.4]] },
  { key: 'bipolar', code: '13746004', display: 'Bipolar disorder', bands: [0.0002, 0.004, 0.005, 0.004, 0.003], dep: 0.3,
    medicines: [['Lithium carbonate 400mg modified-release tablets', 0.5], ['Quetiapine 100mg tablets', 0.4]] },
  { key: 'learning-disability', code: '110359009', display: 'Learning disability', bands: [0.006, 0.005, 0.004, 0.002, 0.001], male: 1.3, female: 0.7, dep: 0.2, medicines: [] },
  { key: 'alcohol-dependence', code: '66590003', display: 'Alcohol dependence', bands: [0, 0.012, 0.014, 0.008, 0.003], male: 1.5, female: 0.5, dep: 0.5, medicines: [] },
];

/** Medicines common in later life whatever the register (why polypharmacy is so common at 80). */
export const OLDER_AGE_MEDICINES: [string, number][] = [
  ['Omeprazole 20mg gastro-resistant capsules', 0.25], ['Atorvastatin 20mg tablets', 0.3], ['Colecalciferol 800unit capsules', 0.15],
  ['Senna 7.5mg tablets', 0.08], ['Tamsulosin 400microgram capsules', 0.08],
];

/**
 * eFI deficits that are not long-term-condition registers, with relative frequency in older people, a
 * preferred code, and the UK term where the code set's display is US English.
 */
export const FRAILTY_DEFICITS: { name: string; weight: number; prefer: string; term?: string }[] = [
  { name: 'Activity limitation', weight: 0.8, prefer: '21134002' },
  { name: 'Anaemia and haematinic deficiency', weight: 0.8, prefer: '271737000', term: 'Anaemia' },
  { name: 'Dizziness', weight: 0.6, prefer: '404640003' },
  { name: 'Dyspnoea', weight: 0.8, prefer: '60845006', term: 'Dyspnoea on exertion' },
  { name: 'Falls', weight: 1.2, prefer: '161898004' },
  { name: 'Foot problems', weight: 1.0, prefer: '185303007' },
  { name: 'Fragility fracture', weight: 0.5, prefer: '5913000' },
  { name: 'Hearing impairment', weight: 1.3, prefer: '15188001' },
  { name: 'Heart valve disease', weight: 0.4, prefer: '60573004' },
  { name: 'Housebound', weight: 0.5, prefer: '160689007' },
  { name: 'Hypotension / syncope', weight: 0.5, prefer: '45007003' },
  { name: 'Mobility and transfer problems', weight: 1.0, prefer: '8510008' },
  { name: 'Peptic ulcer', weight: 0.3, prefer: '13200003' },
  { name: 'Peripheral vascular disease', weight: 0.4, prefer: '400047006' },
  { name: 'Requirement for care', weight: 0.6, prefer: '160774006' },
  { name: 'Skin ulcer', weight: 0.4, prefer: '399912005' },
  { name: 'Sleep disturbance', weight: 0.7, prefer: '193462001' },
  { name: 'Social vulnerability', weight: 0.8, prefer: '105529008' },
  { name: 'Urinary incontinence', weight: 1.0, prefer: '165232002' },
  { name: 'Urinary system disease', weight: 0.8, prefer: '197927001' },
  { name: 'Visual impairment', weight: 1.0, prefer: '193570009' },
  { name: 'Weight loss and anorexia', weight: 0.4, prefer: '89362005' },
];

export interface ResolvedDeficit {
  name: string;
  weight: number;
  code: string;
  display: string;
}

/** Picks each deficit's code from its eFI code set (data/efi), so an eFI calculator over the record finds it. */
export function resolveDeficits(efi: EfiDeficit[]): ResolvedDeficit[] {
  return FRAILTY_DEFICITS.map((d) => {
    const set = efi.find((e) => e.name === d.name);
    if (!set || set.codes.length === 0) throw new Error(`eFI deficit "${d.name}" has no code set`);
    const chosen = set.codes.find((c) => c.code === d.prefer)
      ?? set.codes.find((c) => /\((disorder|finding)\)$/.test(c.display))
      ?? set.codes[0];
    const display = d.term && chosen.code === d.prefer ? d.term : chosen.display.replace(/ \((disorder|finding|event)\)$/, '');
    return { name: d.name, weight: d.weight, code: chosen.code, display };
  });
}

/**
 * How each medicine is taken, as the label says it (dosageInstruction.text): typical adult doses for
 * the synthetic record, not prescribing advice.
 */
export const MEDICINE_DOSAGE: Readonly<Record<string, string>> = {
  'Amlodipine 5mg tablets': 'Take one tablet once a day',
  'Ramipril 5mg capsules': 'Take one capsule once a day',
  'Indapamide 2.5mg tablets': 'Take one tablet in the morning',
  'Metformin 500mg tablets': 'Take one tablet twice a day with food',
  'Gliclazide 80mg tablets': 'Take one tablet in the morning with breakfast',
  'Empagliflozin 10mg tablets': 'Take one tablet once a day in the morning',
  'Salbutamol 100micrograms/dose inhaler': 'Inhale one or two puffs when needed for breathlessness or wheeze, up to four times a day',
  'Beclometasone 100micrograms/dose inhaler': 'Inhale two puffs twice a day, then rinse your mouth',
  'Tiotropium 2.5micrograms/dose inhaler': 'Inhale two puffs once a day at the same time each day',
  'Atorvastatin 20mg tablets': 'Take one tablet once a day',
  'Aspirin 75mg dispersible tablets': 'Take one tablet once a day with or after food',
  'Bisoprolol 2.5mg tablets': 'Take one tablet in the morning',
  'Glyceryl trinitrate 400micrograms/dose spray': 'Spray one or two doses under the tongue when needed for chest pain; sit down first',
  'Furosemide 40mg tablets': 'Take one tablet in the morning',
  'Apixaban 5mg tablets': 'Take one tablet twice a day, about 12 hours apart',
  'Clopidogrel 75mg tablets': 'Take one tablet once a day',
  'Sertraline 50mg tablets': 'Take one tablet once a day',
  'Citalopram 20mg tablets': 'Take one tablet once a day',
  'Mirtazapine 15mg tablets': 'Take one tablet at night',
  'Propranolol 10mg tablets': 'Take one tablet up to three times a day when needed for anxiety',
  'Donepezil 10mg tablets': 'Take one tablet at night',
  'Memantine 10mg tablets': 'Take one tablet once a day',
  'Paracetamol 500mg tablets': 'Take one or two tablets up to four times a day when needed for pain; at least 4 hours between doses and no more than 8 tablets in 24 hours',
  'Naproxen 250mg tablets': 'Take one tablet twice a day with food',
  'Co-codamol 30mg/500mg tablets': 'Take one or two tablets up to four times a day when needed for pain; no more than 8 tablets in 24 hours',
  'Levothyroxine 50microgram tablets': 'Take one tablet in the morning, 30 minutes before breakfast',
  'Alendronic acid 70mg tablets': 'Take one tablet once a week, on the same day, with a full glass of water before breakfast; stay upright for 30 minutes',
  'Calcium carbonate / colecalciferol chewable tablets': 'Chew one tablet twice a day',
  'Co-careldopa 25mg/100mg tablets': 'Take one tablet three times a day',
  'Methotrexate 2.5mg tablets': 'Take the dose your specialist sets once a week, on the same day each week',
  'Folic acid 5mg tablets': 'Take one tablet once a week, not on your methotrexate day',
  'Levetiracetam 500mg tablets': 'Take one tablet twice a day',
  'Lamotrigine 100mg tablets': 'Take one tablet twice a day',
  'Sodium valproate 500mg gastro-resistant tablets': 'Take one tablet twice a day; swallow whole',
  'Olanzapine 10mg tablets': 'Take one tablet at night',
  'Aripiprazole 10mg tablets': 'Take one tablet once a day',
  'Lithium carbonate 400mg modified-release tablets': 'Take one tablet at night; swallow whole',
  'Quetiapine 100mg tablets': 'Take one tablet twice a day',
  'Omeprazole 20mg gastro-resistant capsules': 'Take one capsule once a day before breakfast',
  'Colecalciferol 800unit capsules': 'Take one capsule once a day',
  'Senna 7.5mg tablets': 'Take two tablets at night when needed for constipation',
  'Tamsulosin 400microgram capsules': 'Take one capsule once a day after the same meal',
  'Ibuprofen 400mg tablets': 'Take one tablet up to three times a day with food when needed for pain',
};

/** How a medicine is taken; every medicine the catalogue prescribes has its own (synthesize.test.ts checks). */
export function dosageOf(name: string): string {
  const text = MEDICINE_DOSAGE[name];
  if (!text) throw new Error(`No dosage instruction for "${name}" in the catalogue`);
  return text;
}

export function medicineCode(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}
