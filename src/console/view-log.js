// view-log.js -- the live request log: every answered request, newest
// first, polled once a second from GET /admin/requests (the server keeps the
// last few hundred in memory, bodies cut at 4 KiB and secrets masked).
import { call } from './api.js';
import { clear, field, h, problem } from './dom.js';

const KEPT = 500;
const POLL_MS = 1000;

function pretty(body) {
  if (!body.body) return '(empty)';
  try {
    return JSON.stringify(JSON.parse(body.body), null, 2);
  } catch {
    return body.body;
  }
}

export async function render(main) {
  main.append(h('h1', null, 'Request log'));
  const entries = [];
  let next = 0;
  let timer = null;
  const filter = h('input', { id: 'log-filter', type: 'search', placeholder: 'path, device or status' });
  const pause = h('input', { id: 'log-pause', type: 'checkbox' });
  const hideOps = h('input', { id: 'log-hide-ops', type: 'checkbox', checked: true });
  const info = h('p', { class: 'hint', id: 'log-info' });
  const tbody = h('tbody', { id: 'log-rows' });
  const open = new Set(); // the seqs whose bodies are shown, kept across redraws
  const redraw = () => {
    const f = filter.value.trim().toLowerCase();
    const shown = entries.filter((e) => {
      if (hideOps.checked && e.device === 'operator' && e.method === 'GET') return false;
      if (!f) return true;
      return `${e.method} ${e.path} ${e.status} ${e.device ?? ''}`.toLowerCase().includes(f);
    });
    clear(tbody, shown.map((e) => row(e, open)));
  };
  const poll = async () => {
    if (!pause.checked) {
      const r = await call('GET', `/admin/requests?after=${next}&limit=200`);
      if (r.ok) {
        next = r.body.meta.next;
        if (r.body.data.length > 0) {
          entries.unshift(...r.body.data.reverse());
          entries.length = Math.min(entries.length, KEPT);
          redraw();
        }
        info.textContent = `The server keeps the last ${r.body.meta.capacity} requests; updated every second.${r.body.meta.dropped ? ` ${r.body.meta.dropped} went by unseen.` : ''}`;
      } else info.textContent = problem(r);
    }
    timer = setTimeout(poll, POLL_MS);
  };
  filter.addEventListener('input', redraw);
  hideOps.addEventListener('change', redraw);
  main.append(
    h(
      'div',
      { class: 'row' },
      field('Filter', filter),
      h('div', { class: 'check' }, pause, h('label', { for: 'log-pause' }, 'Pause')),
      h('div', { class: 'check' }, hideOps, h('label', { for: 'log-hide-ops' }, "Hide the operator's reads (the console's own)")),
    ),
    info,
    h(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Requests' },
      h(
        'table',
        { class: 'wide' },
        h('caption', { class: 'visually-hidden' }, 'Requests, newest first'),
        h('thead', null, h('tr', null, ['Time (UTC)', 'Method', 'Path', 'Status', 'Duration', 'Device', 'Bodies'].map((x) => h('th', { scope: 'col' }, x)))),
        tbody,
      ),
    ),
  );
  await poll();
  return () => clearTimeout(timer);
}

function row(e, open) {
  const details = h('tr', { hidden: !open.has(e.seq) }, h('td', { colspan: 7 }, h('div', { class: 'grid' }, h('div', null, h('h3', null, `Request (${e.request.size} bytes${e.request.truncated ? ', cut' : ''})`), h('pre', null, pretty(e.request))), h('div', null, h('h3', null, `Response (${e.response.size} bytes${e.response.truncated ? ', cut' : ''})`), h('pre', null, pretty(e.response))))));
  const toggle = h('button', { type: 'button', class: 'small', 'aria-expanded': String(open.has(e.seq)), 'aria-label': `Bodies of request ${e.seq}` }, open.has(e.seq) ? 'Hide' : 'Show');
  toggle.addEventListener('click', () => {
    details.hidden = !details.hidden;
    if (details.hidden) open.delete(e.seq);
    else open.add(e.seq);
    toggle.setAttribute('aria-expanded', String(!details.hidden));
    toggle.textContent = details.hidden ? 'Show' : 'Hide';
  });
  const tr = h(
    'tr',
    { 'data-seq': e.seq },
    h('td', { class: 'mono' }, e.at.slice(11, 19)),
    h('td', null, e.method),
    h('td', { class: 'mono' }, e.path),
    h('td', null, h('span', { class: `badge s${String(e.status)[0]}` }, e.status)),
    h('td', { class: 'num' }, `${(e.duration_us / 1000).toFixed(1)} ms`),
    h('td', { class: 'mono' }, e.device ?? '—'),
    h('td', null, toggle),
  );
  return [tr, details];
}
