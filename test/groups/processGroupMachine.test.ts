import test from 'ava';
import { createActor, initialTransition, transition } from 'xstate';
import { applyOp } from '../../src/db/ops.js';
import { emptyDb, type ClusterDb, type Op } from '../../src/db/types.js';
import { processGroupMachine, type DeliverParams, type NotifyViewParams } from '../../src/machines/processGroup.js';

const info = (id: string) => ({ id, qualified: true, priority: 0, incarnation: 1 });

/** A committed history: each entry is the db after one more seq. */
function history(ops: Op[]): ClusterDb[] {
  let db = emptyDb('demo');
  return ops.map((op) => (db = applyOp(db, op, { origin: 'n1', seq: db.meta.seq + 1, epoch: 1 }).db));
}

const [db1, db2, db3, db4, db5, db6] = history([
  { membership: { epoch: 1, manager: 'n1', add: [info('n1'), info('n2')] } },
  { groupJoin: { group: 'workers', process: 'p1', node: 'n1' } },
  { set: { path: 'unrelated', value: 1 } },
  { groupJoin: { group: 'workers', process: 'p2', node: 'n2' } },
  { groupLeave: { group: 'workers', process: 'p1', node: 'n1' } },
  { membership: { remove: [{ id: 'n2', reason: 'failed' }] } },
]);

const committed = (db: ClusterDb) => ({ type: 'DB_COMMITTED' as const, db, seq: db.meta.seq });
/** The named actions a transition asks for, as plain data. */
const asked = (actions: { type: string; params?: unknown }[]) => actions.filter((a) => !a.type.startsWith('xstate.')).map((a) => ({ type: a.type, params: a.params }));

test('a commit that changes the members asks for notifyView with who joined and left', (t) => {
  let [snap] = initialTransition(processGroupMachine, { group: 'workers', node: 'n1', db: db1 });
  t.like(snap.context, { view: 0, members: [], seq: 1 });
  let actions;
  [snap, actions] = transition(processGroupMachine, snap, committed(db2!));
  t.deepEqual(asked(actions), [
    { type: 'notifyView', params: { view: { group: 'workers', view: 2, members: ['p1@n1'], joined: ['p1@n1'], left: [] }, joined: ['p1@n1'], left: [] } },
  ]);
  [snap, actions] = transition(processGroupMachine, snap, committed(db3!));
  t.deepEqual(asked(actions), [], 'a commit that leaves the group alone announces nothing');
  [snap, actions] = transition(processGroupMachine, snap, committed(db4!));
  t.like(asked(actions)[0]?.params as NotifyViewParams, { joined: ['p2@n2'], left: [] });
  [snap, actions] = transition(processGroupMachine, snap, committed(db5!));
  t.like(asked(actions)[0]?.params as NotifyViewParams, { joined: [], left: ['p1@n1'], view: { group: 'workers', view: 5, members: ['p2@n2'], joined: [], left: ['p1@n1'] } });
  [snap, actions] = transition(processGroupMachine, snap, committed(db6!));
  t.deepEqual((asked(actions)[0]?.params as NotifyViewParams).view, { group: 'workers', view: 6, members: [], joined: [], left: ['p2@n2'] });
  t.like(snap.context, { view: 6, members: [], seq: 6 });
  [snap, actions] = transition(processGroupMachine, snap, committed(db4!));
  t.deepEqual(asked(actions), [], 'an older commit is ignored');
  t.is(snap.context.seq, 6);
});

test('starting from a database takes its view without announcing it', (t) => {
  const [snap, actions] = initialTransition(processGroupMachine, { group: 'workers', node: 'n2', db: db4 });
  t.like(snap.context, { view: 4, members: ['p1@n1', 'p2@n2'], seq: 4 });
  t.deepEqual(asked(actions), []);
});

test('a member that left and came back between two observed commits is a new view', (t) => {
  const [, joined, , rejoined] = history([
    { membership: { epoch: 1, manager: 'n1', add: [info('n1')] } },
    { groupJoin: { group: 'g', process: 'p', node: 'n1' } },
    { groupLeave: { group: 'g', process: 'p', node: 'n1' } },
    { groupJoin: { group: 'g', process: 'p', node: 'n1' } },
  ]);
  const [snap] = initialTransition(processGroupMachine, { group: 'g', node: 'n1', db: joined });
  const [, actions] = transition(processGroupMachine, snap, committed(rejoined!));
  t.like(asked(actions)[0]?.params as NotifyViewParams, { view: { group: 'g', view: 4, members: ['p@n1'], joined: [], left: [] } });
});

