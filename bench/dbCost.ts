/**
 * The database part of an update's cost as the database grows (issue 14), without the
 * network: the coordinator's applyOp and two followers' applyRecordPatches for each new key
 * under one object, as the replica runs them. Reports CPU ms per update at each size.
 *
 *   npx tsx bench/dbCost.ts --sizes 0,10000,100000 --updates 200
 */
import { parseArgs } from 'node:util';
import { applyOp, applyRecordPatches } from '../src/db/ops.js';
import { emptyDb, type ClusterDb } from '../src/db/types.js';
import { isMain, round, writeBenchResults } from './run.js';

export function dbCost(sizes: number[], updates: number, valueBytes = 100) {
  const value = 'x'.repeat(valueBytes);
  const out: { keys: number; cpuMsPerUpdate: number }[] = [];
  for (const size of sizes) {
    const fill: Record<string, string> = {};
    for (let i = 0; i < size; i++) fill[`f${i}`] = value;
    // one op fills the object: the fill itself is not measured
    let leader: ClusterDb = applyOp(emptyDb('c'), { set: { path: ['bench'], value: fill } }, { origin: 'n1', seq: 1, epoch: 1 }).db;
    const followers = [leader, leader];
    const start = process.cpuUsage();
    for (let u = 0; u < updates; u++) {
      const seq = u + 2;
      const { db, patches } = applyOp(leader, { set: { path: ['bench', `k${u}`], value } }, { origin: 'n1', seq, epoch: 1 });
      leader = db;
      const shipped = JSON.parse(JSON.stringify(patches));
      for (let f = 0; f < followers.length; f++) followers[f] = applyRecordPatches(followers[f]!, shipped);
    }
    const cpu = process.cpuUsage(start);
    out.push({ keys: size, cpuMsPerUpdate: round((cpu.user + cpu.system) / 1000 / updates, 4) });
    console.log(`${size} keys: ${out.at(-1)!.cpuMsPerUpdate} CPU ms per update (3 nodes)`);
  }
  const empty = out.find((o) => o.keys === 0)?.cpuMsPerUpdate;
  const at100k = out.find((o) => o.keys === 100_000)?.cpuMsPerUpdate;
  return { updates, valueBytes, sizes: out, costAt100kOverEmpty: empty && at100k ? round(at100k / empty, 2) : null };
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '0,1000,10000,100000' }, updates: { type: 'string', default: '200' } } });
  writeBenchResults('dbCost', dbCost(values.sizes.split(',').map(Number), Number(values.updates)));
}
