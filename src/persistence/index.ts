export type { RecoveredState, SnapshotRecord, Store } from './store.js';
export { memoryStore, type MemoryStore } from './memory.js';
export { fileStore, type FileStore, type FileStoreOptions, type FileStoreStats, type FsyncPolicy } from './file.js';
export { jetstreamStore, type JetStreamStore, type JetStreamStoreOptions } from './jetstream.js';
export { decodeRecord, encodeRecord, encodeRecordLine, RecordDecodeError } from './record.js';
export { acquireDirLock, DataDirLockedError, type HeldLock, type LockOwner } from './dirLock.js';
export { faultyStore, fsError, type DiskErrorCode, type FaultOp, type FaultPlan, type FaultStats, type FaultyStore, type FaultyStoreOptions } from './faulty.js';
export { isDiskError, monitoredStore, storeFault, STORE_OPS, type MonitoredStore, type StoreFault, type StoreHealth, type StoreOp } from './health.js';
export { readNodeData, type NodeData } from './readBack.js';
