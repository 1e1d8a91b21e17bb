import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { formatPath, getAt, parsePath, pathsOverlap } from '../../src/db/paths.js';
import { validateOp, validateSystemOp } from '../../src/db/validate.js';

/** The INVALID_OP message for `op`, or a note that it was accepted. */
function refusal(op: unknown, opts?: { maxUpdateBytes?: number; maxDepth?: number }): string {
  try {
    validateOp(op, opts);
  } catch (err) {
    if (err instanceof GlupError && err.code === 'INVALID_OP') return err.message;
    throw err;
  }
  return 'accepted';
}

test('paths parse from dotted strings and arrays, and format back', (t) => {
  t.deepEqual(parsePath('config.color'), ['config', 'color']);
  t.deepEqual(parsePath(['a.b', 'c']), ['a.b', 'c']);
  t.is(formatPath(['a.b', 'c\\d']), 'a\\.b.c\\\\d');
  t.deepEqual(parsePath(formatPath(['a.b', 'c\\d', 'e'])), ['a.b', 'c\\d', 'e']);
  t.true(pathsOverlap(parsePath('config'), parsePath('config.color')));
  t.true(pathsOverlap(parsePath('config.color'), parsePath('config')));
  t.false(pathsOverlap(parsePath('config'), parsePath('configs')));
});

test('empty segments and prototype segments are refused, naming the segment', (t) => {
  for (const path of ['', 'a..b', '.a', 'a.', [], ['a', '']]) {
    t.throws(() => parsePath(path), { instanceOf: GlupError, message: /INVALID_OP: path .*(empty)/ }, JSON.stringify(path));
  }
  for (const seg of ['__proto__', 'constructor', 'prototype']) {
    t.throws(() => parsePath(`a.${seg}.b`), { message: new RegExp(`forbidden segment "${seg}"`) });
    t.throws(() => parsePath(['a', seg]), { message: new RegExp(`forbidden segment "${seg}"`) });
  }
  t.throws(() => parsePath(['a', 3 as unknown as string]), { message: /segment 1 is a number/ });
});

test('getAt reads own keys of plain objects only', (t) => {
  const data = { a: { b: 1, arr: [1, 2] }, n: null };
  t.is(getAt(data, ['a', 'b']), 1);
  t.is(getAt(data, ['a', 'toString']), undefined);
  t.is(getAt(data, ['a', 'arr', '0']), undefined);
  t.is(getAt(data, ['n', 'x']), undefined);
  t.is(getAt(data, ['n']), null);
});

test('valid ops come back as fresh JSON copies', (t) => {
  const value = { list: [1, 'two', null, true, { nested: -0 }] };
  const op = { set: { path: ['a', 'b'], value, ephemeral: undefined } };
  const out = validateOp(op);
  t.deepEqual(out, { set: { path: ['a', 'b'], value: { list: [1, 'two', null, true, { nested: 0 }] } } });
  t.not((out as { set: { value: unknown } }).set.value, value);
  t.is(refusal({ delete: { path: 'x' } }), 'accepted');
  t.is(refusal({ merge: { path: 'x', value: {} } }), 'accepted');
  t.is(refusal({ cas: { path: 'x', expect: null, value: 1, ephemeral: true } }), 'accepted');
  t.is(refusal({ batch: { ops: [] } }), 'accepted');
  t.is(refusal({ batch: { ops: [{ batch: { ops: [{ set: { path: 'a', value: 1 } }] } }] } }), 'accepted');
});

test('an op must have exactly one known key', (t) => {
  t.regex(refusal({}), /op has 0 keys/);
  t.regex(refusal({ set: { path: 'a', value: 1 }, delete: { path: 'a' } }), /op has 2 keys/);
  t.regex(refusal({ put: { path: 'a', value: 1 } }), /unknown operation "put"/);
  t.regex(refusal(null), /op is a null/);
  t.regex(refusal([]), /op is a array/);
  t.regex(refusal({ membership: {} }), /unknown operation "membership"/, 'system ops are not application ops');
});

test('missing, mistyped and unknown fields are named', (t) => {
  t.regex(refusal({ set: { path: 'a' } }), /set\.value is missing/);
  t.regex(refusal({ set: { value: 1 } }), /set\.path is missing/);
  t.regex(refusal({ set: { path: 'a', value: 1, ephemeral: 'yes' } }), /set\.ephemeral is a string, not a boolean/);
  t.regex(refusal({ set: { path: 'a', value: 1, epehemeral: true } }), /set has the unknown field "epehemeral"/);
  t.regex(refusal({ set: { path: 5, value: 1 } }), /set\.path is a number/);
  t.regex(refusal({ merge: { path: 'a', value: [1] } }), /merge\.value is a array; merge takes an object/);
  t.regex(refusal({ cas: { path: 'a', value: 1 } }), /cas\.expect is missing/);
  t.regex(refusal({ batch: { ops: {} } }), /batch\.ops is a object, not an array/);
  t.regex(refusal({ batch: { ops: [{ set: { path: 'ok', value: 1 } }, { delete: {} }] } }), /batch\.ops\[1\]\.delete\.path is missing/);
  t.regex(refusal({ delete: { path: 'a.__proto__' } }), /delete\.path: .*forbidden segment "__proto__"/);
});

