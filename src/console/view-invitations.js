// view-invitations.js -- every private invitation (GET /admin/invitations),
// whichever group it is to, filtered by status and group, with the
// person's "accepts" on the pending ones.
import { call } from './api.js';
import { announce, field, h, problem, table, when } from './dom.js';
import { pager } from './view-groups.js';

const PER_PAGE = 25;
const STATUSES = ['pending', 'accepted', 'revoked', 'expired'];

export async function render(main, ctx, parts, query) {
  const page = Math.max(1, Number(query.get('page')) || 1);
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const group = query.get('group_id') ?? '';
  main.append(h('h1', null, 'Invitations'));
  const statusSel = h(
    'select',
    { id: 'inv-status' },
    h('option', { value: '' }, 'any'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const groupIn = h('input', { id: 'inv-group', inputmode: 'numeric', size: 6, value: group, autocomplete: 'off' });
  const filter = (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (statusSel.value) q.set('status', statusSel.value);
    if (groupIn.value.trim()) q.set('group_id', groupIn.value.trim());
    location.hash = `#/invitations?${q}`;
  };
  main.append(
    h('p', { class: 'muted' }, 'Private invitations are made by adds that meet privacy settings; expired ones are pending past their expiry by the server\'s clock.'),
    h('form', { class: 'row', role: 'search', onsubmit: filter }, field('Status', statusSel), field('Group ID', groupIn), h('button', { type: 'submit' }, 'Show')),
  );
  const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (status) q.set('status', status);
  if (group) q.set('group_id', group);
  const r = await call('GET', `/admin/invitations?${q}`);
  if (!r.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const accept = (i) =>
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        'aria-label': `${i.phone} accepts the invitation to ${i.group_subject}`,
        onclick: async () => {
          const res = await call('POST', `/admin/directory/${i.phone}/accept`, { body: { group_id: Number(i.group_id) } });
          announce(res.ok ? `${i.phone}: ${res.body.message}` : problem(res), res.ok ? 'info' : 'error');
          if (res.ok) reload();
        },
      },
      'Accepts',
    );
  const rows = r.body.data.map((i) => [
    h('a', { href: `#/groups/${i.group_id}` }, i.group_subject),
    h('span', { class: 'mono' }, i.phone),
    h('span', { class: `badge ${i.status}` }, i.status),
    when(i.created_at),
    when(i.expires_at),
    h('span', { class: 'mono' }, i.code),
    i.status === 'pending' ? accept(i) : '',
  ]);
  main.append(
    rows.length === 0
      ? h('p', { role: 'status' }, 'No invitation matches.')
      : table('Invitations', ['Group', 'Phone', 'Status', 'Created', 'Expires', 'Code', 'Person action'], rows, { class: 'wide' }),
    pager(r.body.meta, (p) => {
      q.set('page', String(p));
      q.delete('per_page');
      return `#/invitations?${q}`;
    }) ?? '',
  );
}
