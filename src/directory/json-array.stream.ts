/**
 * Streams the records of a JSON export without holding the file: the elements of a top-level array
 * (`[ {...}, {...} ]`) or of a page's `contents` array (`{ "contents": [ ... ], "total_items": … }`),
 * each parsed on its own as soon as its closing bracket arrives. Memory is one record at a time,
 * however large the file. Malformed JSON ends the stream with an error saying where.
 */
export class MalformedJsonError extends Error {}

export async function* jsonArrayRecords(chunks: AsyncIterable<string>, maxRecordChars = 5_000_000): AsyncGenerator<{ value: unknown; index: number }> {
  let depth = 0, inString = false, escaped = false;
  /** The depth of the array whose elements are records, once found (1: a top-level array; 2: a page's `contents`). */
  let recordDepth: number | undefined;
  let rootKind: '[' | '{' | undefined;
  let key = '', readingKey = false, lastKey = '';
  /** The record being captured: its text in earlier chunks; in this one it runs from `from`. */
  let buf = '';
  let capturing = false;
  let offset = 0, index = 0;
  // Inside a string only a quote or a backslash matters: skipped to at once, not a character at a
  // time, and a record's text is sliced from the chunk rather than built a character at a time
  // (those were a tenth of a 10,000-service import's main thread).
  const stringStop = /["\\]/g;
  for await (const chunk of chunks) {
    let from = 0;
    const captured = (i: number) => buf.length + (i + 1 - from);
    for (let i = 0; i < chunk.length; i++) {
      if (inString) {
        if (!escaped && !readingKey) {
          stringStop.lastIndex = i;
          const stop = stringStop.exec(chunk);
          if (!stop) {
            i = chunk.length - 1;
            continue;
          }
          i = stop.index;
        }
        const c = chunk[i];
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') {
          inString = false;
          if (readingKey) { lastKey = key; readingKey = false; }
        } else if (readingKey) key += c;
        continue;
      }
      const c = chunk[i];
      if (c === '"') {
        inString = true;
        // A key of the root object (depth 1) is read so the `contents` array can be recognised.
        if (rootKind === '{' && depth === 1 && !capturing) { readingKey = true; key = ''; }
        continue;
      } else if (c === '{' || c === '[') {
        depth++;
        if (depth === 1) {
          rootKind = c;
          if (c === '[') recordDepth = 1;
        } else if (depth === 2 && rootKind === '{' && c === '[' && lastKey === 'contents') recordDepth = 2;
        else if (recordDepth !== undefined && depth === recordDepth + 1 && !capturing) {
          capturing = true;
          buf = '';
          from = i;
        }
      } else if (c === '}' || c === ']') {
        depth--;
        if (depth < 0) throw new MalformedJsonError(`unexpected '${c}' at character ${offset + i + 1}`);
        if (capturing && depth === recordDepth) {
          capturing = false;
          const text = buf + chunk.slice(from, i + 1);
          buf = '';
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (err) {
            throw new MalformedJsonError(`record ${index + 1} is not valid JSON (${(err as Error).message})`);
          }
          yield { value, index: index++ };
          continue;
        } else if (recordDepth !== undefined && depth < recordDepth) recordDepth = undefined;
      } else if (!capturing && recordDepth !== undefined && depth === recordDepth && !/[\s,]/.test(c)) {
        // A scalar where a record should be: say so rather than skip it silently.
        throw new MalformedJsonError(`expected a record (an object) at character ${offset + i + 1}, found '${c}'`);
      }
      // The size is checked at the characters between strings, as it always was.
      if (capturing && captured(i) > maxRecordChars) throw new MalformedJsonError(`record ${index + 1} is larger than ${maxRecordChars} characters`);
    }
    if (capturing) buf += chunk.slice(from);
    offset += chunk.length;
  }
  if (depth !== 0 || inString) throw new MalformedJsonError('the file ends in the middle of the JSON (truncated?)');
  if (rootKind === undefined) throw new MalformedJsonError('the file holds no JSON');
}
