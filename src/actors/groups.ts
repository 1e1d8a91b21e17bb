/**
 * Process groups on one node (SPEC section 7): one process-group actor per group, fed with
 * every committed database, delivering messages to the node's local members. Joins, leaves
 * and ordered broadcasts are GLUP updates; `send` and `sendToOne` are one publish on the
 * group subject.
 */
import { createActor, type Actor, type InspectionEvent as XInspectionEvent } from 'xstate';
import { processGroupMachine } from '../machines/processGroup.js';
import { pickMember } from '../groups/pick.js';
import { groupMembers } from '../groups/view.js';
import { subjects } from '../bus/transport.js';
import type { Envelope } from '../bus/envelope.js';
import { GlupError } from '../errors.js';
import { isName } from '../ids.js';
import type { ClusterDb, Op, UpdateRecord } from '../db/types.js';
import type { GroupHandle, GroupView, JoinGroupOptions } from './types.js';
import type { NodeRuntime } from './runtime.js';
import type { GroupMessageBody } from './messages.js';

/** What the group host needs from its node. */
export interface GroupNode {
  readonly id: string;
  readonly cluster: string;
  readonly db: import('../db/types.js').ClusterDb;
  /** The committed groups, without making the whole database (its data writes may wait). */
  readonly groups: import('../db/types.js').ClusterDb['groups'];
  readonly maxUpdateBytes: number;
  submit(op: Op): Promise<{ seq: number; epoch: number }>;
  publishOn(subject: string, body: GroupMessageBody): void;
  emit(event: string, ...args: unknown[]): void;
  on(event: string, fn: (...args: any[]) => void): () => void;
  /** The node's inspection: process-group actors report to createNode({ inspect }) and node.inspect too. */
  inspect?(e: XInspectionEvent): void;
}

export class GroupHost {
  private readonly actors = new Map<string, Actor<typeof processGroupMachine>>();
  private readonly handlers = new Map<string, JoinGroupOptions>();
  private roundRobin = 0;

  constructor(private readonly node: GroupNode) {
    node.on('update', (r: UpdateRecord, dbAt: () => ClusterDb) => this.onCommitted(r, dbAt));
    node.on('group-message', (b: GroupMessageBody, env: Envelope) => this.onMessage(b, env));
  }

  private actorFor(group: string, db: ClusterDb = this.node.db): Actor<typeof processGroupMachine> {
    let a = this.actors.get(group);
    if (a) return a;
    a = createActor(
      processGroupMachine.provide({
        actions: {
          notifyView: (_, p) => this.notifyView(group, p.view),
          deliver: (_, p) => this.deliver(group, p.process, p.msg, p.from),
        },
      }),
      { input: { group, node: this.node.id, db }, systemId: `group:${group}`, ...(this.node.inspect && { inspect: (e: XInspectionEvent) => this.node.inspect!(e) }) },
    );
    a.start();
    this.actors.set(group, a);
    return a;
  }

  /**
   * `dbAt()` is the database right after `r`: every view in between is announced, none
   * skipped. It is made only where groups are in play: a node with no group actor, no group
   * in its database and a record that touches no group has nothing to announce, and does not
   * pay for a database per record (issue 14).
   */
  private onCommitted(r: UpdateRecord, dbAt: () => ClusterDb): void {
    if (this.actors.size === 0 && Object.keys(this.node.groups).length === 0 && !touchesGroups(r)) return;
    const db = dbAt();
    for (const g of Object.keys(db.groups)) this.actorFor(g, db);
    for (const a of this.actors.values()) a.send({ type: 'DB_COMMITTED', db, seq: r.seq });
    if ('groupMessage' in r.op) {
      const { group, msg } = r.op.groupMessage;
      this.actorFor(group).send({ type: 'MESSAGE', msg, from: r.origin });
    }
  }

  private onMessage(b: GroupMessageBody, env: Envelope): void {
    if (typeof b?.group !== 'string') return;
    const a = this.actors.get(b.group);
    if (!a) return;
    a.send({ type: 'MESSAGE', msg: b.msg, from: typeof b.sender === 'string' ? b.sender : env.from, ...(b.to ? { to: b.to } : {}) });
  }

  /** Members in a view they were told of; a joining process hears views from its own join on. */
  private readonly inView = new Set<string>();

