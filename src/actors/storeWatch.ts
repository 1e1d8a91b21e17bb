/**
 * A node's store, watched (issue 15: a store failure is a node failure). A disk error stops
 * the node at once, inside the failed operation's continuation: it acks and promises nothing
 * more; a member asks to leave and a manager steps down (the chart's STORE_FAILED). Whoever
 * runs the node starts a new one once the store works (`glup node` does, probing its data).
 */
import { monitoredStore, type MonitoredStore, type StoreHealth } from '../persistence/health.js';
import type { Store } from '../persistence/store.js';
import type { NodeRuntime } from './runtime.js';

export function watchStore(node: NodeRuntime, store: Store): MonitoredStore {
  // a store the caller already watches keeps its one watcher and one health
  const watched = 'onHealth' in store && 'health' in store ? (store as MonitoredStore) : monitoredStore(store, { clock: node.clock });
  watched.onHealth((h) => healthChanged(node, h));
  return watched;
}

function healthChanged(node: NodeRuntime, h: StoreHealth): void {
  if (h.state === 'ok') {
    node.emit('store', { state: 'ok' });
    return;
  }
  const f = h.lastError;
  node.logger.error('store failed: the node stops (a member asks to leave, a manager steps down)', { file: f?.path, errno: f?.code, op: f?.op, syscall: f?.syscall, error: f?.message });
  node.emit('store', { state: 'failing', fault: f });
  node.toNode({ type: 'STORE_FAILED' });
}
