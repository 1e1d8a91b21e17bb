// glup dashboard: the node cards (role, epoch, committed seq, lag, health), the selected
// node's GLUP log, its database as a tree and the process-group views in it.
(function (G) {
  'use strict';

  G.renderNodes = function (box, index, state, selected, onSelect) {
    box.replaceChildren();
    for (const id of index.nodes) {
      const n = state.nodes[id];
      const role = n.down ? (n.role === 'unknown' ? 'down' : n.role) : n.role;
      const card = G.el('div', {
        class: 'node-card role-' + role + ' health-' + n.health + (id === selected ? ' selected' : ''),
        'data-testid': 'node-card',
        'data-node': id,
        'data-role': role,
        'data-health': n.health,
        'data-epoch': n.epoch,
        'data-committed-seq': n.committedSeq,
        title: 'select ' + id,
      });
      const facts = [
        'epoch ' + n.epoch,
        'seq ' + n.committedSeq + (n.lastSeq !== null && n.lastSeq !== n.committedSeq ? ' (log ' + n.lastSeq + ')' : ''),
        'lag ' + (n.lag === null ? '–' : n.lag),
      ];
      card.innerHTML =
        '<span class="id">' + G.esc(id) + '</span><span class="role" data-testid="node-role">' + G.esc(role) + '</span>' +
        (n.health !== 'up' ? '<span class="health" data-testid="node-health">' + G.esc(n.health) + '</span>' : '') +
        '<div class="facts">' + facts.map(G.esc).join(' · ') + '</div>';
      card.addEventListener('click', () => onSelect(id));
      box.appendChild(card);
    }
  };

  G.renderLog = function (box, index, state, node, t) {
    const end = G.upperBound(index.events, t);
    const rows = [];
    for (let i = end - 1; i >= 0 && rows.length < 200; i--) {
      const e = index.events[i];
      if (e.kind === 'commit' && e.node === node) rows.push(e);
    }
    if (rows.length === 0) {
      box.innerHTML = '<p class="muted">' + G.esc(node) + ' has committed nothing by this time.</p>';
      return;
    }
    const html = rows.map((e, i) => {
      const op = JSON.stringify(e.op);
      return '<tr data-testid="log-row" data-seq="' + e.seq + '"' + (i === 0 ? ' class="latest"' : '') + '><td>' + e.seq + '</td><td>' + e.epoch + '</td><td>' + G.esc(e.origin) + '</td><td class="op">' + G.esc(op.length > 240 ? op.slice(0, 237) + '…' : op) + '</td><td class="muted">' + G.fmtMs(e.t - index.t0) + '</td></tr>';
    });
    box.innerHTML = '<table class="log" data-testid="log"><tr><th>seq</th><th>epoch</th><th>origin</th><th>operation</th><th>committed at</th></tr>' + html.join('') + '</table>';
  };

  /** The database as a tree: objects fold open (data, groups, nodes open by default), leaves show their JSON. */
  G.renderDb = function (box, index, state, node, openPaths) {
    const found = G.dbOf(index, state, node);
    if (!found) {
      box.innerHTML = '<p class="muted">no committed database on ' + G.esc(node) + ' at this time</p>';
      return;
    }
    const key = node + '@' + found.seq;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const tree = G.el('div', { class: 'tree', 'data-testid': 'db-tree', 'data-seq': found.seq });
    tree.appendChild(G.el('div', { class: 'muted' }, 'as of seq ' + found.seq));
    const walk = (value, path, into) => {
      for (const k of Object.keys(value)) {
        const v = value[k];
        const p = path.concat(k);
        if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) {
          const d = G.el('details', { 'data-path': p.join('.') });
          // the application's data is what one looks for: open it a few levels deep
          if (openPaths.has(p.join('.')) || (p[0] === 'data' && p.length <= 3)) d.open = true;
          d.addEventListener('toggle', () => (d.open ? openPaths.add(p.join('.')) : openPaths.delete(p.join('.'))));
          d.appendChild(G.el('summary', {}, '<span class="k">' + G.esc(k) + '</span> <span class="muted">' + (Array.isArray(v) ? '[' + v.length + ']' : '{' + Object.keys(v).length + '}') + '</span>'));
          walk(v, p, d);
          into.appendChild(d);
        } else {
          into.appendChild(G.el('div', { class: 'leaf', 'data-path': p.join('.') }, '<span class="k">' + G.esc(k) + '</span>: <span class="v">' + G.esc(JSON.stringify(v)) + '</span>'));
        }
      }
    };
    walk(found.db, [], tree);
    box.replaceChildren(tree);
  };

  G.renderGroups = function (box, index, state, node) {
    const found = G.dbOf(index, state, node);
    const groups = found && found.db.groups ? found.db.groups : {};
    const names = Object.keys(groups).sort(G.compareIds);
    if (names.length === 0) {
      box.innerHTML = '<p class="muted">no process group</p>';
      return;
    }
    box.innerHTML =
      '<table class="log" data-testid="groups"><tr><th>group</th><th>view</th><th>members</th></tr>' +
      names
        .map((g) => {
          const row = groups[g];
          const members = Object.keys(row.members || {}).sort(G.compareIds);
          return '<tr data-testid="group-row" data-group="' + G.esc(g) + '"><td>' + G.esc(g) + '</td><td>' + G.esc(row.view) + '</td><td>' + members.map(G.esc).join(', ') + '</td></tr>';
        })
        .join('') +
      '</table>';
  };
})((window.GLUP = window.GLUP || {}));
