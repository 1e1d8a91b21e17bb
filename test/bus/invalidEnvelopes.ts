/** Hostile or broken messages for the edge-validation tests (not a test file). Each hides "SECRET" so logs can be checked for payload leaks. */
export const CLUSTER = 'c1';

export function validFields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, cluster: CLUSTER, type: 'heartbeat', from: 'n1', epoch: 3, id: 'n1-1', ts: 12.5, body: { seq: 7 }, ...overrides };
}

const json = (o: unknown) => JSON.stringify(o);
const nested = (levels: number) => '['.repeat(levels) + '"SECRET"' + ']'.repeat(levels);

/** kind → raw text (or bytes), and the reason decodeEnvelope must give. */
export const INVALID_ENVELOPES: { kind: string; data: string | Uint8Array; reason: RegExp }[] = [
  { kind: 'bad JSON', data: '{"v":1,"cluster":"c1" SECRET', reason: /bad JSON/ },
  { kind: 'not an object (array)', data: '["SECRET"]', reason: /not an object/ },
  { kind: 'not an object (string)', data: '"SECRET"', reason: /not an object/ },
  { kind: 'wrong major version', data: json(validFields({ v: 2, body: 'SECRET' })), reason: /wrong major version 2/ },
  { kind: 'wrong cluster', data: json(validFields({ cluster: 'SECRET' })), reason: /wrong cluster/ },
  { kind: 'unknown type', data: json(validFields({ type: 'SECRET-type' })), reason: /unknown type/ },
  { kind: 'missing field', data: json({ ...validFields({ body: 'SECRET' }), epoch: undefined }), reason: /field epoch/ },
  { kind: 'missing body', data: json({ ...validFields(), body: undefined, note: 'SECRET' }), reason: /field body: missing/ },
  { kind: 'mistyped field', data: json(validFields({ epoch: '3', body: 'SECRET' })), reason: /field epoch/ },
  { kind: 'from not a node id', data: json(validFields({ from: 'SECRET node!' })), reason: /field from/ },
  {
    kind: 'oversized (> 1 MiB)',
    data: json(validFields({ body: 'SECRET' + 'x'.repeat(1024 * 1024) })),
    reason: /oversized/,
  },
  {
    kind: '__proto__ key',
    data: '{"v":1,"cluster":"c1","type":"heartbeat","from":"n1","epoch":3,"id":"n1-1","ts":1,"body":{"__proto__":{"polluted":"SECRET"}}}',
    reason: /forbidden key "__proto__"/,
  },
  {
    kind: '__proto__ key written with \\u escapes',
    data: '{"v":1,"cluster":"c1","type":"heartbeat","from":"n1","epoch":3,"id":"n1-1","ts":1,"body":{"\\u005f_proto__":{"polluted":"SECRET"}}}',
    reason: /forbidden key "__proto__"/,
  },
  { kind: 'constructor key', data: json(validFields({ body: { constructor: { prototype: { polluted: 'SECRET' } } } })), reason: /forbidden key "constructor"/ },
  { kind: 'prototype key at top level', data: json({ ...validFields(), prototype: 'SECRET' }), reason: /forbidden key "prototype"/ },
  { kind: 'too deep (70 levels)', data: `{"v":1,"cluster":"c1","type":"heartbeat","from":"n1","epoch":3,"id":"n1-1","ts":1,"body":${nested(70)}}`, reason: /too deep/ },
  { kind: 'bad UTF-8', data: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), reason: /bad UTF-8/ },
];

export function bytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}
