import { html, type Html } from '../html.js';

export type TagColour = 'white' | 'grey' | 'green' | 'aqua-green' | 'blue' | 'purple' | 'pink' | 'red' | 'orange' | 'yellow';

/** An NHS tag: a short status, never the only way the status is told (its text says it). */
export const tag = (text: string, colour?: TagColour): Html => html`<strong class="nhsuk-tag${colour ? ` nhsuk-tag--${colour}` : ''}">${text}</strong>`;
