/**
 * The JetStream store's options, its public interface, and how it reaches its stream and
 * bucket (created on first use; see jetstream.ts for the layout).
 */
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.js';
import type { Store } from './store.js';

export interface JetStreamStoreOptions {
  servers?: string | string[];
  /** An existing connection (not closed by the store); otherwise the store connects itself. */
  connection?: NatsConnection;
  cluster: string;
  node: string;
  /** Stream and bucket replicas (R3 needs a NATS cluster). */
  replicas?: number;
  user?: string;
  pass?: string;
  token?: string;
  logger?: Logger;
}

export interface JetStreamStore extends Store {
  readonly kind: 'jetstream';
  readonly streamName: string;
  readonly bucketName: string;
  loadActorSnapshots(): Promise<Record<string, unknown>>;
  /** Deletes the cluster's stream and bucket (every node's data): scenario runs clean up with it. */
  destroy(): Promise<void>;
}

export interface JetStreamHandles {
  nc: NatsConnection;
  /** Whether the store opened the connection (and so closes it). */
  ownConnection: boolean;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: KV;
}

/** Connects (or takes the given connection) and makes sure the log stream and the bucket exist. */
export async function openJetStream(opts: JetStreamStoreOptions, streamName: string, bucketName: string): Promise<JetStreamHandles> {
  const { connection, servers, user, pass, token, replicas = 1 } = opts;
  const nc = connection ?? (await connect({ servers, user, pass, token, name: `glup-store-${opts.cluster}-${opts.node}` }));
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(streamName);
  } catch {
    try {
      await jsm.streams.add({
        name: streamName,
        subjects: [`glup.${opts.cluster}.log.>`],
        storage: StorageType.File,
        num_replicas: replicas,
      });
    } catch (e) {
      // Another node of the cluster may have created it in between.
      await jsm.streams.info(streamName).catch(() => {
        throw e;
      });
    }
  }
  const kv = await new Kvm(js).create(bucketName, { replicas, history: 1 });
  return { nc, ownConnection: !connection, js, jsm, kv };
}
