// console.test.mjs -- the web console in a real browser: Debian's
// chromium, headless, driven by playwright-core (no browser download),
// against one real groupied started here with --ephemeral --demo --sandbox.
// Run by tests/run.sh with node's test runner; its TAP summary is counted
// with the other suites'.
//
// The tests run in order on one page, as a person would use the console:
// log in, see the demo group, add the reference page's four numbers, watch
// an invitation expire as the sandbox clock moves, import people and add a
// dropped CSV file paced to the group's limits, read the request log, log
// out. GROUPIE_SCREENSHOTS=DIR also saves screenshots at 1280 and 390 px
// (make console-screenshots writes docs/console/ this way).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const GROUPIED = process.env.GROUPIED ?? join(root, 'build/san/groupied');
const CHROMIUM = process.env.GROUPIE_CHROMIUM ?? '/usr/bin/chromium';
const TMP = process.env.GROUPIE_TEST_TMP ?? tmpdir();
const SHOTS = process.env.GROUPIE_SCREENSHOTS ? resolve(root, process.env.GROUPIE_SCREENSHOTS) : null;
const KEY = 'console-test-operator-key-0123456789';
const TOKEN = 'console-test-device-token-0123456789';
// The flags a closed network and a root user need (see docs and
// .library notes): no sandbox as root, no background connections.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let server;
let base;
let context;
let page;
const pageErrors = [];

function startServer() {
  return new Promise((ok, fail) => {
    // A small rate window (2 requests per 3 s) so the CSV run must wait
    // for it, as it would over minutes with the real limits.
    const args = ['--ephemeral', '--demo', '--sandbox', '--listen', '127.0.0.1:0', '--admin-key', KEY,
      '--demo-token', TOKEN, '--rate-limit', '2', '--rate-window', '3'];
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('GROUPIE_') && !k.startsWith('GROUPIE_TEST')) delete env[k];
    const p = spawn(GROUPIED, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => fail(new Error(`groupied did not start:\n${log}`)), 30000);
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m && !base) {
        base = m[1];
        clearTimeout(timer);
        ok(p);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => {
      p.exited = code;
      p.log = log;
      if (!base) fail(new Error(`groupied exited with ${code}:\n${log}`));
    });
    p.output = () => log;
  });
}

