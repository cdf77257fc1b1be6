import { describe, expect, it } from 'vitest';
import { jsonArrayRecords, MalformedJsonError } from './json-array.stream.js';

async function* split(text: string, at: number[]) {
  let from = 0;
  for (const i of [...at, text.length]) {
    yield text.slice(from, i);
    from = i;
  }
}

async function read(chunks: AsyncIterable<string>, max?: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const { value, index } of jsonArrayRecords(chunks, max)) out[index] = value;
  return out;
}

describe('reading the records of a JSON export as it streams in', () => {
  const records = [
    { id: 'a', name: 'Quotes \\" and \\\\ and "brackets" [{]}', n: [1, { deep: ['}'] }] },
    { id: 'b', name: 'é \u00e9 \\u00e9 😀', contents: [{ id: 'not a record' }] },
    { id: 'c', empty: {}, list: [] },
  ];
  const page = JSON.stringify({ total_items: 3, note: '"contents": [1]', contents: records, after: { contents: [1] } });

  it('finds the same records wherever the text is cut into chunks', async () => {
    for (let i = 0; i <= page.length; i++) {
      for (const j of [i, Math.min(page.length, i + 1), Math.min(page.length, i + 17)]) {
        expect(await read(split(page, [i, j]))).toEqual(records);
      }
    }
    expect(await read(split(JSON.stringify(records), [5, 40, 41]))).toEqual(records);
  });

  it('stops with a reason at a malformed record, a truncated file or a record too large', async () => {
    await expect(read(split(page.slice(0, 60), []))).rejects.toThrow(MalformedJsonError);
    await expect(read(split('[{"a": 1}, 5]', [3]))).rejects.toThrow("expected a record (an object) at character 12, found '5'");
    await expect(read(split(JSON.stringify(records), [10]), 30)).rejects.toThrow('record 1 is larger than 30 characters');
  });
});
