/**
 * Where bench/PROFILE.md (written by hand) explains a target RESULTS.md reports as not met: issue 10
 * asks for the profile and the reason beside every miss, so each missed target in RESULTS.md links
 * to its section. The headings are PROFILE.md's own; bench.test.ts checks each still exists there,
 * so renaming one there fails a test rather than leaving a dead link.
 */

/** PROFILE.md headings (without the `## `), by the scenario ids whose misses they explain. */
const SECTIONS: { ids: RegExp; heading: string }[] = [
  { ids: /^(read|search-.*)$/, heading: "Signed-in reads and searches: the audit record's commit" },
  { ids: /^search-/, heading: 'Search at 100,000 patients: planning and per-row checks' },
  { ids: /^(create|update|transaction)$/, heading: 'Create (POST Patient, signed in)' },
  { ids: /^import$/, heading: 'Import' },
  { ids: /^directory-/, heading: 'The service directory: import and words search (issue 11)' },
  { ids: /^process-message$/, heading: 'Referral message (`$process-message`) at 100,000 patients (issue 11)' },
  { ids: /^discharge/, heading: 'The discharge board at 100,000 patients (issue 13)' },
  { ids: /^efi$/, heading: 'The eFI pass' },
  { ids: /^outcomes$/, heading: 'Outcomes: every indicator for every place and stratifier (issue 14)' },
];

export function profileHeadings(): string[] {
  return [...new Set(SECTIONS.map((s) => s.heading))];
}

/** GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Markdown links to the PROFILE.md sections that explain this scenario's miss, or undefined. */
export function profileLink(scenarioId: string): string | undefined {
  const links = SECTIONS.filter((s) => s.ids.test(scenarioId)).map((s) => `[${s.heading.replace(/`/g, '')}](PROFILE.md#${headingAnchor(s.heading)})`);
  return links.length > 0 ? links.join(' and ') : undefined;
}
