/**
 * Checks on free text people type, shared by every layer that takes it (identity fields, task
 * reasons and outcome notes…). Written with character codes rather than a regular expression of
 * control characters, so the rule reads as what it is.
 */

/**
 * Whether `value` holds a control character: C0 (U+0000–U+001F) and DEL (U+007F), and with `c1` the
 * C1 controls (U+0080–U+009F) too, except the characters listed in `allow` (e.g. '\n\t' for a note).
 */
export function hasControlCharacter(value: string, o: { allow?: string; c1?: boolean } = {}): boolean {
  for (let i = 0; i < value.length; i++) if (isControl(value, i, o)) return true;
  return false;
}

/** `value` with each control character (as hasControlCharacter counts them) replaced by `by`. */
export function replaceControlCharacters(value: string, by: string, o: { allow?: string; c1?: boolean } = {}): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    if (!isControl(value, i, o)) continue;
    out += value.slice(from, i) + by;
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}

function isControl(value: string, i: number, o: { allow?: string; c1?: boolean }): boolean {
  const c = value.charCodeAt(i);
  const control = c < 0x20 || c === 0x7f || (o.c1 === true && c >= 0x80 && c <= 0x9f);
  return control && !o.allow?.includes(value[i]);
}
