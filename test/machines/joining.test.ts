/** The joining chart: a node asks the manager it follows to bring it in, again every retransmitMs. */
import test from 'ava';
import { initialTransition } from 'xstate';
import { joiningMachine } from '../../src/machines/joining.js';
import { asked, fire, pendingDelays, pure } from './pure.js';

const m = pure(joiningMachine);

test('a joining node asks its manager at once and again after every retransmission interval', (t) => {
  const [s0, first] = initialTransition(m, { manager: 'n2', position: { lastSeq: 4, lastEpoch: 2, commitSeq: 4 }, retransmitMs: 50 });
  t.deepEqual(asked(m, first), [{ type: 'sendJoinRequest', params: { to: 'n2' } }]);
  t.deepEqual(pendingDelays(s0), ['retransmit']);
  const [s1, again] = fire(m, s0, 'retransmit');
  t.deepEqual(asked(m, again), [{ type: 'sendJoinRequest', params: { to: 'n2' } }]);
  t.deepEqual(pendingDelays(s1), ['retransmit'], 'until the node actor stops it (its add committed, or the manager is lost)');
});
