/** Promises on a node's role: stopped, or a member (with a time-out on the node's clock). */
import { GlupError } from '../errors.js';
import type { NodeRuntime } from './runtime.js';
import type { Role } from './types.js';

export function untilRole(node: NodeRuntime, role: Role): Promise<void> {
  return new Promise((resolve) => {
    if (node.role === role) return resolve();
    const off = node.on('role', (r: Role) => {
      if (r === role) {
        off();
        resolve();
      }
    });
  });
}

export function untilMember(node: NodeRuntime, timeoutMs?: number): Promise<void> {
  const joined = new Promise<void>((resolve, reject) => {
    if (node.isMember()) return resolve();
    const off = node.on('role', (r: Role) => {
      if (r === 'manager' || r === 'backup' || r === 'client') {
        off();
        resolve();
      } else if (r === 'stopped') {
        off();
        reject(new GlupError('STOPPED', `node ${node.id} stopped before joining`));
      }
    });
  });
  if (timeoutMs === undefined) return joined;
  let timer: unknown;
  const timeout = new Promise<void>((_, reject) => {
    timer = node.clock.setTimeout(() => reject(new GlupError('TIMEOUT', `node ${node.id} did not join within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([joined, timeout]).finally(() => node.clock.clearTimeout(timer));
}

/** The role a node chart's snapshot shows (roles are tags), or null between roles. */
export function roleOf(snap: { status: string; hasTag(tag: string): boolean }): Role | null {
  if (snap.status === 'done') return 'stopped';
  for (const role of ['manager', 'backup', 'client', 'isolated', 'joining'] as const) if (snap.hasTag(role)) return role;
  return null;
}

/** Resolves once the committed database names `to` manager (a switchover done). */
export function untilManagerIs(node: NodeRuntime, to: string): Promise<void> {
  return new Promise((resolve) => {
    const off = node.on('update', () => {
      if (node.replica.committedShape.meta.manager === to) {
        off();
        resolve();
      }
    });
  });
}