test('messages are delivered to every local member, or to the one addressed', (t) => {
  let [snap] = initialTransition(processGroupMachine, { group: 'workers', node: 'n1' });
  [snap] = transition(processGroupMachine, snap, { type: 'LOCAL_JOIN', process: 'p1', onMessage: () => {} });
  [snap] = transition(processGroupMachine, snap, { type: 'LOCAL_JOIN', process: 'p2' });
  [snap] = transition(processGroupMachine, snap, { type: 'LOCAL_JOIN', process: 'p1' });
  t.deepEqual(snap.context.localMembers, ['p1', 'p2'], 'no handler functions in context, no duplicates');
  t.deepEqual(JSON.parse(JSON.stringify(snap.context)), snap.context);

  let [, actions] = transition(processGroupMachine, snap, { type: 'MESSAGE', msg: { job: 1 }, from: 'x@n3' });
  t.deepEqual(asked(actions), [
    { type: 'deliver', params: { process: 'p1', msg: { job: 1 }, from: 'x@n3' } },
    { type: 'deliver', params: { process: 'p2', msg: { job: 1 }, from: 'x@n3' } },
  ]);
  [, actions] = transition(processGroupMachine, snap, { type: 'MESSAGE', msg: 'one', from: 'x@n3', to: 'p2@n1' });
  t.deepEqual(asked(actions), [{ type: 'deliver', params: { process: 'p2', msg: 'one', from: 'x@n3' } }]);
  for (const to of ['p2@n2', 'p9@n1', 'garbage']) {
    [, actions] = transition(processGroupMachine, snap, { type: 'MESSAGE', msg: 'x', from: 'x@n3', to });
    t.deepEqual(asked(actions), [], `nothing for ${to}`);
  }
  [snap] = transition(processGroupMachine, snap, { type: 'LOCAL_LEAVE', process: 'p1' });
  [, actions] = transition(processGroupMachine, snap, { type: 'MESSAGE', msg: 'x', from: 'x@n3' });
  t.deepEqual(asked(actions).map((a) => (a.params as DeliverParams).process), ['p2']);
});

test('a stopped group does nothing more', (t) => {
  let [snap] = initialTransition(processGroupMachine, { group: 'workers', node: 'n1' });
  [snap] = transition(processGroupMachine, snap, { type: 'LOCAL_JOIN', process: 'p1' });
  [snap] = transition(processGroupMachine, snap, { type: 'STOP' });
  t.is(snap.value, 'stopped');
  t.is(snap.status, 'done');
  const [, actions] = transition(processGroupMachine, snap, { type: 'MESSAGE', msg: 'x', from: 'a@n2' });
  t.deepEqual(asked(actions), []);
});

test('through an actor, the host supplies the effects with provide()', (t) => {
  const views: NotifyViewParams[] = [];
  const delivered: DeliverParams[] = [];
  const machine = processGroupMachine.provide({
    actions: {
      notifyView: (_, params) => views.push(params),
      deliver: (_, params) => delivered.push(params),
    },
  });
  const actor = createActor(machine, { input: { group: 'workers', node: 'n2', db: db1 } }).start();
  actor.send({ type: 'LOCAL_JOIN', process: 'p2' });
  for (const db of [db2, db3, db4, db5]) actor.send(committed(db!));
  actor.send({ type: 'MESSAGE', msg: 'hello', from: 'p1@n1' });
  t.deepEqual(views.map((v) => [v.view.view, v.view.members]), [
    [2, ['p1@n1']],
    [4, ['p1@n1', 'p2@n2']],
    [5, ['p2@n2']],
  ]);
  t.deepEqual(delivered, [{ process: 'p2', msg: 'hello', from: 'p1@n1' }]);
  const persisted = actor.getPersistedSnapshot();
  t.deepEqual(JSON.parse(JSON.stringify(persisted)).context, (persisted as unknown as { context: unknown }).context, 'the context is plain JSON');
  actor.send({ type: 'STOP' });
  t.is(actor.getSnapshot().status, 'done');
});
