import { FhirError, issue, outcome } from './outcome.js';

/**
 * The longest array a resource body may hold. No real resource comes near it (a Patient has a few
 * names, a Bundle is limited by its own MAX_ENTRIES), while validating and indexing a 100,000-element
 * array held the event loop for seconds.
 */
export const MAX_ARRAY_LENGTH = 10_000;

/**
 * The path (FHIRPath style: `Patient.name`, `Patient.contained[0].name`) and length of the first
 * array longer than `max`, or undefined. One pass over the parsed body with an explicit stack: cheap
 * beside validation, and no recursion whatever the nesting.
 */
export function oversizedArray(body: unknown, root: string, max = MAX_ARRAY_LENGTH): { path: string; length: number } | undefined {
  const stack: [unknown, string][] = [[body, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (Array.isArray(node)) {
      if (node.length > max) return { path, length: node.length };
      for (let i = node.length - 1; i >= 0; i--) if (node[i] && typeof node[i] === 'object') stack.push([node[i], `${path}[${i}]`]);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) if (v && typeof v === 'object') stack.push([v, `${path}.${k}`]);
    }
  }
  return undefined;
}

/** Throws a 400 OperationOutcome naming the first over-long array of a resource body. */
export function checkArrayLengths(type: string, body: unknown, max = MAX_ARRAY_LENGTH): void {
  const found = oversizedArray(body, type, max);
  if (found) {
    throw new FhirError(400, outcome([issue('too-costly', `${found.path} has ${found.length} elements; at most ${max} are accepted in one array`, found.path)]));
  }
}
