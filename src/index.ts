/** glup — the package's main export (SPEC section 11). */
export { createNode } from './actors/createNode.js';
export type { NodeRuntime as GlupNodeRuntime } from './actors/runtime.js';
export type * from './actors/types.js';
export type { ActorRef, ActorState, ActivationInfo, DefineOptions, HostedActors, HostedActorMetrics, Placement } from './actors/hosted/types.js';
export { memoryNetwork, type MemoryNetwork } from './bus/memory.js';
export { natsTransport } from './bus/nats.js';
export { memoryStore } from './persistence/memory.js';
export { fileStore } from './persistence/file.js';
export { jetstreamStore } from './persistence/jetstream.js';
export { DataDirLockedError } from './persistence/dirLock.js';
export { faultyStore, type FaultPlan, type FaultyStore } from './persistence/faulty.js';
export { monitoredStore, type MonitoredStore, type StoreFault, type StoreHealth } from './persistence/health.js';
export { GlupError, type GlupErrorCode } from './errors.js';
export type { ClusterDb, DataOp, UpdateRecord } from './db/types.js';
export type { Transport } from './bus/transport.js';
export type { Store } from './persistence/store.js';
export { machines, type MachineName } from './machines/index.js';
export { serveInspectionFeed, type InspectionFeed, type InspectionFeedOptions } from './actors/inspectFeed.js';
