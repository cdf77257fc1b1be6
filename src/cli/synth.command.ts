import type { Command } from './command.js';

// Placeholder until the synthetic population generator lands (src/synth/).
export const synthCommand: Command = {
  name: 'synth',
  summary: 'Generate a synthetic Kent and Medway population as FHIR NDJSON',
  usage: 'npx onestory synth --residents N --seed S --out DIR',
  async run() {
    console.error('synth is not built yet');
    return 1;
  },
};
