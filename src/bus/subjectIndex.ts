/**
 * The memory network's subscription table: which subscriptions a subject reaches, without
 * scanning every endpoint's subscriptions on every publish. A publish used to test each
 * subscription of each endpoint (8 per node), so N nodes acking a heartbeat cost N² subject
 * matches per interval (issue 14: 27% of the CPU of an idle 50-node cluster).
 *
 * It is a tree of subject tokens, as the NATS server's sublist: a subject walks one literal
 * branch and the `*` branch per token, and collects `>` leaves on the way. Matches come back
 * in the order the network delivered them before the table existed — endpoints in the
 * order they were first created, and each endpoint's subscriptions in the order they were
 * made — so the simulation replays exactly as it did: the order of the deliveries of one
 * publish decides the order of timers with equal deadlines.
 */
export interface IndexedSubscription {
  readonly pattern: string;
  /** Rank of the endpoint (its name's creation order). */
  readonly rank: number;
  /** Creation order of the subscription, network-wide. */
  readonly seq: number;
}

interface Level<S> {
  literal: Map<string, Level<S>>;
  star: Level<S> | undefined;
  /** Subscriptions whose pattern ends at this level. */
  here: S[];
  /** Subscriptions whose pattern ends with `>` after this level. */
  rest: S[];
}

const level = <S>(): Level<S> => ({ literal: new Map(), star: undefined, here: [], rest: [] });

const before = (a: IndexedSubscription, b: IndexedSubscription) => a.rank - b.rank || a.seq - b.seq;

/** Inserts keeping (rank, seq) order: a restarted node's new subscriptions rank where its name first came. */
function insertSorted<S extends IndexedSubscription>(list: S[], sub: S): void {
  let i = list.length;
  while (i > 0 && before(list[i - 1]!, sub) > 0) i--;
  list.splice(i, 0, sub);
}

export class SubjectIndex<S extends IndexedSubscription> {
  private readonly root: Level<S> = level();

  add(sub: S): void {
    let at = this.root;
    const tokens = sub.pattern.split('.');
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        insertSorted(at.rest, sub);
        return;
      }
      if (tok === '*') at = at.star ??= level();
      else {
        let next = at.literal.get(tok);
        if (!next) at.literal.set(tok, (next = level()));
        at = next;
      }
    }
    insertSorted(at.here, sub);
  }

  remove(sub: S): void {
    const path: [Level<S>, string][] = [];
    let at: Level<S> | undefined = this.root;
    const tokens = sub.pattern.split('.');
    for (let i = 0; i < tokens.length && at; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        drop(at.rest, sub);
        break;
      }
      path.push([at, tok]);
      at = tok === '*' ? at.star : at.literal.get(tok);
      if (at && i === tokens.length - 1) drop(at.here, sub);
    }
    // prune emptied branches: every request makes a fresh inbox subject
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, tok] = path[i]!;
      const child = tok === '*' ? parent.star : parent.literal.get(tok);
      if (!child || child.here.length || child.rest.length || child.star || child.literal.size) break;
      if (tok === '*') parent.star = undefined;
      else parent.literal.delete(tok);
    }
  }

  /** The subscriptions `subject` reaches, in (endpoint rank, subscription order); read it before the next add or remove. */
  match(subject: string): S[] {
    const tokens = subject.split('.');
    const found: S[][] = [];
    const walk = (at: Level<S>, i: number) => {
      if (i === tokens.length) {
        if (at.here.length) found.push(at.here);
        return;
      }
      // `>` needs at least one token after it
      if (at.rest.length) found.push(at.rest);
      const lit = at.literal.get(tokens[i]!);
      if (lit) walk(lit, i + 1);
      if (at.star) walk(at.star, i + 1);
    };
    walk(this.root, 0);
    if (found.length === 0) return [];
    // the caller reads the list at once and keeps nothing: no copy of a heartbeat's N subscribers
    if (found.length === 1) return found[0]!;
    return found.flat().sort(before);
  }

}

function drop<S>(list: S[], sub: S): void {
  const i = list.indexOf(sub);
  if (i >= 0) list.splice(i, 1);
}
