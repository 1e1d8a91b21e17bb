export type { RecoveredState, SnapshotRecord, Store } from './store.js';
export { memoryStore, type MemoryStore } from './memory.js';
export { fileStore, type FileStore, type FileStoreOptions, type FileStoreStats, type FsyncPolicy } from './file.js';
export { jetstreamStore, type JetStreamStore, type JetStreamStoreOptions } from './jetstream.js';
export { decodeRecord, encodeRecord, encodeRecordLine, RecordDecodeError } from './record.js';
