// glup dashboard: the statecharts of the selected node, one per actor it runs (the node
// actor, the coordinator while it is manager, one per process group, …). Each chart is the
// ELK drawing `glup viz` makes; the actor's current states are highlighted (the innermost
// strongly) and the arrows of its last transitions run, all found through the data-state-id
// and data-source/data-target attributes the drawing carries, never through state names.
(function (G) {
  'use strict';

  G.renderCharts = function (box, index, state, node, t, ui) {
    const n = state.nodes[node];
    const actors = (index.actors[node] || []).slice().sort((a, b) => (a === 'node' ? -1 : b === 'node' ? 1 : G.compareIds(a, b)));
    const key = node + '|' + actors.join(',');
    if (box.dataset.key !== key) {
      box.dataset.key = key;
      box.replaceChildren();
      if (actors.length === 0) box.appendChild(G.el('p', { class: 'muted' }, 'No actor of ' + G.esc(node) + ' has made a transition yet.'));
      for (const actor of actors) box.appendChild(section(index, node, actor, ui));
    }
    const recentMs = 3 * (index.heartbeatMs || 100);
    for (const sec of box.querySelectorAll('section.chart')) {
      const actor = sec.dataset.actor;
      const current = n && n.actors[actor];
      const svg = sec.querySelector('svg');
      const machineId = sec.dataset.machineId;
      const leaves = current ? G.valuePaths(current.value).map((p) => machineId + '.' + p.join('.')) : [];
      const active = new Set();
      for (const leaf of leaves) {
        const parts = leaf.split('.');
        for (let i = 1; i <= parts.length; i++) active.add(parts.slice(0, i).join('.'));
      }
      sec.dataset.activeLeaf = leaves.join(' ');
      sec.dataset.value = current ? JSON.stringify(current.value) : '';
      sec.querySelector('.value').textContent = current ? G.valueText(current.value) : 'not running';
      sec.querySelector('.since').textContent = current ? 'since ' + G.fmtMs(current.t - index.t0) + (current.event ? ' (' + current.event + ')' : '') : '';
      if (!svg) continue;
      for (const g of svg.querySelectorAll('g.state')) {
        const id = g.getAttribute('data-state-id');
        g.classList.toggle('active', active.has(id));
        g.classList.toggle('active-leaf', leaves.includes(id));
        g.classList.remove('entered');
      }
      for (const g of svg.querySelectorAll('g.edge')) g.classList.remove('recent');
      // the last transitions: their arrows run and the states they entered pulse
      const lo = G.upperBound(index.events, t - recentMs);
      const hi = G.upperBound(index.events, t);
      for (let i = lo; i < hi; i++) {
        const e = index.events[i];
        if (e.kind !== 'transition' || e.node !== node || e.actor !== actor) continue;
        for (const g of edgesOf(svg, machineId, e)) g.classList.add('recent');
        for (const p of G.valuePaths(e.to)) {
          const g = svg.querySelector('g.state[data-state-id="' + cssEscape(machineId + '.' + p.join('.')) + '"]');
          if (g) g.classList.add('entered');
        }
      }
    }
  };

  function section(index, node, actor, ui) {
    const chart = G.chartFor(index, node, actor);
    const sec = G.el('section', { class: 'chart', 'data-testid': 'chart', 'data-node': node, 'data-actor': actor, 'data-machine': chart ? chart.name : '', 'data-machine-id': chart ? chart.machineId : '' });
    const head = G.el('div', { class: 'chart-head' });
    head.innerHTML = '<span class="actor">' + G.esc(actor) + '</span><span class="muted">' + (chart ? 'machine ' + G.esc(chart.name) : 'no chart') + '</span><span class="value" data-testid="chart-value"></span><span class="since muted"></span>';
    sec.appendChild(head);
    if (!chart) return sec;
    const fit = ui.fit !== false;
    const zoom = G.el('button', { type: 'button', 'data-testid': 'chart-zoom' }, fit ? '100%' : 'fit');
    head.appendChild(zoom);
    const svgbox = G.el('div', { class: 'svgbox' + (fit ? ' fit' : '') });
    svgbox.innerHTML = chart.svg;
    zoom.addEventListener('click', () => {
      svgbox.classList.toggle('fit');
      zoom.textContent = svgbox.classList.contains('fit') ? '100%' : 'fit';
    });
    sec.appendChild(svgbox);
    return sec;
  }

  /** The arrows a transition took: from a state it left to one it entered, by event when they name it. */
  function edgesOf(svg, machineId, e) {
    const ids = (value) => {
      const out = new Set();
      for (const p of G.valuePaths(value)) for (let i = 1; i <= p.length; i++) out.add(machineId + '.' + p.slice(0, i).join('.'));
      return out;
    };
    const left = ids(e.from);
    const entered = ids(e.to);
    const event = /^xstate\.after\./.test(e.event) ? 'after ' + e.event.split('.')[2] : e.event;
    const matches = [];
    for (const g of svg.querySelectorAll('g.edge')) {
      const source = g.getAttribute('data-source');
      const target = g.getAttribute('data-target');
      if (!left.has(source) || !entered.has(target)) continue;
      const events = (g.getAttribute('data-events') || '').split('|');
      if (events.includes(event)) matches.push(g);
    }
    return matches;
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
  }
})((window.GLUP = window.GLUP || {}));
