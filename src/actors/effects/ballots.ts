/** Effects of the election and takeover actors (src/machines/election.ts, takeover.ts). */
import { fromPromise } from 'xstate';
import { electionMachine, type BallotRequestParams, type CaughtUp } from '../../machines/election.js';
import { takeoverMachine, type AskParams } from '../../machines/takeover.js';
import type { LogPosition } from '../../machines/rules/log.js';
import type { NodeHost } from '../host.js';
import { fetchLog, type FetchReplies } from './catchUp.js';

function ballotActors(host: NodeHost, replies: FetchReplies) {
  return {
    fetchLog: fromPromise<CaughtUp, { node: string; position: LogPosition }>(async ({ input }) => {
      const position = await fetchLog(host, replies, input);
      const members: CaughtUp['members'] = {};
      for (const [id, m] of Object.entries(host.replica.newestMembers())) members[id] = { priority: m.priority, qualified: m.qualified };
      return { position, members, previous: host.replica.uncommittedPrevious() };
    }),
  };
}

export function provideElection(host: NodeHost, replies: FetchReplies) {
  const candidacy = (prevote: boolean) => (_: unknown, p: BallotRequestParams) =>
    host.publish('discovery', 'candidacy', { prevote, term: p.term, node: host.facts(), position: p.position });
  return electionMachine.provide({
    actors: ballotActors(host, replies),
    actions: {
      sendHello: () => host.publish('discovery', 'hello', { node: host.facts(), position: host.position() }),
      requestPreVotes: candidacy(true),
      requestVotes: candidacy(false),
    },
  });
}

export function provideTakeover(host: NodeHost, replies: FetchReplies) {
  const ask = (phase: 'ask' | 'promise') => (_: unknown, p: AskParams) => {
    for (const m of p.to) host.sendTo(m, 'confirm-request', { phase, term: p.term, position: p.position });
  };
  return takeoverMachine.provide({
    actors: ballotActors(host, replies),
    actions: { askMembers: ask('ask'), requestPromises: ask('promise') },
  });
}
