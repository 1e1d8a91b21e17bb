/**
 * Disk faults on purpose: a store that fills up after a few records, watched for health.
 * Run: npx tsx examples/disk-faults.ts
 */
import { faultyStore, memoryStore, monitoredStore } from '../src/index.js';

const record = (seq: number) => ({ epoch: 1, seq, ts: 0, origin: 'n1', id: `u${seq}`, op: { set: { path: 'k', value: seq } }, patches: [] });

// A 1 KiB "disk": each record line is about 130 bytes.
const disk = faultyStore(memoryStore(), { failAfterBytes: 1024 });
const store = monitoredStore(disk);
store.onHealth((h) => console.log(`health: ${h.state}${h.lastError ? ` (${h.lastError.code} on ${h.lastError.op}: ${h.lastError.path})` : ''}`));

await store.open();
let seq = 1;
for (; seq <= 20; seq++) {
  try {
    await store.append([record(seq)]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.log(`append ${seq} failed: ${err.message} (code ${err.code}, syscall ${err.syscall})`);
    break;
  }
}
disk.heal(); // space freed
await store.append([record(seq)]);
const { records } = await store.open();
console.log(`after heal: ${records.length} records, last seq ${records.at(-1)?.seq}`);
console.log('done');
