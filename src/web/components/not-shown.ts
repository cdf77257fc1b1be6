import { html, type Html } from '../html.js';

/** Said where the policy hides a kind of information from this reader: never "none recorded" for what they may not see. */
export function notShownNote(text: string): Html {
  return html`<div class="nhsuk-inset-text onestory-not-shown"><span class="nhsuk-u-visually-hidden">Information: </span><p>${text}</p></div>`;
}
