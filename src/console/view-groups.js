// view-groups.js -- the acting device's groups, and one group as the
// operator sees it: participants with roles and names, invitations (with
// the person's "accept"), the invite link, recent messages, and meters for
// the rate window, today's additions and capacity.
import { call } from './api.js';
import { announce, copyButton, duration, field, h, problem, table, when } from './dom.js';

const PER_PAGE = 25;

export async function render(main, ctx, parts, query) {
  if (parts[0]) return renderGroup(main, ctx, parts[0], query);
  return renderList(main, ctx, query);
}

// Every group (GET /admin/groups), whoever its participants are, searched
// by subject or id.
async function renderList(main, ctx, query) {
  const page = Math.max(1, Number(query.get('page')) || 1);
  const search = query.get('search') ?? '';
  main.append(h('h1', null, 'Groups'));
  const input = h('input', { id: 'groups-search', type: 'search', value: search, autocomplete: 'off', spellcheck: 'false' });
  const find = (ev) => {
    ev.preventDefault();
    location.hash = `#/groups?search=${encodeURIComponent(input.value.trim())}`;
  };
  main.append(h('form', { class: 'row', role: 'search', onsubmit: find }, field('Search by subject or group ID', input), h('button', { type: 'submit' }, 'Search')));
  const q = new URLSearchParams({ search, page: String(page), per_page: String(PER_PAGE) });
  const r = await call('GET', `/admin/groups?${q}`);
  if (!r.ok) {
    main.append(h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const rows = r.body.data.map((g) => [
    h('a', { href: `#/groups/${g.id}` }, g.subject),
    g.id,
    h('span', { class: 'num' }, String(g.participant_count)),
    g.description ?? '',
    when(g.created_at),
  ]);
  main.append(
    rows.length === 0
      ? h('p', { role: 'status' }, search ? `No group matches ${search}.` : 'No group exists yet: a device creates one with POST /groups.')
      : table(search ? `Groups matching ${search}` : 'All groups', ['Subject', 'ID', 'Participants', 'Description', 'Created'], rows),
    pager(r.body.meta, (p) => `#/groups?${new URLSearchParams({ search, page: String(p) })}`) ?? '',
  );
  if (ctx.acting) main.append(h('p', { class: 'hint' }, `"Add members" adds as device ${ctx.acting}, which must be an admin of the group.`));
}

export function pager(meta, href) {
  if (!meta || meta.total_pages <= 1) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    meta.page > 1 ? h('a', { href: href(meta.page - 1) }, 'Previous page') : null,
    h('span', null, `Page ${meta.page} of ${meta.total_pages} (${meta.total} in all)`),
    meta.page < meta.total_pages ? h('a', { href: href(meta.page + 1) }, 'Next page') : null,
  );
}

function badge(text) {
  return h('span', { class: `badge ${text}` }, text);
}

// Meters and their countdowns; returns a function that updates the text
// every second from the server's clock.
function limitsPanel(lim, ctx) {
  const rate = h('meter', { id: 'm-rate', min: 0, max: lim.rate.limit, value: lim.rate.used });
  const daily = h('meter', { id: 'm-daily', min: 0, max: lim.daily.limit, value: lim.daily.used });
  const cap = h('meter', { id: 'm-cap', min: 0, max: lim.capacity.limit, value: lim.capacity.used });
  const rateText = h('p', { id: 'rate-text' });
  const dailyText = h('p', { id: 'daily-text' });
  const capText = h('p', null, `${lim.capacity.used} of ${lim.capacity.limit} participants`);
  const next = Date.parse(lim.rate.next_slot_at);
  const leaves = lim.rate.oldest_leaves_at ? Date.parse(lim.rate.oldest_leaves_at) : 0;
  const resets = Date.parse(lim.daily.resets_at);
  const update = () => {
    const now = ctx.clock.now();
    const wait = (next - now) / 1000;
    // The snapshot ages: once the oldest request has left, at least one
    // fewer is counted (reload for the exact figure).
    let used = lim.rate.used;
    if (leaves && now >= leaves) used = Math.max(0, used - 1);
    rate.value = used;
    rateText.textContent =
      `${used} of ${lim.rate.limit} add requests in the last ${lim.rate.window_seconds} s; ` +
      (wait > 0 ? `next slot in ${duration(wait)}` : 'a slot is free now') +
      (leaves && now < leaves ? `; the oldest leaves the window in ${duration((leaves - now) / 1000)}` : '');
    dailyText.textContent =
      `${lim.daily.used} of ${lim.daily.limit} additions today (UTC); ` +
      `the count starts again in ${duration((resets - now) / 1000)}`;
  };
  update();
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'limits-title' },
    h('h2', { id: 'limits-title' }, 'Limits in use'),
    h(
      'div',
      { class: 'meters' },
      h('div', { class: 'meter' }, h('label', { for: 'm-rate' }, 'Rate window'), rate, rateText),
      h('div', { class: 'meter' }, h('label', { for: 'm-daily' }, "Today's additions"), daily, dailyText),
      h('div', { class: 'meter' }, h('label', { for: 'm-cap' }, 'Capacity'), cap, capText),
    ),
    h('p', { class: 'hint' }, `Add requests carry at most ${lim.batch.limit} numbers each.`),
  );
  return { panel, update };
}

