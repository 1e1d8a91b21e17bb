// glup dashboard: the event lines folded into what the page shows. Everything comes from
// the lines (steps, roles, transitions, messages, commits, polled statuses): roles and
// epochs from role and status lines, never from state names, so the page follows whatever
// shape the machines take.
(function (G) {
  'use strict';

  /** Indexes the data once (per live poll): sorted events, nodes, role bands, markers. */
  G.buildIndex = function (data) {
    const events = data.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map((x) => x.e);
    const nodeSet = new Set(data.nodes || []);
    for (const e of events) if (typeof e.node === 'string' && (e.kind !== 'message' || !G.TOOL_MESSAGES.has(e.msgType))) nodeSet.add(e.node);
    const nodes = [...nodeSet].sort(G.compareIds);
    const t0 = events.length ? Math.min(data.mode === 'live' ? events[0].t : 0, events[0].t) : 0;
    const tEnd = events.length ? events[events.length - 1].t : t0;
    const actors = {};
    for (const n of nodes) actors[n] = [];
    for (const e of events) if (e.kind === 'transition' && actors[e.node] && !actors[e.node].includes(e.actor)) actors[e.node].push(e.actor);
    const index = { data, events, nodes, t0, tEnd, actors, steps: events.filter((e) => e.kind === 'step') };
    index.bands = roleBands(index);
    index.markers = markers(index);
    index.heartbeatMs = data.heartbeatMs || guessHeartbeat(events);
    return index;
  };

  /** Roles, epochs, seqs, health and actor states of every node at time t. */
  G.stateAt = function (index, t) {
    const nodes = {};
    const fresh = (id) => ({ id, role: 'unknown', epoch: 0, committedSeq: 0, lastSeq: null, down: false, reachable: true, actors: {}, seen: false });
    for (const id of index.nodes) nodes[id] = fresh(id);
    let partition = null;
    const end = G.upperBound(index.events, t);
    for (let i = 0; i < end; i++) {
      const e = index.events[i];
      const n = e.node !== undefined ? nodes[e.node] : undefined;
      switch (e.kind) {
        case 'step':
          if (!e.ok) break;
          for (const [kind, ids] of Object.entries(e.step)) {
            if (kind === 'partition') partition = ids;
            else if (kind === 'heal') partition = null;
            else if (kind === 'kill' || kind === 'stop' || kind === 'start' || kind === 'restart' || kind === 'add') {
              const list = kind === 'add' ? [ids.id] : ids === 'all' ? index.nodes : ids;
              for (const id of list) {
                if (!nodes[id]) continue;
                nodes[id].down = kind === 'kill' || kind === 'stop';
                if (nodes[id].down) nodes[id].role = 'down';
              }
            }
          }
          break;
        case 'role':
          if (n) Object.assign(n, { role: e.role, epoch: e.epoch, seen: true, down: n.down && e.role === 'stopped' });
          break;
        case 'transition':
          if (n) {
            n.actors[e.actor] = { value: e.to, from: e.from, event: e.event, t: e.t };
            n.seen = true;
          }
          break;
        case 'commit':
          if (n) n.committedSeq = Math.max(n.committedSeq, e.seq);
          break;
        case 'status':
          if (n) Object.assign(n, { role: e.down ? 'down' : e.role, epoch: e.epoch, committedSeq: Math.max(n.committedSeq, e.committedSeq), lastSeq: e.lastSeq, reachable: e.reachable, down: e.down, seen: true });
          break;
      }
    }
    // The manager: in the manager role, up, of the highest epoch (a deposed one may not know yet).
    let manager = null;
    for (const n of Object.values(nodes)) if (n.role === 'manager' && !n.down && n.reachable && (!manager || n.epoch > manager.epoch)) manager = n;
    const sideOf = (id) => (partition ? partition.findIndex((side) => side.includes(id)) : 0);
    for (const n of Object.values(nodes)) {
      n.health = n.down ? 'down' : n.role === 'isolated' ? 'isolated' : !n.reachable ? 'unreachable' : manager && sideOf(n.id) !== sideOf(manager.id) ? 'unreachable' : n.role === 'joining' ? 'joining' : 'up';
      n.lag = manager && !n.down && n.role !== 'unknown' ? Math.max(0, manager.committedSeq - n.committedSeq) : null;
    }
    return { t, nodes, manager: manager ? manager.id : null, partition };
  };

  /** Per node, the role it held from when to when (what the timeline draws). */
  function roleBands(index) {
    const bands = {};
    const open = {};
    const begin = (node, role, epoch, t) => {
      const cur = open[node];
      if (cur && cur.role === role && cur.epoch === epoch) return;
      if (cur) cur.to = t;
      const band = { node, role, epoch, from: t, to: null };
      (bands[node] = bands[node] || []).push(band);
      open[node] = band;
    };
    for (const e of index.events) {
      if (e.kind === 'role') begin(e.node, e.role, e.epoch, e.t);
      else if (e.kind === 'status') begin(e.node, e.down ? 'down' : !e.reachable ? 'unreachable' : e.role, e.epoch, e.t);
      else if (e.kind === 'step' && e.ok) {
        const ids = e.step.kill || e.step.stop;
        if (ids) for (const id of ids === 'all' ? index.nodes : ids) if (open[id]) begin(id, 'down', 0, e.t);
      }
    }
    for (const b of Object.values(open)) b.to = null;
    return bands;
  }

  /**
   * Failovers, elections and switchovers: each time a node becomes manager with an epoch
   * above every earlier manager's. A backup that takes over is a failover; one that was
   * handed the role (a handover message came first) a switchover; anything else an election.
   */
  function markers(index) {
    const out = [];
    let topEpoch = 0;
    const lastRole = {};
    const handedOver = {};
    for (const e of index.events) {
      if (e.kind === 'message' && e.msgType === 'handover' && e.dir === 'receive') handedOver[e.node] = e.t;
      if (e.kind === 'step' && e.ok && (e.step.kill || e.step.stop || e.step.partition)) {
        out.push({ t: e.t, kind: e.step.partition ? 'partition' : 'down', node: null, epoch: null, label: e.step.partition ? 'partition' : (e.step.kill ? 'kill ' : 'stop ') + [].concat(e.step.kill || e.step.stop).join(',') });
      }
      const role = e.kind === 'role' ? e.role : e.kind === 'status' && e.reachable && !e.down ? e.role : null;
      if (role === null) continue;
      if (role === 'manager' && e.epoch > topEpoch) {
        const before = lastRole[e.node];
        const kind = handedOver[e.node] !== undefined && e.t - handedOver[e.node] < 10 * (index.heartbeatMs || 100) ? 'switchover' : before === 'backup' && topEpoch > 0 ? 'failover' : 'election';
        out.push({ t: e.t, kind, node: e.node, epoch: e.epoch, label: kind + ': ' + e.node + ' manager, epoch ' + e.epoch });
        topEpoch = e.epoch;
      }
      lastRole[e.node] = role;
    }
    return out;
  }

  /** Live data has no settings: the most common gap between one node's heartbeats. */
  function guessHeartbeat(events) {
    const last = {};
    const gaps = [];
    for (const e of events) {
      if (e.kind !== 'message' || e.msgType !== 'heartbeat' || e.dir !== 'send') continue;
      if (last[e.node] !== undefined) gaps.push(e.t - last[e.node]);
      last[e.node] = e.t;
    }
    if (gaps.length === 0) return 1000;
    gaps.sort((a, b) => a - b);
    return Math.max(10, gaps[gaps.length >> 1]);
  }

  /** The cluster database as `node` held it at the state's time (its committed seq's). */
  G.dbOf = function (index, state, node) {
    const n = state.nodes[node];
    if (!n || !n.committedSeq) return null;
    const dbs = index.data.dbs || {};
    if (dbs[n.committedSeq]) return { seq: n.committedSeq, db: dbs[n.committedSeq] };
    // live: the newest database at or below the node's seq
    let best = null;
    for (const k of Object.keys(dbs)) if (Number(k) <= n.committedSeq && (best === null || Number(k) > best)) best = Number(k);
    return best === null ? null : { seq: best, db: dbs[best] };
  };

  /** The machine an actor runs: by name first, then the one all its states belong to. */
  G.chartFor = function (index, node, actor) {
    const charts = index.data.charts;
    const key = node + '\u0000' + actor;
    index.chartCache = index.chartCache || {};
    if (index.chartCache[key] !== undefined) return index.chartCache[key];
    const base = actor.split(/[:.\/#]/)[0].toLowerCase();
    const named = charts.find((c) => c.name === actor || c.machineId === actor);
    let found = named || null;
    if (!found) {
      const values = index.events.filter((e) => e.kind === 'transition' && e.node === node && e.actor === actor).map((e) => e.to);
      const fits = charts.filter((c) => values.every((v) => G.valuePaths(v).every((p) => c.states.includes(c.machineId + '.' + p.join('.')))));
      const score = (c) => (c.name.toLowerCase().includes(base) || base.includes(c.name.toLowerCase()) ? 2 : 0) + (c.machineId.toLowerCase().includes(base) ? 1 : 0);
      fits.sort((a, b) => score(b) - score(a));
      found = fits[0] || null;
    }
    index.chartCache[key] = found;
    return found;
  };
})((window.GLUP = window.GLUP || {}));
