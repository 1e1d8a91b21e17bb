import { isClusterName, isName } from '../ids.js';
import { join } from 'node:path';
import { toLogger, type Logger, type PinoLike } from '../log.js';
import { fileStore } from '../persistence/file.js';
import { logNodeEvents } from './eventLog.js';
import { NodeRuntime } from './runtime.js';
import type { NodeOptions } from './types.js';

/** createNode's options: a node's, except that `logger` may also be a pino logger, taken as it is. */
export type CreateNodeOptions = Omit<NodeOptions, 'logger'> & { logger?: Logger | PinoLike };

/**
 * Creates a node of a glup cluster (SPEC section 11). Nothing happens until `start()`.
 * Throws on a bad cluster name or node id: a misconfigured node never joins.
 */
export function createNode(options: CreateNodeOptions): NodeRuntime {
  const opts: NodeOptions = { ...options, logger: toLogger(options.logger) };
  if (!isClusterName(opts.cluster)) {
    throw new Error(`cluster: "${opts.cluster}" is not a valid cluster name ([a-z0-9][a-z0-9-]{0,62})`);
  }
  if (!isName(opts.id)) throw new Error(`id: "${opts.id}" is not a valid node id ([A-Za-z0-9_-]{1,64})`);
  if (opts.priority !== undefined && !Number.isInteger(opts.priority)) {
    throw new Error(`priority: must be an integer, got ${opts.priority}`);
  }
  for (const m of opts.initialMembers ?? []) {
    if (!isName(m)) throw new Error(`initialMembers: "${m}" is not a valid node id`);
  }
  // the embedded default (SPEC section 6): a file store under dataDir
  const store = opts.store ?? fileStore(join(opts.dataDir ?? '.glup-data', opts.cluster, opts.id), { logger: opts.logger, clock: opts.transport.clock });
  const node = new NodeRuntime({ ...opts, store });
  logNodeEvents(node, node.logger);
  return node;
}