  private notifyView(group: string, view: GroupView): void {
    for (const [key, h] of this.handlers) {
      if (!key.startsWith(`${group}/`)) continue;
      const memberId = key.slice(group.length + 1);
      const listed = view.members.includes(memberId);
      if (!listed && !this.inView.has(key)) continue;
      if (listed) this.inView.add(key);
      else this.inView.delete(key);
      h.onView?.(view);
    }
  }

  private deliver(group: string, process: string, msg: unknown, from: string): void {
    const memberId = `${process}@${this.node.id}`;
    this.node.emit('group-delivered', group, memberId);
    this.handlers.get(`${group}/${memberId}`)?.onMessage?.(msg, from);
  }

  async join(group: string, process: string, opts: JoinGroupOptions = {}): Promise<GroupHandle> {
    if (!isName(group)) throw new GlupError('INVALID_OP', `group: "${group}" is not a valid group name`);
    if (!isName(process)) throw new GlupError('INVALID_OP', `process: "${process}" is not a valid process name`);
    const memberId = `${process}@${this.node.id}`;
    this.handlers.set(`${group}/${memberId}`, opts);
    this.actorFor(group).send({ type: 'LOCAL_JOIN', process });
    try {
      await this.node.submit({ groupJoin: { group, process, node: this.node.id } });
    } catch (e) {
      this.handlers.delete(`${group}/${memberId}`);
      this.actors.get(group)?.send({ type: 'LOCAL_LEAVE', process });
      throw e;
    }
    return {
      group,
      process,
      memberId,
      send: (msg) => this.send(group, msg, 'all', undefined, memberId),
      sendToOne: (msg, key) => this.send(group, msg, 'one', key, memberId),
      broadcastOrdered: (msg) => this.broadcastOrdered(group, msg),
      leave: async () => {
        await this.node.submit({ groupLeave: { group, process, node: this.node.id } });
        this.handlers.delete(`${group}/${memberId}`);
        this.actors.get(group)?.send({ type: 'LOCAL_LEAVE', process });
      },
    };
  }

  broadcastOrdered(group: string, msg: unknown): Promise<{ seq: number; epoch: number }> {
    this.checkSize(msg);
    return this.node.submit({ groupMessage: { group, msg } });
  }

  /** `all`: one publish to every member; `one`: one member chosen by key (round robin without). */
  send(group: string, msg: unknown, mode: 'all' | 'one', key: string | undefined, sender = this.node.id): void {
    if (!isName(group)) throw new GlupError('INVALID_OP', `group: "${group}" is not a valid group name`);
    this.checkSize(msg);
    const body: GroupMessageBody = { group, msg, sender };
    if (mode === 'one') {
      const members = groupMembers(this.node.db, group);
      if (!members.length) return;
      body.to = pickMember(members, key, this.roundRobin++);
    }
    this.node.publishOn(subjects.group(this.node.cluster, group, this.node.id), body);
  }

  private checkSize(msg: unknown): void {
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(msg) ?? '');
    } catch (e) {
      throw new GlupError('INVALID_OP', `message is not JSON: ${(e as Error).message}`);
    }
    if (size > this.node.maxUpdateBytes) {
      throw new GlupError('INVALID_OP', `message of ${size} bytes is over maxUpdateBytes (${this.node.maxUpdateBytes})`);
    }
  }

  stop(): void {
    for (const a of this.actors.values()) a.stop();
    this.actors.clear();
  }
}

/** The process groups of a node: submitting through it, publishing group messages on its bus. */
export function groupHostOf(node: NodeRuntime, publishOn: (subject: string, body: unknown) => void, inspect: (e: XInspectionEvent) => void): GroupHost {
  return new GroupHost({
    id: node.id,
    cluster: node.cluster,
    get db() {
      return node.replica.db;
    },
    get groups() {
      return node.replica.committedShape.groups;
    },
    maxUpdateBytes: node.settings.maxUpdateBytes,
    submit: (op) => node.submit(op),
    publishOn,
    emit: (event, ...args) => node.emit(event, ...args),
    on: (event, fn) => node.on(event, fn),
    inspect,
  });
}

/** Whether a record changes or addresses a process group (membership changes remove members with their node). */
function touchesGroups(r: UpdateRecord): boolean {
  return 'groupMessage' in r.op || r.patches.some((p) => p.path[0] === 'groups');
}
