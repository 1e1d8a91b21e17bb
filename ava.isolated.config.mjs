// Tests whose bounds are real time on a loaded machine run alone, after the main suite:
// the R3 test kills the JetStream stream leader of a three-server NATS cluster and bounds the
// stall at 10 s, which CPU contention from other test files would eat into; the three-server
// routes test expects no glup failover when a client's server dies, which a starved failure
// detector (1 s) would break; the disk-full tests bound the failover after a manager's disk
// fills up; every scenario file on NATS keeps the real-time bounds its YAML gives; the 20 s chaos run
// must fit its kills, pauses and nats-server restarts into real time; glup sim's CI run keeps two worker processes busy for minutes, which would slow
// everything else; the hosted-actor NATS test runs five node processes under tsx and times
// out when it shares the CPU with the main suite; the whole-cluster restart test brings three
// node processes back at once and waits 30 s for them to re-form, which a starved CPU exceeded
// in one CI run (a node isolated for 30 s: issue 10's liveness under load, open).
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '120s',
  // one file at a time: each is alone on the machine
  concurrency: 1,
  files: ['test/persistence/r3.test.ts', 'test/cluster/natsServers.test.ts', 'test/cli/nodeDiskFull.test.ts', 'test/cluster/natsScenarios.test.ts', 'test/chaos/chaos.test.ts', 'test/sim/ci.test.ts', 'test/actors/nats.test.ts', 'test/persistence/restart.test.ts'],
};
