import test from 'ava';
import { decodeRecord, encodeRecord, encodeRecordLine, RecordDecodeError } from '../../src/persistence/record.js';
import { rec } from './fixtures.js';

test('a record round-trips through its encoding, crc included', (t) => {
  const text = encodeRecord(rec(7));
  const parsed = JSON.parse(text) as Record<string, unknown>;
  t.deepEqual(Object.keys(parsed), ['epoch', 'seq', 'ts', 'origin', 'id', 'op', 'patches', 'crc']);
  t.deepEqual(decodeRecord(text), rec(7));
});

test('a record is one line: the frame ends at the first newline', (t) => {
  const r = rec(1);
  (r.op as { set: { value: unknown } }).set.value = 'multi\nline\ntext';
  const line = encodeRecordLine(r);
  t.is(line.indexOf('\n'), line.length - 1);
  t.deepEqual(decodeRecord(line.slice(0, -1)), r);
});

test('a flipped byte is refused as a bad crc', (t) => {
  const text = encodeRecord(rec(3));
  const i = text.indexOf('blue');
  const bad = `${text.slice(0, i)}glue${text.slice(i + 4)}`;
  t.throws(() => decodeRecord(bad), { instanceOf: RecordDecodeError, message: /bad crc/ });
});

test('a truncated record or one without crc is refused', (t) => {
  const text = encodeRecord(rec(3));
  t.throws(() => decodeRecord(text.slice(0, 40)), { instanceOf: RecordDecodeError });
  t.throws(() => decodeRecord(JSON.stringify(rec(3))), { message: /missing crc/ });
});

test('a record with a valid crc but the wrong shape is refused', async (t) => {
  const { encodeWithCrc } = await import('../../src/persistence/record.js');
  t.throws(() => decodeRecord(encodeWithCrc({ seq: 'one' })), { message: /epoch/ });
  t.throws(() => decodeRecord(encodeWithCrc({ ...rec(1), seq: 0 })), { message: /seq/ });
});
