// view-webhooks.js -- the acting device's webhook endpoints (GET, POST,
// DELETE /api/webhooks, rotate-secret) and one endpoint's deliveries, with
// a replay button on each (POST .../deliveries/{id}/retry). A secret is
// shown once, when the server hands it out (creation, rotation).
import { asDevice } from './api.js';
import { announce, clear, copyButton, field, h, problem, table, when } from './dom.js';
import { pager } from './view-groups.js';

const PER_PAGE = 25;
const STATUSES = ['pending', 'delivered', 'failed'];

function reload() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

// The secret the server just handed out, kept on the page until it moves.
function secretNote(out, url, secret) {
  clear(
    out,
    h(
      'div',
      { class: 'secret-note', role: 'status' },
      h('p', null, `Signing secret for ${url} (shown this once: keep it with the application that receives):`),
      h('p', null, h('code', { class: 'mono', id: 'webhook-secret' }, secret), ' ', copyButton(secret, 'Copy secret')),
    ),
  );
}

async function renderList(main, ctx) {
  const phone = ctx.acting;
  const secretOut = h('div', { id: 'webhook-secret-out' });
  const url = h('input', { id: 'wh-url', type: 'url', size: 40, placeholder: 'https://example.com/hooks', autocomplete: 'off' });
  const events = h('input', { id: 'wh-events', size: 40, placeholder: 'group.members.added, group.member.left', autocomplete: 'off' });
  const create = async (ev) => {
    ev.preventDefault();
    const body = { url: url.value.trim() };
    const list = events.value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length > 0) body.events = list;
    const r = await asDevice(phone, 'POST', '/api/webhooks', { body });
    if (!r.ok) return announce(problem(r), 'error');
    announce(`Endpoint ${r.body.data.id} created`);
    url.value = '';
    events.value = '';
    await refresh();
    secretNote(secretOut, r.body.data.url, r.body.data.secret);
  };
  main.append(
    h('p', { class: 'muted' }, `Endpoints of device ${phone}: every change to its groups is POSTed to them, signed (docs/WEBHOOKS.md).`),
    h(
      'form',
      { class: 'row', 'aria-label': 'New endpoint', onsubmit: create },
      field('URL', url),
      field('Event types', events, 'Comma-separated; empty for every type'),
      h('button', { type: 'submit' }, 'Add endpoint'),
    ),
    secretOut,
  );
  const listOut = h('div', { id: 'webhooks-list' });
  main.append(listOut);
  const refresh = async () => {
    const r = await asDevice(phone, 'GET', '/api/webhooks?per_page=200');
    if (!r.ok) return clear(listOut, h('p', { class: 'error', role: 'alert' }, problem(r)));
    const action = (label, aria, cls, fn) => h('button', { type: 'button', class: `small ${cls}`, 'aria-label': aria, onclick: fn }, label);
    const rows = r.body.data.map((e) => [
      h('a', { href: `#/webhooks/${e.id}` }, e.id),
      h('span', { class: 'mono' }, e.url),
      e.events === null ? 'every type' : e.events.join(', '),
      h('span', { class: `badge ${e.enabled ? 'enabled' : 'disabled'}` }, e.enabled ? 'enabled' : 'disabled (410)'),
      when(e.created_at),
      h(
        'span',
        null,
        action('Rotate secret', `Rotate the secret of endpoint ${e.id}`, '', async () => {
          const x = await asDevice(phone, 'POST', `/api/webhooks/${e.id}/rotate-secret`);
          if (!x.ok) return announce(problem(x), 'error');
          announce(`Endpoint ${e.id}: new secret; the old one signs for 24 hours more`);
          secretNote(secretOut, e.url, x.body.data.secret);
        }),
        ' ',
        action('Delete', `Delete endpoint ${e.id}`, 'danger', async () => {
          const x = await asDevice(phone, 'DELETE', `/api/webhooks/${e.id}`);
          announce(x.ok ? `Endpoint ${e.id} deleted` : problem(x), x.ok ? 'info' : 'error');
          refresh();
        }),
      ),
    ]);
    clear(
      listOut,
      rows.length === 0
        ? h('p', { role: 'status' }, 'This device has no webhook endpoint.')
        : table('Endpoints', ['ID', 'URL', 'Events', 'State', 'Created', ''], rows, { class: 'wide' }),
    );
  };
  await refresh();
}

async function renderDeliveries(main, ctx, id, query) {
  const phone = ctx.acting;
  const page = Math.max(1, Number(query.get('page')) || 1);
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
  main.append(h('p', null, h('a', { href: '#/webhooks' }, 'All endpoints')));
  const e = await asDevice(phone, 'GET', `/api/webhooks/${encodeURIComponent(id)}`);
  if (!e.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(e)));
    return;
  }
  main.append(h('h2', null, `Deliveries to ${e.body.data.url}`));
  const statusSel = h(
    'select',
    { id: 'wh-status' },
    h('option', { value: '' }, 'any'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  main.append(
    h(
      'form',
      {
        class: 'row',
        role: 'search',
        onsubmit: (ev) => {
          ev.preventDefault();
          location.hash = `#/webhooks/${id}${statusSel.value ? `?status=${statusSel.value}` : ''}`;
        },
      },
      field('Status', statusSel),
      h('button', { type: 'submit' }, 'Show'),
    ),
  );
  const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (status) q.set('status', status);
  const r = await asDevice(phone, 'GET', `/api/webhooks/${encodeURIComponent(id)}/deliveries?${q}`);
  if (!r.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const replay = (d) =>
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        'aria-label': `Replay delivery ${d.id} (${d.type})`,
        onclick: async () => {
          const x = await asDevice(phone, 'POST', `/api/webhooks/${encodeURIComponent(id)}/deliveries/${d.id}/retry`);
          announce(x.ok ? `Delivery ${d.id} queued again` : problem(x), x.ok ? 'info' : 'error');
          if (x.ok) reload();
        },
      },
      'Replay',
    );
  const rows = r.body.data.map((d) => [
    d.id,
    h('span', { class: 'mono' }, d.event_id),
    d.type,
    h('span', { class: `badge ${d.status}` }, d.status),
    h('span', { class: 'num' }, String(d.attempts)),
    d.last_status === null ? '' : String(d.last_status),
    d.last_error ?? '',
    d.next_attempt_at ? when(d.next_attempt_at) : '',
    when(d.created_at),
    replay(d),
  ]);
  main.append(
    rows.length === 0
      ? h('p', { role: 'status' }, 'No delivery matches.')
      : table('Deliveries', ['ID', 'Event', 'Type', 'Status', 'Attempts', 'Last answer', 'Last error', 'Next attempt', 'Created', ''], rows, {
          class: 'wide',
        }),
    pager(r.body.meta, (p) => {
      q.set('page', String(p));
      q.delete('per_page');
      return `#/webhooks/${id}?${q}`;
    }) ?? '',
  );
}

export async function render(main, ctx, parts, query) {
  main.append(h('h1', null, 'Webhooks'));
  if (!ctx.acting) {
    main.append(h('p', null, 'Create a device first: endpoints belong to a device.'));
    return;
  }
  if (parts[0]) await renderDeliveries(main, ctx, parts[0], query);
  else await renderList(main, ctx);
}
