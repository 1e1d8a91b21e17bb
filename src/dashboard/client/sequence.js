// glup dashboard: the message sequence diagram of recent traffic, drawn like the heartbeat
// and GLUP traffic-flow figures of the original design: one lane per node, time running
// down, an arrow from the sender's lane at the send to the receiver's lane at the delivery.
// Answers are dashed; a unicast that never arrived ends in a cross; role changes and
// crashes are marked on their lane.
(function (G) {
  'use strict';

  const TOP = 8;
  const LEFT = 64;
  const MIN_ROW = 20;
  const MAX_ROW = 64;

  /**
   * The last `count` messages sent up to t. Time runs down but not to scale: every send (and
   * every role change or crash) gets a row at least MIN_ROW high and a quiet gap is capped at
   * MAX_ROW, so a burst of an election stays readable next to steady heartbeats; the times
   * are written in the margin.
   */
  G.renderSequence = function (box, index, state, t, count) {
    const width = Math.max(420, box.clientWidth || 600);
    const lanes = index.nodes;
    const laneX = {};
    const step = lanes.length > 1 ? (width - LEFT - 24 - 56) / (lanes.length - 1) : 0;
    lanes.forEach((n, i) => (laneX[n] = LEFT + 24 + i * step));

    const hi = G.upperBound(index.events, t);
    const sends = [];
    for (let i = hi - 1; i >= 0 && sends.length < count; i--) {
      const e = index.events[i];
      if (e.kind === 'message' && e.dir === 'send' && !G.TOOL_MESSAGES.has(e.msgType) && laneX[e.from] !== undefined) sends.push({ m: e, receivers: new Set(), labelled: false });
    }
    sends.reverse();
    const from = sends.length ? sends[0].m.t : t;
    const lo = G.upperBound(index.events, from - 1e-9) - 1;
    const receives = [];
    const marks = [];
    for (let i = Math.max(0, lo); i < hi; i++) {
      const e = index.events[i];
      if (e.t < from) continue;
      if (e.kind === 'message' && e.dir === 'receive' && e.node !== e.from && !G.TOOL_MESSAGES.has(e.msgType) && laneX[e.from] !== undefined && laneX[e.node] !== undefined) receives.push(e);
      else if ((e.kind === 'role' && e.role !== 'stopped' && laneX[e.node] !== undefined) || (e.kind === 'step' && e.ok && (e.step.kill || e.step.stop))) marks.push(e);
    }

    // rows: the distinct times of sends and marks, then t itself at the bottom
    const times = [...new Set(sends.map((s) => s.m.t).concat(marks.map((m) => m.t)).concat([t]))].sort((a, b) => a - b);
    const pxPerMs = 40 / (index.heartbeatMs || 100);
    const rows = [];
    let yy = TOP + 10;
    times.forEach((tt, i) => {
      if (i > 0) yy += Math.min(MAX_ROW, Math.max(MIN_ROW, (tt - times[i - 1]) * pxPerMs));
      rows.push({ t: tt, y: yy });
    });
    const y = (tt) => {
      if (tt <= rows[0].t) return rows[0].y;
      for (let i = 1; i < rows.length; i++) {
        if (tt <= rows[i].t) {
          const a = rows[i - 1];
          const b = rows[i];
          return a.y + ((tt - a.t) / (b.t - a.t || 1)) * (b.y - a.y);
        }
      }
      return rows[rows.length - 1].y;
    };
    const height = rows[rows.length - 1].y + 20;
    const svg = G.svg('svg', { viewBox: '0 0 ' + width + ' ' + height, height, 'data-testid': 'sequence', 'data-from': from - index.t0, 'data-to': t - index.t0, 'data-messages': sends.length });

    let lastLabelY = -Infinity;
    for (const r of rows) {
      if (r.y - lastLabelY < 14) continue;
      lastLabelY = r.y;
      svg.appendChild(G.svg('text', { class: 'axis', x: 4, y: r.y + 3 }, G.fmtMs(r.t - index.t0)));
      svg.appendChild(G.svg('line', { x1: LEFT - 4, x2: width - 8, y1: r.y, y2: r.y, stroke: '#f2f4f6' }));
    }
    // lanes here; their heads in a header that stays put while the messages scroll
    const headSvg = G.svg('svg', { viewBox: '0 0 ' + width + ' 38', height: 38, 'data-testid': 'sequence-heads' });
    for (const n of lanes) {
      const node = state.nodes[n];
      const role = node ? (node.down ? 'down' : node.role) : 'unknown';
      svg.appendChild(G.svg('line', { class: 'lane', x1: laneX[n], x2: laneX[n], y1: 0, y2: height - 6 }));
      const head = G.svg('g', { class: 'lane-head', 'data-testid': 'seq-lane', 'data-node': n, 'data-role': role });
      head.appendChild(G.svg('rect', { x: laneX[n] - 34, y: 4, width: 68, height: 30, fill: G.ROLE_COLORS[role] || G.ROLE_COLORS.unknown }));
      head.appendChild(G.svg('text', { x: laneX[n], y: 17 }, n));
      head.appendChild(G.svg('text', { x: laneX[n], y: 30, 'font-size': 10, 'font-weight': 400 }, role));
      headSvg.appendChild(head);
    }

    const key = (m) => m.from + '|' + m.msgType + '|' + m.subject + '|' + m.epoch + '|' + JSON.stringify(m.summary);
    const queues = new Map();
    for (const s of sends) {
      const k = key(s.m);
      if (!queues.has(k)) queues.set(k, []);
      queues.get(k).push(s);
    }
    // a delivery faster than this is drawn just below its send: the figure shows who talks to
    // whom in what order; only a slow delivery is drawn down to its own time
    const fast = (index.heartbeatMs || 100) / 4;
    const arrows = G.svg('g', {});
    for (const r of receives) {
      const q = queues.get(key(r)) || [];
      const s = q.find((c) => c.m.t <= r.t && !c.receivers.has(r.node) && (c.m.to === null || c.m.to === r.node));
      if (!s) continue; // sent before the first message shown
      s.receivers.add(r.node);
      arrows.appendChild(arrow(r.from, r.node, s.m.t, r.t, r, s, laneX, y, index, fast));
      s.labelled = true;
    }
    // unicasts that never arrived (lost, or the addressee was down); one sent just now may still
    // be on its way, and live, the receiver's feed may not have brought the delivery yet
    const settled = index.data.mode === 'live' ? 2000 : (index.heartbeatMs || 100) / 2;
    for (const s of sends) {
      if (s.receivers.size > 0 || s.m.to === null || laneX[s.m.to] === undefined || t - s.m.t < settled) continue;
      const x1 = laneX[s.m.from];
      const x2 = x1 + (laneX[s.m.to] - x1) * 0.4;
      const y1 = y(s.m.t);
      const g = G.svg('g', { class: 'arrow lost-message', 'data-testid': 'seq-lost', 'data-msg-type': s.m.msgType, 'data-from': s.m.from, 'data-to': s.m.to, 'data-t-send': s.m.t - index.t0 });
      const color = G.messageStyle(s.m.msgType).color;
      g.appendChild(G.svg('line', { x1, x2, y1, y2: y1 + 6, stroke: color, 'stroke-dasharray': '2 3' }));
      g.appendChild(G.svg('path', { class: 'lost', d: 'M' + (x2 - 4) + ',' + (y1 + 2) + ' l8,8 m0,-8 l-8,8' }));
      g.appendChild(G.svg('title', {}, G.messageText(s.m) + ' to ' + s.m.to + ' at ' + G.fmtMs(s.m.t - index.t0) + ': not delivered'));
      arrows.appendChild(g);
    }
    svg.appendChild(arrows);

    for (const e of marks) {
      if (e.kind === 'role') {
        const g = G.svg('g', { class: 'role-change', 'data-testid': 'seq-role', 'data-node': e.node, 'data-role': e.role, 'data-t': e.t - index.t0 });
        const color = G.ROLE_COLORS[e.role] || '#555';
        g.appendChild(G.svg('circle', { cx: laneX[e.node], cy: y(e.t), r: 5, fill: color, stroke: '#fff' }));
        g.appendChild(G.svg('text', { x: laneX[e.node] + 8, y: y(e.t) + 4, fill: color }, e.role + (e.role === 'manager' || e.role === 'backup' ? ' e' + e.epoch : '')));
        svg.appendChild(g);
      } else {
        for (const id of [].concat(e.step.kill || e.step.stop)) {
          if (laneX[id] === undefined) continue;
          const g = G.svg('g', { class: 'role-change', 'data-testid': 'seq-down', 'data-node': id, 'data-t': e.t - index.t0 });
          g.appendChild(G.svg('path', { class: 'lost', d: 'M' + (laneX[id] - 7) + ',' + (y(e.t) - 7) + ' l14,14 m0,-14 l-14,14' }));
          g.appendChild(G.svg('text', { x: laneX[id] + 10, y: y(e.t) + 4, fill: '#c0392b' }, e.step.kill ? 'killed' : 'stopped'));
          svg.appendChild(g);
        }
      }
    }
    let head = box.querySelector('.seq-head');
    let body = box.querySelector('.seq-body');
    if (!head) {
      head = G.el('div', { class: 'seq-head' });
      body = G.el('div', { class: 'seq-body' });
      box.replaceChildren(head, body);
      body.addEventListener('scroll', () => (body.dataset.scrolled = body.scrollHeight - body.scrollTop - body.clientHeight < 30 ? '' : '1'));
    }
    head.replaceChildren(headSvg);
    body.replaceChildren(svg);
    // the newest messages are at the bottom: keep them in view unless the reader scrolled up
    if (!body.dataset.scrolled) body.scrollTop = body.scrollHeight;
  };

  function arrow(fromNode, toNode, t1, t2, r, s, laneX, y, index, fast) {
    const style = G.messageStyle(r.msgType);
    const g = G.svg('g', {
      class: 'arrow ' + style.family + (style.answer ? ' answer' : ''),
      'data-testid': 'seq-arrow',
      'data-msg-type': r.msgType,
      'data-from': fromNode,
      'data-to': toNode,
      'data-t-send': s.m.t - index.t0,
      'data-t-receive': r.t - index.t0,
    });
    const x1 = laneX[fromNode];
    const x2 = laneX[toNode];
    const y1 = y(t1);
    // never flat: a delivery is drawn a little below its send, as in the design's figures
    const y2 = t2 - t1 < fast ? y1 + 10 : Math.max(y(t2), y1 + 10);
    g.appendChild(G.svg('line', { x1, x2, y1, y2, stroke: style.color }));
    const angle = Math.atan2(y2 - y1, x2 - x1);
    const head = (a) => x2 - 8 * Math.cos(angle + a) + ',' + (y2 - 8 * Math.sin(angle + a));
    g.appendChild(G.svg('polygon', { points: x2 + ',' + y2 + ' ' + head(0.4) + ' ' + head(-0.4), fill: style.color }));
    g.appendChild(G.svg('title', {}, G.messageText(r) + ' · ' + fromNode + ' → ' + toNode));
    // one label per message (a multicast's first arrow), none on the steady heartbeat traffic
    if (style.family !== 'heartbeat' && !s.labelled) {
      const right = x2 > x1;
      g.appendChild(G.svg('text', { x: x1 + (right ? 6 : -6), y: y1 - 3, fill: style.color, 'text-anchor': right ? 'start' : 'end' }, G.messageText(r)));
    }
    return g;
  }

  G.renderSequenceLegend = function (box) {
    box.innerHTML = G.MESSAGE_STYLES.map((s) => {
      const names = s.test.source.replace(/[\^$()]/g, '').split('|').join(' / ');
      return '<span><i style="background:' + s.color + '"></i>' + G.esc(names) + (s.answer ? ' (answer)' : '') + '</span>';
    }).join('');
  };
})((window.GLUP = window.GLUP || {}));