test('non-JSON values are refused wherever they hide', (t) => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases: [unknown, RegExp][] = [
    [undefined, /set\.value is missing/],
    [{ a: undefined }, /set\.value\.a is undefined/],
    [[1, () => 1], /set\.value\[1\] is a function/],
    [{ s: Symbol('x') }, /set\.value\.s is a symbol/],
    [{ big: 10n }, /set\.value\.big is a bigint/],
    [{ n: NaN }, /set\.value\.n is NaN/],
    [{ n: [Infinity] }, /set\.value\.n\[0\] is Infinity/],
    [{ d: new Date(0) }, /set\.value\.d is a Date instance/],
    [{ m: new Map() }, /set\.value\.m is a Map instance/],
    [{ p: new Point() }, /set\.value\.p is a Point instance/],
    [cyclic, /set\.value\.self contains a cycle/],
    // eslint-disable-next-line no-sparse-arrays
    [[1, , 3], /set\.value\[1\] is a hole/],
    [{ [Symbol('k')]: 1 }, /symbol keys/],
  ];
  for (const [value, expected] of cases) t.regex(refusal({ set: { path: 'a', value } }), expected, String(expected));
  t.regex(refusal({ cas: { path: 'a', expect: { when: new Date() }, value: 1 } }), /cas\.expect\.when is a Date instance/);
});

test('forbidden keys are refused anywhere inside values, including keys JSON.parse made', (t) => {
  const hostile = JSON.parse('{"a":{"b":[{"__proto__":{"polluted":true}}]}}');
  t.regex(refusal({ set: { path: 'x', value: hostile } }), /set\.value\.a\.b\[0\]\.__proto__ uses the forbidden key "__proto__"/);
  t.regex(refusal({ merge: { path: 'x', value: { constructor: 1 } } }), /forbidden key "constructor"/);
  t.regex(refusal({ batch: { ops: [{ set: { path: 'x', value: { prototype: {} } } }] } }), /batch\.ops\[0\]\.set\.value\.prototype uses the forbidden key/);
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('updates over maxUpdateBytes are refused; exactly at the limit they pass', (t) => {
  t.regex(refusal({ set: { path: 'a', value: 'x'.repeat(300_000) } }), /over maxUpdateBytes \(262144/);
  const op = { set: { path: 'a', value: 'x'.repeat(100) } };
  const size = Buffer.byteLength(JSON.stringify(op));
  t.is(refusal(op, { maxUpdateBytes: size }), 'accepted');
  t.regex(refusal(op, { maxUpdateBytes: size - 1 }), new RegExp(`update is ${size} bytes, over maxUpdateBytes \\(${size - 1}\\)`));
  // multi-byte characters count as the bytes they take on the wire
  t.regex(refusal({ set: { path: 'a', value: 'é'.repeat(200) } }, { maxUpdateBytes: 300 }), /over maxUpdateBytes/);
  // many small values: counted while walking, stopped early
  t.regex(refusal({ set: { path: 'a', value: new Array(200_000).fill(0) } }), /over maxUpdateBytes/);
  t.regex(refusal({ batch: { ops: new Array(50_000).fill({ delete: { path: 'abc' } }) } }), /over maxUpdateBytes/);
});

test('hostile nesting is refused without recursing: deep values, deep batches, long paths', (t) => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  t.regex(refusal({ set: { path: 'a', value: deep } }), /nested deeper than 64 levels/);
  let deepBatch: unknown = { delete: { path: 'a' } };
  for (let i = 0; i < 100_000; i++) deepBatch = { batch: { ops: [deepBatch] } };
  t.regex(refusal(deepBatch), /nested deeper than 64 levels/);
  t.regex(refusal({ set: { path: new Array(33).fill('k').join('.'), value: 1 } }), /33 segments; at most 32/);
  // a DAG that would serialize to 2^40 leaves stops at the byte budget
  let dag: unknown = 'leaf';
  for (let i = 0; i < 40; i++) dag = { l: dag, r: dag };
  t.regex(refusal({ set: { path: 'a', value: dag } }), /over maxUpdateBytes/);
});

test('system ops are validated field by field', (t) => {
  const ok = validateSystemOp({
    membership: { epoch: 2, manager: 'n1', backup: null, add: [{ id: 'n1', qualified: true, priority: -1, incarnation: 0 }], remove: [{ id: 'n2', reason: 'failed' }], settings: { heartbeatMs: 100 } },
  });
  t.deepEqual(Object.keys((ok as { membership: object }).membership), ['epoch', 'manager', 'backup', 'add', 'remove', 'settings']);
  t.deepEqual(validateSystemOp({ groupJoin: { group: 'g', process: 'p', node: 'n1' } }), { groupJoin: { group: 'g', process: 'p', node: 'n1' } });
  const bad: [unknown, RegExp][] = [
    [{ membership: { add: [{ id: 'n 1', qualified: true, priority: 0, incarnation: 0 }] } }, /membership\.add\[0\]\.id is "n 1"/],
    [{ membership: { add: [{ id: 'n1', qualified: true, priority: 0.5, incarnation: 0 }] } }, /membership\.add\[0\]\.priority is 0\.5, not an integer/],
    [{ membership: { remove: [{ id: 'n1', reason: 'bored' }] } }, /membership\.remove\[0\]\.reason is "bored"/],
    [{ membership: { epoch: -1 } }, /membership\.epoch is -1, not an integer ≥ 0/],
    [{ groupLeave: { group: 'g', node: 'n1' } }, /groupLeave\.process is missing/],
    [{ groupMessage: { group: 'g', msg: new Date() } }, /groupMessage\.msg is a Date instance/],
    [{ groupMessage: { group: 'g', msg: 'x'.repeat(300_000) } }, /over maxUpdateBytes/],
    [{ set: { path: 'a', value: 1 } }, /unknown operation "set"/],
  ];
  for (const [op, expected] of bad) t.throws(() => validateSystemOp(op), { instanceOf: GlupError, message: expected }, String(expected));
});
