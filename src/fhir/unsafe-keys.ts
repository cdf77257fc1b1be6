/**
 * Object keys that name a JavaScript object's prototype machinery. JSON.parse makes them plain own
 * properties, but any later merge or assignment by key (`target[key] = value`) could then reach
 * Object.prototype; and no FHIR element, JSON Patch field or other body this platform accepts is
 * named so. A body holding one is refused like any unknown element.
 */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The path of the first unsafe key in parsed JSON, FHIRPath-style from `root` (`Patient.name[0].__proto__`),
 * or undefined. Walks with an explicit stack: a body's depth is bounded by the parser, not by this.
 */
export function findUnsafeKey(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`]);
      continue;
    }
    const keys = Object.keys(node);
    for (const k of keys) if (UNSAFE_KEYS.has(k)) return path ? `${path}.${k}` : k;
    for (let i = keys.length - 1; i >= 0; i--) stack.push([(node as Record<string, unknown>)[keys[i]], path ? `${path}.${keys[i]}` : keys[i]]);
  }
  return undefined;
}

/** The root name for paths into a request body: its resourceType when it is a resource. */
export function bodyRoot(body: unknown): string {
  const t = body && typeof body === 'object' && !Array.isArray(body) ? (body as { resourceType?: unknown }).resourceType : undefined;
  return typeof t === 'string' && /^[A-Z][A-Za-z]{0,63}$/.test(t) ? t : '';
}
