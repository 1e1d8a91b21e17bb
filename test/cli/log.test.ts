/**
 * `glup log --data DIR`: a stopped node's data directory read offline, every crc checked,
 * corruption named by file and byte offset (exit 1), a directory that is not a node's (exit 2).
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNode, fileStore, memoryNetwork } from '../../src/index.js';
import { runGlup } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'glup-log-test-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

/** A one-node cluster that commits three updates into a file store, then stops. */
async function dataDir(name: string): Promise<string> {
  const dir = join(root, name);
  const net = memoryNetwork({ seed: 1, virtualTime: true });
  const node = createNode({ cluster: 'logs', id: 'n1', transport: net.transport('n1'), heartbeatMs: 50, initialMembers: ['n1'], store: fileStore(dir, { clock: net.clock }) });
  await net.settle(node.start(), { timeoutMs: 5000 });
  await net.settle(node.update({ set: { path: 'config.color', value: 'blue' } }), { timeoutMs: 2000 });
  await net.settle(node.update({ set: { path: 'config.size', value: 3 } }), { timeoutMs: 2000 });
  await net.settle(node.update({ delete: { path: 'config.color' } }), { timeoutMs: 2000 });
  await node.kill();
  return dir;
}

test('glup log prints every record of a clean data directory and exits 0', async (t) => {
  const dir = await dataDir('clean');
  const r = await runGlup(['log', '--data', dir]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^meta: incarnation 1, committed seq 4, epoch 1$/m);
  t.regex(r.stdout, /^log: seq 1 to 4, 4 records, crc ok$/m);
  t.regex(r.stdout, /^2 epoch 1 n1 n1:1:\d+ \{"set":\{"path":"config.color","value":"blue"\}\}$/m);
  t.regex(r.stdout, /^4 epoch 1 n1 n1:1:\d+ \{"delete":\{"path":"config.color"\}\}$/m);

  const json = await runGlup(['log', '--data', dir, '--json', '--from-seq', '3']);
  t.is(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.like(lines[0], { kind: 'meta', committedSeq: 4 });
  t.deepEqual(lines.filter((l) => l.kind === 'record').map((l) => l.seq), [3, 4]);
});

test('glup log names the file and byte offset of a corrupt record and exits 1', async (t) => {
  const dir = await dataDir('corrupt');
  const logPath = join(dir, 'log.jsonl');
  const text = readFileSync(logPath, 'utf8');
  const third = text.split('\n').slice(0, 2).join('\n').length + 1;
  // flip a digit inside the third record: its crc no longer matches
  const at = text.indexOf('"size"', third) + 9;
  writeFileSync(logPath, text.slice(0, at) + (text[at] === '3' ? '4' : '3') + text.slice(at + 1));
  const r = await runGlup(['log', '--data', dir]);
  t.is(r.code, 1);
  t.regex(r.stderr, new RegExp(`error: ${logPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: bad crc \\(stored \\d+, computed \\d+\\) at offset ${third}`));
  t.regex(r.stdout, /^log: seq 1 to 2, 2 records with a good crc, then damage \(see stderr\)$/m, 'the records before the damage are still shown');
  t.is(readFileSync(logPath, 'utf8').length, text.length, 'nothing was cut or changed');
});

test('glup log on a directory that is not a data directory is bad input (exit 2)', async (t) => {
  const r = await runGlup(['log', '--data', root]);
  t.is(r.code, 2);
  t.regex(r.stderr, /not a glup data directory/);
});