async function renderGroup(main, ctx, id, query) {
  const r = await call('GET', `/admin/groups/${encodeURIComponent(id)}`);
  if (!r.ok) {
    main.append(h('h1', null, `Group ${id}`), h('p', { class: 'error', role: 'alert' }, problem(r)));
    return;
  }
  const g = r.body.data;
  ctx.clock.learn(g.now);
  const invPage = Math.max(1, Number(query.get('invitations')) || 1);
  const { panel, update } = limitsPanel(g.limits, ctx);
  const timer = setInterval(update, 1000);
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

  main.append(
    h('p', null, h('a', { href: '#/groups' }, '← All groups')),
    h('h1', null, g.subject),
    h(
      'section',
      { class: 'panel', 'aria-label': 'About the group' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, 'Group ID'),
        h('dd', null, g.id),
        h('dt', null, 'JID'),
        h('dd', { class: 'mono' }, g.jid),
        h('dt', null, 'Description'),
        h('dd', null, g.description ?? '—'),
        h('dt', null, 'Created'),
        h('dd', null, when(g.created_at)),
        h('dt', null, 'Invite link'),
        h('dd', { class: 'secret' }, h('span', { class: 'mono', id: 'invite-link' }, g.invite_link), copyButton(g.invite_link, 'Copy link')),
      ),
      h('p', null, h('a', { href: `#/add?group=${g.id}` }, `Add members to ${g.subject}`)),
    ),
    panel,
  );

  // A person's action on this group, as a button in their row.
  const personAction = (phone, what, label, said, cls) =>
    h(
      'button',
      {
        type: 'button',
        class: cls,
        'aria-label': `${phone} ${said}`,
        onclick: async () => {
          const res = await call('POST', `/admin/directory/${phone}/${what}`, { body: { group_id: Number(g.id) } });
          announce(res.ok ? `${phone}: ${res.body.message}` : problem(res), res.ok ? 'info' : 'error');
          if (res.ok) reload();
        },
      },
      label,
    );
  const leave = (phone) => personAction(phone, 'leave', 'Leaves', 'leaves the group', 'small danger');
  main.append(
    h('h2', { id: 'participants' }, `Participants (${g.participant_count})`),
    table(
      `Participants of ${g.subject}`,
      ['Phone', 'Name', 'Role', 'Joined', 'Person action'],
      g.participants.map((p) => [
        h('span', { class: 'mono' }, p.phone),
        p.name ?? '—',
        badge(p.role),
        when(p.joined_at),
        p.role === 'superadmin' ? '' : leave(p.phone),
      ]),
      { captionHidden: true },
    ),
  );

  const inv = await call('GET', `/admin/groups/${g.id}/invitations?page=${invPage}&per_page=${PER_PAGE}`);
  main.append(h('h2', { id: 'invitations' }, `Invitations (${g.invitation_count})`));
  if (!inv.ok) main.append(h('p', { class: 'error' }, problem(inv)));
  else if (inv.body.data.length === 0) main.append(h('p', { class: 'muted' }, 'No private invitation yet: they come from adds that meet privacy settings.'));
  else {
    const accept = (phone) => personAction(phone, 'accept', 'Accepts', 'accepts the invitation', 'small');
    main.append(
      table(
        `Invitations to ${g.subject}`,
        ['Phone', 'Status', 'Created', 'Expires', 'Code', 'Person action'],
        inv.body.data.map((i) => [
          h('span', { class: 'mono' }, i.phone),
          badge(i.status),
          when(i.created_at),
          when(i.expires_at),
          h('span', { class: 'mono' }, i.code),
          i.status === 'pending' ? accept(i.phone) : '',
        ]),
        { captionHidden: true },
      ),
      pager(inv.body.meta, (p) => `#/groups/${g.id}?invitations=${p}`) ?? '',
    );
  }

  main.append(h('h2', { id: 'messages' }, 'Recent messages'));
  if (g.recent_messages.length === 0) main.append(h('p', { class: 'muted' }, 'No message has been sent to this group.'));
  else {
    main.append(
      h(
        'ul',
        { class: 'messages' },
        g.recent_messages.map((m) =>
          h(
            'li',
            null,
            h('strong', null, m.sender.name ?? m.sender.phone),
            ` · ${when(m.timestamp)} · ${m.type}`,
            h('div', null, m.content ?? m.image_url ?? m.file_url ?? '(no text)'),
          ),
        ),
      ),
      h('p', { class: 'hint' }, `The last ${g.recent_messages.length} messages, newest first.`),
    );
  }
  return () => clearInterval(timer);
}
