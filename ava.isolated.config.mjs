// Tests whose bounds are real time on a loaded machine run alone, after the main suite:
// the R3 test kills the JetStream stream leader of a three-server NATS cluster and bounds the
// stall at 10 s, which CPU contention from other test files would eat into. glup sim's CI
// run keeps two worker processes busy for minutes, which would slow everything else; one
// file at a time here.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '120s',
  concurrency: 1,
  files: ['test/persistence/r3.test.ts', 'test/sim/ci.test.ts'],
};
