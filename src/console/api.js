// api.js -- the console's only way to the server: its public API, with the
// operator key (for /admin) or a device token (for the group API) as a
// bearer header. Both are kept in sessionStorage, which belongs to this
// tab alone and is gone when it closes; nothing is in a cookie, so no
// other site can make the browser send them (no CSRF).
//
// The group API answers a device, not the operator: to show a device's
// groups and add members as it, the console asks the operator API for a
// token of that device (POST /admin/devices/{phone}/tokens), keeps it for
// the tab, and revokes it when the person logs out.

const KEY = 'groupie.operatorKey';
const TOKENS = 'groupie.deviceTokens';
const ACTING = 'groupie.actingDevice';

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set key(v) {
    if (v == null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, v);
  },
  get acting() {
    return sessionStorage.getItem(ACTING);
  },
  set acting(v) {
    if (v == null) sessionStorage.removeItem(ACTING);
    else sessionStorage.setItem(ACTING, v);
  },
  tokens() {
    try {
      return JSON.parse(sessionStorage.getItem(TOKENS) ?? '{}');
    } catch {
      return {};
    }
  },
  // The reset that removed every device's tokens removed this tab's too.
  forgetTokens() {
    sessionStorage.removeItem(TOKENS);
  },
  setToken(phone, token) {
    const t = this.tokens();
    if (token == null) delete t[phone];
    else t[phone] = token;
    sessionStorage.setItem(TOKENS, JSON.stringify(t));
  },
};

// One request. auth: 'operator', 'none', or a device token. Resolves to
// {status, ok, body, headers}; status 0 (with error) when the server could
// not be reached. Never throws.
export async function call(method, path, { body, auth = 'operator', headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  const bearer = auth === 'operator' ? session.key : auth === 'none' ? null : auth;
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  try {
    const r = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, ok: r.ok, body: json, text, headers: r.headers };
  } catch (e) {
    return { status: 0, ok: false, body: null, error: String(e.message ?? e) };
  }
}

// A token for acting as the device with this number, made once per tab.
export async function deviceToken(phone) {
  const kept = session.tokens()[phone];
  if (kept) return kept;
  const r = await call('POST', `/admin/devices/${encodeURIComponent(phone)}/tokens`);
  if (r.status !== 201) throw new Error(r.body?.error ?? `cannot get a token for ${phone} (HTTP ${r.status})`);
  session.setToken(phone, r.body.data.token);
  return r.body.data.token;
}

// As the device: a group API call with its token. A token revoked meanwhile
// (401) is replaced once.
export async function asDevice(phone, method, path, opts = {}) {
  let r = await call(method, path, { ...opts, auth: await deviceToken(phone) });
  if (r.status === 401) {
    session.setToken(phone, null);
    r = await call(method, path, { ...opts, auth: await deviceToken(phone) });
  }
  return r;
}

// Logging out revokes the tokens this tab made, then forgets everything.
export async function logout() {
  const tokens = Object.values(session.tokens());
  await Promise.all(tokens.map((token) => call('POST', '/admin/tokens/revoke', { body: { token } })));
  sessionStorage.removeItem(TOKENS);
  session.acting = null;
  session.key = null;
}
