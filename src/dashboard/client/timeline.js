// glup dashboard: the timeline. One lane per node coloured by the role it held, the steps of
// a scenario as ticks, failovers, elections and switchovers as markers, and the cursor.
// Clicking or dragging sets the time.
(function (G) {
  'use strict';

  const LABEL_W = 70;
  const ROW_H = 22;
  const LABEL_ROWS = 3;
  const TOP = 14 + LABEL_ROWS * 12 + 6;

  G.renderTimeline = function (box, index, t, selected, onTime, onSelect) {
    const width = Math.max(400, box.clientWidth || 800);
    const plotW = width - LABEL_W - 12;
    const span = Math.max(1, index.tEnd - index.t0);
    const x = (tt) => LABEL_W + ((tt - index.t0) / span) * plotW;
    const height = TOP + index.nodes.length * ROW_H + 22;
    const svg = G.svg('svg', { viewBox: '0 0 ' + width + ' ' + height, height, 'data-testid': 'timeline' });

    for (const s of index.steps) {
      svg.appendChild(G.svg('line', { class: 'step-tick' + (s.ok ? '' : ' failed'), x1: x(s.t), x2: x(s.t), y1: TOP - 6, y2: TOP + index.nodes.length * ROW_H }));
    }
    index.nodes.forEach((node, row) => {
      const y = TOP + row * ROW_H;
      const label = G.svg('text', { class: 'lane-label' + (node === selected ? ' selected' : ''), x: LABEL_W - 8, y: y + ROW_H / 2 + 4, 'data-testid': 'timeline-node', 'data-node': node }, node);
      label.addEventListener('click', (ev) => {
        ev.stopPropagation();
        onSelect(node);
      });
      svg.appendChild(label);
      for (const b of index.bands[node] || []) {
        const x1 = x(b.from);
        const x2 = x(b.to === null ? index.tEnd : b.to);
        const rect = G.svg('rect', { x: x1, y: y + 3, width: Math.max(1, x2 - x1), height: ROW_H - 6, fill: G.ROLE_COLORS[b.role] || G.ROLE_COLORS.unknown, 'data-role': b.role });
        rect.appendChild(G.svg('title', {}, node + ' ' + b.role + (b.epoch ? ' (epoch ' + b.epoch + ')' : '') + ' from ' + G.fmtMs(b.from - index.t0)));
        svg.appendChild(rect);
        if (b.role === 'manager' && x2 - x1 > 26) svg.appendChild(G.svg('text', { x: x1 + 4, y: y + ROW_H / 2 + 4, 'font-size': 10, fill: '#fff' }, 'e' + b.epoch));
      }
    });

    // markers above the lanes; each label goes to the first row where it overlaps no other
    const taken = [];
    for (let r = 0; r < LABEL_ROWS; r++) taken.push([]);
    index.markers.forEach((m) => {
      const mx = x(m.t);
      const g = G.svg('g', { class: 'marker', 'data-testid': 'marker', 'data-kind': m.kind, 'data-t': m.t - index.t0, 'data-node': m.node || '' });
      const color = m.kind === 'failover' ? '#c0392b' : m.kind === 'election' ? '#6c3483' : m.kind === 'switchover' ? '#1e8449' : '#7f8c8d';
      g.appendChild(G.svg('path', { d: 'M' + (mx - 5) + ',' + (TOP - 12) + ' L' + (mx + 5) + ',' + (TOP - 12) + ' L' + mx + ',' + (TOP - 3) + ' z', fill: color }));
      g.appendChild(G.svg('line', { x1: mx, x2: mx, y1: TOP - 3, y2: TOP + index.nodes.length * ROW_H, stroke: color, 'stroke-width': 1, 'stroke-opacity': 0.5, 'pointer-events': 'none' }));
      const w = m.label.length * 5.6 + 8;
      const right = mx + w < width;
      const span = right ? [mx - 2, mx + w] : [mx - w, mx + 2];
      let row = taken.findIndex((spans) => spans.every(([a, b]) => span[1] < a || span[0] > b));
      if (row < 0) row = LABEL_ROWS - 1;
      taken[row].push(span);
      g.appendChild(G.svg('text', { x: mx + (right ? 7 : -7), y: TOP - 16 - (LABEL_ROWS - 1 - row) * 12, 'text-anchor': right ? 'start' : 'end', fill: color }, m.label));
      g.style.cursor = 'pointer';
      g.addEventListener('mousedown', (ev) => ev.stopPropagation());
      g.addEventListener('click', (ev) => {
        ev.stopPropagation();
        // just after the event: the diagram then shows what led to it and the new manager
        onTime(m.t + Math.max(1, (index.heartbeatMs || 100) / 4));
      });
      svg.appendChild(g);
    });

    const axisY = TOP + index.nodes.length * ROW_H + 14;
    for (let i = 0; i <= 8; i++) {
      const tt = index.t0 + (span * i) / 8;
      svg.appendChild(G.svg('text', { x: x(tt), y: axisY, 'font-size': 10, fill: '#6b7785', 'text-anchor': i === 0 ? 'start' : i === 8 ? 'end' : 'middle' }, G.fmtMs(tt - index.t0)));
    }
    svg.appendChild(G.svg('line', { class: 'cursor', 'data-testid': 'timeline-cursor', x1: x(t), x2: x(t), y1: TOP - 4, y2: TOP + index.nodes.length * ROW_H + 2 }));

    const toTime = (ev) => {
      const r = svg.getBoundingClientRect();
      const px = ((ev.clientX - r.left) / r.width) * width;
      return index.t0 + Math.min(1, Math.max(0, (px - LABEL_W) / plotW)) * span;
    };
    let dragging = false;
    svg.addEventListener('mousedown', (ev) => {
      dragging = true;
      onTime(toTime(ev));
    });
    svg.addEventListener('mousemove', (ev) => dragging && onTime(toTime(ev)));
    window.addEventListener('mouseup', () => (dragging = false), { once: true });
    box.replaceChildren(svg);
  };

  G.renderLegend = function (box) {
    const roles = ['manager', 'backup', 'client', 'joining', 'isolated', 'unreachable', 'down'];
    box.innerHTML = roles.map((r) => '<span><i style="background:' + G.ROLE_COLORS[r] + '"></i>' + r + '</span>').join('') + '<span>▼ failover / election / switchover</span>';
  };
})((window.GLUP = window.GLUP || {}));
