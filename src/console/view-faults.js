// view-faults.js -- faults armed on purpose (POST /admin/faults), so that
// a client's retry paths can be tried against this server: a number that
// answers TEMPORARY_ERROR or NETWORK_ERROR for its next adds, a route that
// answers 503, answers held back, answers lost after the commit. The list
// refreshes itself while the page is open: other clients use faults up.
import { call } from './api.js';
import { announce, clear, field, h, problem, table, when } from './dom.js';
import { CLEAN_SENTENCE, phoneClean } from './phone.js';

const REFRESH_MS = 2000;

// The group API's routes, as /openapi.json names them ("POST /groups/{gid}/members/add").
async function groupRoutes() {
  const r = await call('GET', '/openapi.json', { auth: 'none' });
  if (!r.ok) return ['POST /groups/{gid}/members/add'];
  const out = [];
  for (const [path, ops] of Object.entries(r.body.paths)) {
    if (!path.startsWith('/groups')) continue;
    for (const method of Object.keys(ops)) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort((a, b) => (a.includes('/members/add') ? -1 : b.includes('/members/add') ? 1 : a.localeCompare(b)));
}

function target(f) {
  if (f.type === 'number') return h('span', { class: 'mono' }, f.phone);
  return f.route ? h('span', { class: 'mono' }, f.route) : 'every group route';
}

function detail(f) {
  if (f.type === 'number') return f.error_code;
  if (f.type === 'unavailable') return `503, Retry-After ${f.retry_after} s`;
  if (f.type === 'latency') return `${f.delay_ms} ms late`;
  return 'answer lost after the commit';
}

export async function render(main, ctx) {
  main.append(h('h1', null, 'Faults'));
  if (!ctx.clock.sandbox) {
    main.append(h('p', null, 'This server was started without --sandbox: it has no faults to arm.'));
    return;
  }
  main.append(
    h('p', { class: 'muted' }, 'Make this server misbehave on purpose, the ways a real one does now and then, to see a client retry. Each fault is used up one request (or one add of the number) at a time.'),
  );
  const listOut = h('div', { id: 'faults-list', 'aria-live': 'polite' });
  const refresh = async () => {
    const r = await call('GET', '/admin/faults');
    if (!r.ok) return clear(listOut, h('p', { class: 'error', role: 'alert' }, problem(r)));
    const disarm = (f) =>
      h(
        'button',
        {
          type: 'button',
          class: 'small danger',
          'aria-label': `Disarm fault ${f.id}`,
          onclick: async () => {
            const d = await call('DELETE', `/admin/faults/${f.id}`);
            announce(d.ok ? `Fault ${f.id} disarmed` : problem(d), d.ok ? 'info' : 'error');
            refresh();
          },
        },
        'Disarm',
      );
    const rows = r.body.data.map((f) => [f.id, f.type, target(f), detail(f), h('span', { class: 'num' }, String(f.remaining)), when(f.armed_at), disarm(f)]);
    clear(
      listOut,
      rows.length === 0
        ? h('p', { role: 'status' }, 'No fault is armed: the server behaves.')
        : [
            table('Armed faults', ['ID', 'Type', 'On', 'What happens', 'Uses left', 'Armed', ''], rows, { class: 'wide' }),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  const d = await call('DELETE', '/admin/faults');
                  announce(d.ok ? `${d.body.data.disarmed} faults disarmed` : problem(d), d.ok ? 'info' : 'error');
                  refresh();
                },
              },
              'Disarm all',
            ),
          ],
    );
  };
  const arm = async (body, out) => {
    const r = await call('POST', '/admin/faults', { body });
    if (!r.ok) return clear(out, h('p', { class: 'error', role: 'alert' }, problem(r)));
    clear(out, h('p', { class: 'ok', role: 'status' }, `Fault ${r.body.data.id} armed.`));
    announce(`Fault ${r.body.data.id} armed`);
    refresh();
  };

  // A number that fails.
  const phone = h('input', { id: 'fault-phone', inputmode: 'tel', autocomplete: 'off' });
  const code = h('select', { id: 'fault-code' }, h('option', { value: 'TEMPORARY_ERROR' }, 'TEMPORARY_ERROR'), h('option', { value: 'NETWORK_ERROR' }, 'NETWORK_ERROR'));
  const numTimes = h('input', { id: 'fault-number-times', type: 'number', min: 1, max: 1000000, value: 1, size: 6 });
  const numOut = h('div', { 'aria-live': 'polite' });
  const armNumber = (ev) => {
    ev.preventDefault();
    const c = phoneClean(phone.value, '');
    if (c.status !== 'OK') return clear(numOut, h('p', { class: 'error', role: 'alert' }, `${phone.value}: ${CLEAN_SENTENCE[c.status]}`));
    arm({ type: 'number', phone: c.number, error_code: code.value, times: Number(numTimes.value) }, numOut);
  };

  // A route that fails.
  const routes = await groupRoutes();
  const kind = h(
    'select',
    { id: 'fault-type' },
    h('option', { value: 'unavailable' }, 'answers 503 with Retry-After'),
    h('option', { value: 'latency' }, 'answers late'),
    h('option', { value: 'drop' }, 'loses the answer after the commit'),
  );
  const route = h('select', { id: 'fault-route' }, routes.map((r) => h('option', { value: r }, r)));
  const every = h('option', { value: '' }, 'every group route');
  const retryAfter = h('input', { id: 'fault-retry-after', type: 'number', min: 1, max: 3600, value: 5, size: 5 });
  const delay = h('input', { id: 'fault-delay', type: 'number', min: 1, max: 60000, value: 2000, size: 6 });
  const routeTimes = h('input', { id: 'fault-route-times', type: 'number', min: 1, max: 1000000, value: 1, size: 6 });
  const retryField = field('Retry-After (seconds)', retryAfter);
  const delayField = field('Delay (milliseconds)', delay);
  const routeOut = h('div', { 'aria-live': 'polite' });
  const showFields = () => {
    retryField.hidden = kind.value !== 'unavailable';
    delayField.hidden = kind.value !== 'latency';
    if (kind.value === 'latency') route.prepend(every);
    else every.remove();
  };
  kind.addEventListener('change', showFields);
  showFields();
  const armRoute = (ev) => {
    ev.preventDefault();
    const body = { type: kind.value, times: Number(routeTimes.value) };
    if (route.value) body.route = route.value;
    if (kind.value === 'unavailable') body.retry_after = Number(retryAfter.value);
    if (kind.value === 'latency') body.delay_ms = Number(delay.value);
    arm(body, routeOut);
  };

  main.append(
    h('section', { class: 'panel', 'aria-labelledby': 'faults-armed-title' }, h('h2', { id: 'faults-armed-title' }, 'Armed'), listOut),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'fault-number-title' },
        h('h2', { id: 'fault-number-title' }, 'A number fails'),
        h('p', { class: 'hint' }, 'Its next adds fail for it alone with this code; the reference page\'s example client, and groupie, retry both.'),
        h('form', { onsubmit: armNumber }, field('Number', phone), field('Error code', code), field('For how many adds', numTimes), h('button', { type: 'submit' }, 'Arm')),
        numOut,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'fault-route-title' },
        h('h2', { id: 'fault-route-title' }, 'A route misbehaves'),
        h('form', { onsubmit: armRoute }, field('What happens', kind), field('Route', route), retryField, delayField, field('For how many requests', routeTimes), h('button', { type: 'submit' }, 'Arm')),
        routeOut,
      ),
    ),
    h('p', { class: 'hint' }, 'Faults live in this server process only, and a reset disarms them. Late answers hold a server thread each: keep delays modest.'),
  );
  await refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
