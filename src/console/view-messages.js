// view-messages.js -- every message sent to a group (GET /admin/messages),
// the newest first, for one group or all. groupie stores messages and
// delivers none: this is what a client sent.
import { call } from './api.js';
import { field, h, problem, table, when } from './dom.js';
import { pager } from './view-groups.js';

const PER_PAGE = 25;

export async function render(main, ctx, parts, query) {
  const page = Math.max(1, Number(query.get('page')) || 1);
  const group = query.get('group_id') ?? '';
  main.append(h('h1', null, 'Messages'));
  const groupIn = h('input', { id: 'msg-group', inputmode: 'numeric', size: 6, value: group, autocomplete: 'off' });
  const filter = (ev) => {
    ev.preventDefault();
    const g = groupIn.value.trim();
    location.hash = g ? `#/messages?group_id=${encodeURIComponent(g)}` : '#/messages';
  };
  main.append(h('form', { class: 'row', role: 'search', onsubmit: filter }, field('Group ID (empty: every group)', groupIn), h('button', { type: 'submit' }, 'Show')));
  const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (group) q.set('group_id', group);
  const r = await call('GET', `/admin/messages?${q}`);
  if (!r.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const rows = r.body.data.map((m) => [
    h('a', { href: `#/groups/${m.group_id}` }, m.group_subject),
    when(m.timestamp),
    m.sender.name ? `${m.sender.name} (${m.sender.phone})` : h('span', { class: 'mono' }, m.sender.phone),
    m.type,
    m.content ?? m.image_url ?? m.file_url ?? '(no text)',
  ]);
  main.append(
    rows.length === 0
      ? h('p', { role: 'status' }, 'No message has been sent yet: a device sends one with POST /groups/{id}/send.')
      : table('Messages', ['Group', 'Sent', 'Sender', 'Type', 'Content'], rows, { class: 'wide' }),
    pager(r.body.meta, (p) => {
      q.set('page', String(p));
      q.delete('per_page');
      return `#/messages?${q}`;
    }) ?? '',
  );
}