async function api(method, path, body, token = KEY) {
  const r = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function shot(name, widths = [1280, 390]) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  for (const w of widths) {
    await page.setViewportSize({ width: w, height: 900 });
    await page.screenshot({ path: join(SHOTS, `${name}-${w}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

// A fresh load of a section (the tab's sessionStorage keeps the login).
async function go(hash) {
  await page.goto('about:blank');
  await page.goto(`${base}/console${hash}`);
  await page.locator('main h1').first().waitFor();
}

before(async () => {
  server = await startServer();
  const dir = mkdtempSync(join(TMP, 'chromium-'));
  context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: false,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await context?.close();
  if (server && server.exited === undefined) {
    const done = new Promise((ok) => server.on('exit', ok));
    server.kill('SIGTERM');
    await done;
  }
  if (server && server.exited !== 0) throw new Error(`groupied exited with ${server.exited}:\n${server.output()}`);
  if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(server.output())) throw new Error(`sanitizer report:\n${server.output()}`);
});

test('the console is served with a strict Content-Security-Policy, and / leads to it', async () => {
  const r = await fetch(`${base}/`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('location'), '/console');
  const c = await fetch(`${base}/console`);
  assert.equal(c.status, 200);
  const csp = c.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /require-trusted-types-for 'script'/);
  assert.equal(c.headers.get('set-cookie'), null);
  const html = await c.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
  assert.doesNotMatch(html, /\sstyle=|<style/, 'an inline style');
  assert.doesNotMatch(html, /https?:\/\//, 'a link to another origin');
});

test('log in with the operator key (a wrong one is refused), and see the demo group', async () => {
  await page.goto(`${base}/`);
  await page.getByLabel('Operator key').fill('not-the-key');
  await page.getByRole('button', { name: 'Log in' }).click();
  await assert.doesNotReject(page.getByText("That is not this server's operator key").waitFor());
  await page.getByLabel('Operator key').fill(KEY);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('groupie.operatorKey')), KEY);
  await page.getByRole('link', { name: 'Project Team' }).click();
  await page.getByRole('heading', { name: 'Project Team', level: 1 }).waitFor();
  const participants = page.getByRole('region', { name: 'Participants of Project Team' });
  await participants.getByText('Mike Wilson').waitFor();
  assert.equal(await participants.locator('tbody tr').count(), 10);
  assert.match(await page.locator('#rate-text').textContent(), /^0 of 2 add requests in the last 3 s/);
  assert.match(await page.locator('#daily-text').textContent(), /^0 of 500 additions today/);
});

test("add the reference page's four numbers: one added, three failed with their codes", async () => {
  await page.getByRole('link', { name: 'Add members to Project Team' }).click();
  await page.getByLabel(/^Numbers, one per line/).fill('6287830605729\n6281234567890\n6289876543210\n6285544332211');
  await page.getByRole('button', { name: 'Check the numbers' }).click();
  await page.getByText('4 rows: 4 to send, 0 invalid (never sent), 0 duplicates.').waitFor();
  await page.getByRole('button', { name: 'Add 4 numbers' }).click();
  await page.locator('#add-done').waitFor();
  const rows = await page.locator('#add-results tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((td) => td.textContent)),
  );
  assert.deepEqual(
    rows.map((r) => [r[2], r[3], r[4]]),
    [
      ['6287830605729', 'added', ''],
      ['6281234567890', 'failed', 'USER_NOT_FOUND'],
      ['6289876543210', 'failed', 'USER_BLOCKED'],
      ['6285544332211', 'already_member', 'ALREADY_MEMBER'],
    ],
  );
  assert.match(await page.locator('#add-progress-text').textContent(), /^4 of 4 done: 1 added, 1 already members, 0 invited, 2 failed/);
  // The server agrees.
  const g = await api('GET', '/admin/groups/2');
  assert.equal(g.body.data.participant_count, 11);
  assert.equal(g.body.data.limits.daily.used, 1);
  await shot('add-members');
});

test("an invitation expires when the sandbox clock passes its expiry", async () => {
  await go('#/add?group=2');
  await page.getByLabel(/^Numbers, one per line/).fill('+60 12-345 6789');
  await page.getByRole('button', { name: 'Check the numbers' }).click();
  await page.getByRole('button', { name: 'Add 1 number' }).click();
  await page.locator('#add-done').waitFor();
  assert.equal(await page.locator('#add-results tbody tr td:nth-child(4)').textContent(), 'invited');

  await go('#/groups/2');
  const inv = page.getByRole('region', { name: 'Invitations to Project Team' });
  await inv.getByText('60123456789').waitFor();
  assert.equal(await inv.locator('tbody tr td:nth-child(2)').textContent(), 'pending');
  await shot('group');

  await page.getByRole('link', { name: 'Sandbox' }).click();
  await page.getByRole('heading', { name: 'Sandbox', exact: true }).waitFor();
  for (let i = 0; i < 3; i++) {
    await page.getByRole('button', { name: '+1 day' }).click();
    await page.getByText(`offset ${86400 * (i + 1)} s`).waitFor();
  }
  await page.getByRole('button', { name: '+1 minute' }).click();
  await page.getByText(`offset ${3 * 86400 + 60} s`).waitFor();

  await go('#/groups/2');
  await inv.getByText('60123456789').waitFor();
  assert.equal(await inv.locator('tbody tr td:nth-child(2)').textContent(), 'expired');
  assert.equal(await inv.getByRole('button', { name: /accepts the invitation/ }).count(), 0);
});

test('import people from a CSV file, then drop a CSV of members and watch it finish', async () => {
  const people = Array.from({ length: 40 }, (_, i) => `62813700${String(i).padStart(5, '0')}`);
  await go('#/directory');
  const dirCsv = `phone,name,privacy\n${people.map((p, i) => `+${p},Person ${i},everyone`).join('\n')}\n`;
  await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(dirCsv) });
  await page.getByRole('button', { name: 'Import' }).click();
  await page.getByText('40 people registered or updated from people.csv.').waitFor();
  const someone = await api('GET', `/admin/directory/${people[7]}`);
  assert.equal(someone.body.data.name, 'Person 7');

  // 40 registered, 2 not on WhatsApp, 1 invalid, 1 repeat (written
  // nationally), in a file whose phone column has to be found by name.
  const rows = [
    ...people.map((p, i) => `Person ${i},0${p.slice(2)}`),
    'Nobody,+62 813 7999 0001',
    'Nobody else,+62 813 7999 0002',
    'Broken,not a number',
    `Again,+${people[0]}`,
  ];
  const csv = `"Full Name",Mobile\n${rows.join('\n')}\n`;
  await go('#/add?group=2');
  const dt = await page.evaluateHandle((text) => {
    const d = new DataTransfer();
    d.items.add(new File([text], 'members.csv', { type: 'text/csv' }));
    return d;
  }, csv);
  await page.dispatchEvent('#add-drop', 'drop', { dataTransfer: dt });
  await page.getByText(/^members\.csv \(\d+ bytes\)/).waitFor();
  await page.getByLabel('Default country code').fill('+62');
  await page.getByRole('button', { name: 'Check the numbers' }).click();
  await page.getByText('44 rows: 42 to send, 1 invalid (never sent), 1 duplicates.').waitFor();
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Add 42 numbers' }).click();
  // Three batches of 20, 20 and 2, with 2 requests allowed per 3 s (and the
  // window partly used by the tests before): the console must wait.
  await page.getByText(/Waiting for the rate window/).waitFor();
  await page.locator('#add-done').waitFor({ timeout: 30000 });
  assert.ok(Date.now() - t0 >= 1000, 'the run did not wait for the window');
  assert.match(await page.locator('#add-progress-text').textContent(), /^42 of 42 done: 40 added, 0 already members, 0 invited, 2 failed/);
  assert.equal(await page.locator('#add-progress').evaluate((p) => [p.value, p.max].join('/')), '42/42');
  assert.match(await page.locator('#add-done').textContent(), /^Done: every number has an outcome, after 3 add requests/);
  const outcomes = await page.locator('#add-results tbody tr td:nth-child(4)').allTextContents();
  assert.equal(outcomes.filter((o) => o === 'added').length, 40);
  assert.equal(outcomes.filter((o) => o === 'invalid').length, 1);
  assert.equal(outcomes.filter((o) => o === 'duplicate').length, 1);
  const g = await api('GET', '/admin/groups/2');
  assert.equal(g.body.data.participant_count, 11 + 40);
});

test('the request log shows the adds, with the device and the secrets masked', async () => {
  await page.getByRole('link', { name: 'Request log' }).click();
  const row = page.locator('#log-rows tr', { hasText: '/api/groups/2/members/add' }).filter({ hasText: '6281100000001' });
  await row.first().waitFor();
  // The invitation's add: its code is a secret.
  const invited = page.locator('#log-rows tr').filter({ hasText: 'POST' }).filter({ hasText: '/api/groups/2/members/add' });
  const n = await invited.count();
  assert.ok(n >= 4, `only ${n} add requests in the log`);
  let masked = false;
  for (let i = 0; i < n && !masked; i++) {
    const btn = invited.nth(i).getByRole('button', { name: /^Bodies of request/ });
    if ((await btn.count()) === 0) continue;
    await btn.click();
    const text = await page.locator('#log-rows pre').allTextContents();
    masked = text.some((t) => /"code": "\*{22}"/.test(t) && t.includes('PRIVACY_SETTINGS'));
  }
  assert.ok(masked, 'no add answer with a masked invitation code');
  const all = (await page.locator('#log-rows').textContent()) + (await page.locator('#log-rows pre').allTextContents()).join('');
  assert.ok(!all.includes(TOKEN) && !all.includes(KEY), 'a secret in the log');
  await shot('request-log');
});

test('the listings: every invitation, message and person, filtered', async () => {
  await go('#/invitations');
  await page.getByLabel('Status').selectOption('expired');
  await page.getByRole('button', { name: 'Show' }).click();
  const inv = page.getByRole('region', { name: 'Invitations' });
  await inv.getByText('60123456789').waitFor();
  assert.deepEqual(await inv.locator('tbody tr td:nth-child(3)').allTextContents(), ['expired']);
  assert.equal(await inv.locator('tbody tr td:nth-child(1)').textContent(), 'Project Team');

  await api('POST', '/groups/2/send', { type: 'chat', params: { text: 'Hello from the test' } }, TOKEN);
  await go('#/messages');
  await page.getByRole('region', { name: 'Messages' }).getByText('Hello from the test').waitFor();

  await go('#/directory');
  await page.getByLabel('Search by name or number').fill('PERSON 7');
  await page.getByRole('button', { name: 'Search' }).click();
  const people = page.getByRole('region', { name: 'People matching PERSON 7' });
  await people.getByRole('cell', { name: 'Person 7', exact: true }).waitFor();
  assert.equal(await people.locator('tbody tr').count(), 1);
  await people.getByRole('button', { name: /^Edit / }).click();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Person 7');
  await shot('directory');
});

test('reset the sandbox with credentials kept: the demo world again, every token still working', async () => {
  const before = await api('GET', '/admin/devices');
  await go('#/sandbox');
  assert.equal(await page.getByLabel(/^Keep credentials/).isChecked(), true);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Reset the sandbox' }).click();
  await page.getByText(/^The sandbox was reset to the world the server started with: 15 people/).waitFor();
  assert.equal(await page.locator('#reset-out input').count(), 0, 'new credentials after a reset that kept them');
  await shot('sandbox');
  const after = await api('GET', '/admin/devices');
  assert.deepEqual(after.body.data, before.body.data);
  await go('#/groups/2');
  const participants = page.getByRole('region', { name: 'Participants of Project Team' });
  await participants.getByText('Mike Wilson').waitFor();
  assert.equal(await participants.locator('tbody tr').count(), 10);
  assert.match(await page.locator('#daily-text').textContent(), /^0 of 500 additions today/);
  // The tab's own device token still works: its groups list as before.
  await go('#/add?group=2');
  await page.locator('#add-group').waitFor(); // after the device's GET /groups
  assert.equal(await page.locator('#add-group option').count(), 2);
  assert.equal((await api('GET', '/admin/clock')).body.data.offset_seconds, 0);
});

test('arm faults: a number fails with its code until used up; disarm them all', async () => {
  await go('#/faults');
  await page.getByText('No fault is armed: the server behaves.').waitFor();
  const number = page.getByRole('region', { name: 'A number fails' });
  await number.getByLabel('Number').fill('+65 1234 56789');
  await number.getByLabel('Error code').selectOption('NETWORK_ERROR');
  await number.getByLabel('For how many adds').fill('2');
  await number.getByRole('button', { name: 'Arm' }).click();
  const armed = page.getByRole('region', { name: 'Armed faults' });
  await armed.getByText('65123456789').waitFor();
  const r = await api('POST', '/api/groups/2/members/add', { participants: ['65123456789'] }, TOKEN);
  assert.equal(r.body.data.failed_members[0].error_code, 'NETWORK_ERROR');
  const usesLeft = armed.locator('tbody tr', { hasText: '65123456789' }).locator('td:nth-child(5)');
  assert.equal(await usesLeft.textContent(), '2');
  await usesLeft.filter({ hasText: /^1$/ }).waitFor(); // one use left, seen by the refresh
  const route = page.getByRole('region', { name: 'A route misbehaves' });
  await route.getByLabel('What happens').selectOption('unavailable');
  await route.getByLabel('Retry-After (seconds)').fill('3');
  await route.getByRole('button', { name: 'Arm' }).click();
  await armed.getByText('503, Retry-After 3 s').waitFor();
  await shot('faults');
  const refused = await api('POST', '/api/groups/2/members/add', { participants: ['65123456789'] }, TOKEN);
  assert.equal(refused.status, 503);
  await page.getByRole('button', { name: 'Disarm all' }).click();
  await page.getByText('No fault is armed: the server behaves.').waitFor();
});

test('webhooks: add an endpoint, see its delivery, replay it, delete it', async () => {
  // A receiver of our own: the demo server accepts loopback endpoints.
  const got = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ id: req.headers['webhook-id'], signature: req.headers['webhook-signature'], body });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  const waitFor = async (n) => {
    for (let i = 0; i < 150 && got.length < n; i++) await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(got.length, n);
  };
  try {
    await go('#/webhooks');
    await page.getByText('This device has no webhook endpoint.').waitFor();
    await page.getByLabel('URL').fill(`http://127.0.0.1:${receiver.address().port}/hooks`);
    await page.getByLabel('Event types').fill('group.message.sent');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.locator('#webhook-secret').textContent();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const endpoints = page.getByRole('region', { name: 'Endpoints' });
    await endpoints.getByText('group.message.sent').waitFor();
    const sent = await api('POST', '/api/groups/2/send', { type: 'chat', params: { text: 'hello hooks' } }, TOKEN);
    assert.equal(sent.status, 200);
    await waitFor(1);
    assert.match(got[0].id, /^evt_/);
    assert.match(got[0].signature, /^v1,/);
    assert.equal(JSON.parse(got[0].body).data.message.content, 'hello hooks');
    await shot('webhooks');
    await endpoints.getByRole('link').first().click();
    const deliveries = page.getByRole('region', { name: 'Deliveries' });
    await deliveries.getByText('delivered').waitFor();
    await deliveries.getByRole('button', { name: /^Replay delivery/ }).click();
    await waitFor(2);
    assert.equal(got[1].id, got[0].id); // the same event, again
    await go('#/webhooks');
    await page.getByRole('button', { name: /^Delete endpoint/ }).click();
    await page.getByText('This device has no webhook endpoint.').waitFor();
  } finally {
    receiver.close();
  }
});

test('every control has a label, and the page fits 360 px without scrolling sideways', async () => {
  for (const hash of ['#/groups', '#/groups/2', '#/add?group=2', '#/invitations', '#/messages', '#/directory', '#/devices', '#/webhooks', '#/sandbox', '#/faults', '#/log']) {
    await go(hash);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.outerHTML),
    );
    assert.deepEqual(unlabelled, [], `${hash}: controls without a label`);
    await page.setViewportSize({ width: 360, height: 800 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `${hash} is ${wide} px wide at 360 px`);
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  // The keyboard reaches the sections: skip link first, then the nav.
  await go('#/groups');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to the content');
});

test('logging out revokes the tokens the tab made and forgets the key', async () => {
  const before = await api('GET', '/admin/devices');
  const demo = before.body.data.find((d) => d.phone === '6281100000001');
  assert.equal(demo.token_count, 2); // the demo's own and the console's
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to the groupie console' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  const afterOut = await api('GET', '/admin/devices');
  assert.equal(afterOut.body.data.find((d) => d.phone === '6281100000001').token_count, 1);
  assert.equal((await api('GET', '/groups', undefined, TOKEN)).status, 200);
  assert.deepEqual(pageErrors, []);
});
