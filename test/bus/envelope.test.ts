import test from 'ava';
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_DEPTH, nestingDepth, type Envelope } from '../../src/bus/envelope.js';
import { bytes, CLUSTER, INVALID_ENVELOPES, validFields } from './invalidEnvelopes.js';

test('an envelope survives encode and decode unchanged', (t) => {
  const env = validFields() as unknown as Envelope;
  const result = decodeEnvelope(encodeEnvelope(env), { cluster: CLUSTER });
  t.deepEqual(result, { ok: true, envelope: env });
});

test('fields a node does not know are ignored (rolling upgrades)', (t) => {
  const result = decodeEnvelope(bytes(JSON.stringify({ ...validFields(), minor: 3, trace: { id: 'x' } })), { cluster: CLUSTER });
  t.true(result.ok);
  if (result.ok) t.deepEqual(result.envelope, validFields());
});

test('ids of CLI tools are accepted as senders', (t) => {
  t.true(decodeEnvelope(bytes(JSON.stringify(validFields({ from: 'cli-4f2a' }))), { cluster: CLUSTER }).ok);
});

for (const { kind, data, reason } of INVALID_ENVELOPES) {
  test(`invalid: ${kind}`, (t) => {
    const result = decodeEnvelope(bytes(data), { cluster: CLUSTER });
    t.false(result.ok);
    if (!result.ok) {
      t.regex(result.reason, reason);
      t.false(result.reason.includes('SECRET'), 'the reason never quotes the payload');
    }
  });
}

test('nesting up to the limit is accepted, one more level is not', (t) => {
  const envelopeAt = (depth: number) =>
    bytes(JSON.stringify(validFields()).replace('{"seq":7}', '['.repeat(depth - 1) + ']'.repeat(depth - 1)));
  t.true(decodeEnvelope(envelopeAt(MAX_ENVELOPE_DEPTH), { cluster: CLUSTER }).ok);
  t.false(decodeEnvelope(envelopeAt(MAX_ENVELOPE_DEPTH + 1), { cluster: CLUSTER }).ok);
});

test('brackets inside strings do not count as nesting', (t) => {
  t.is(nestingDepth('{"a":"[[[[{{{{\\"[[["}'), 1);
  t.true(decodeEnvelope(bytes(JSON.stringify(validFields({ body: '['.repeat(500) }))), { cluster: CLUSTER }).ok);
});

test('the depth scan is flat: 100 000 levels cost one pass, no stack', (t) => {
  const deep = bytes(`{"body":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  const result = decodeEnvelope(deep, { cluster: CLUSTER });
  t.false(result.ok);
  if (!result.ok) t.regex(result.reason, /too deep/);
});

test('decoding a hostile envelope pollutes no prototype', (t) => {
  for (const { data } of INVALID_ENVELOPES) decodeEnvelope(bytes(data), { cluster: CLUSTER });
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is((Object.prototype as unknown as Record<string, unknown>).polluted, undefined);
});
