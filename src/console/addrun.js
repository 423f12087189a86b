// addrun.js -- sending prepared numbers to a group as the CLI does
// (docs/CLI.md "Sending"): batches of at most the server's batch size, in
// input order; a bucket of `rate limit` tokens where a spent token comes
// back one window (plus 50 ms) after its answer arrived, so a lone client
// never meets a 429 and still uses the whole allowance; a 429 waits its
// Retry-After; network errors and 5xx are retried with backoff; every
// batch has an Idempotency-Key, kept when it is sent again, so nothing is
// applied twice. Per-member outcomes follow src/client/policy.c.

import { CLEAN_SENTENCE } from './phone.js';

const MARGIN_MS = 50;
const MAX_RETRIES = 8;
const MAX_ATTEMPTS = 5; // sends of one number that answered TEMPORARY_ERROR/NETWORK_ERROR
const RETRYABLE = new Set(['TEMPORARY_ERROR', 'NETWORK_ERROR']);

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

function key() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return `groupie-console-${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

// The pacer: back[i] is when token i is free again (Infinity while in use).
export class Pacer {
  constructor(limit, windowMs, used = 0, freesAt = 0) {
    this.windowMs = windowMs;
    this.back = Array.from({ length: limit }, (_, i) => (i < used ? freesAt : 0));
    this.blockedUntil = 0;
  }
  readyAt(now) {
    return Math.max(Math.min(...this.back), this.blockedUntil, now);
  }
  take() {
    const i = this.back.indexOf(Math.min(...this.back));
    this.back[i] = Infinity;
    return i;
  }
  settle(i, answeredAt, counted) {
    this.back[i] = counted ? answeredAt + this.windowMs + MARGIN_MS : 0;
  }
  block(until) {
    this.blockedUntil = Math.max(this.blockedUntil, until);
  }
}

// rows: prepared rows (phone.js prepare()); send(body, idemKey) -> the API
// answer; onEvent({type, ...}) reports progress. Resolves to {status,
// message} when every number has an outcome or the run had to stop.
export async function addRun({ rows, batchSize, rate, send, onEvent, signal, now = () => performance.now() }) {
  const pending = rows.filter((r) => r.kind === 'valid');
  for (const r of pending) {
    r.outcome = 'pending';
    r.attempts = 0;
  }
  const pacer = new Pacer(rate.limit, rate.windowMs, rate.used, rate.freesAtLocal);
  let queue = [...pending];
  let requests = 0;
  while (queue.length > 0) {
    if (signal?.aborted) return { status: 'stopped', message: 'Stopped; the numbers not sent yet are pending.' };
    const batch = queue.slice(0, batchSize);
    const idem = key();
    let retries = 0;
    let answer = null;
    while (answer == null) {
      const wait = pacer.readyAt(now()) - now();
      if (wait > 0) {
        onEvent({ type: 'wait', ms: wait, why: pacer.blockedUntil > now() ? 'retry-after' : 'window' });
        await sleep(wait, signal);
        if (signal?.aborted) return { status: 'stopped', message: 'Stopped; the numbers not sent yet are pending.' };
        continue;
      }
      const token = pacer.take();
      onEvent({ type: 'send', size: batch.length });
      const res = await send({ participants: batch.map((r) => r.number) }, idem);
      requests++;
      const at = now();
      if (res.status === 429) {
        pacer.settle(token, at, false);
        const after = Number(res.headers?.get?.('Retry-After') ?? res.body?.retry_after ?? 1);
        pacer.block(at + after * 1000 + Math.random() * 250);
        onEvent({ type: 'notice', text: `The group's rate window is full (429); waiting ${after} s as the server asked.` });
        continue;
      }
      if (res.status === 0 || res.status >= 500) {
        pacer.settle(token, at, true); // its fate is unknown: count it
        if (++retries > MAX_RETRIES) {
          return { status: 'unavailable', message: `The server kept failing (${res.status === 0 ? res.error : `HTTP ${res.status}`}); the numbers not sent yet are pending.` };
        }
        const backoff = Math.min(60000, 1000 * 2 ** retries) * (0.5 + Math.random() / 2);
        onEvent({ type: 'notice', text: `${res.status === 0 ? 'Network error' : `HTTP ${res.status}`}; trying the same batch again (same Idempotency-Key) in ${Math.ceil(backoff / 1000)} s.` });
        await sleep(backoff, signal);
        continue;
      }
      pacer.settle(token, at, res.status !== 401 && res.status !== 403 && res.status !== 404);
      answer = res;
    }
    if (answer.status !== 200) {
      const stop = {
        400: answer.body?.message === 'Group capacity exceeded' ? 'group_full' : 'protocol_error',
        401: 'unauthorized',
        403: 'forbidden',
        404: 'group_not_found',
      }[answer.status] ?? 'protocol_error';
      return { status: stop, message: `${answer.body?.message ?? `HTTP ${answer.status}`}: ${answer.body?.error ?? JSON.stringify(answer.body?.errors ?? '')}` };
    }
    const data = answer.body.data;
    const seen = new Map();
    for (const m of data.added_members) seen.set(m.phone, { outcome: 'added', name: m.name });
    for (const m of data.failed_members) seen.set(m.phone, m);
    let dailyLimit = null;
    const retry = [];
    for (const r of batch) {
      const m = seen.get(r.number);
      r.attempts++;
      if (m == null) {
        r.code = 'NO_ANSWER';
        retry.push(r);
      } else if (m.outcome === 'added') {
        r.outcome = 'added';
        r.serverName = m.name;
      } else if (m.error_code === 'ALREADY_MEMBER') {
        r.outcome = 'already_member';
        r.code = m.error_code;
        r.detail = m.error;
      } else if (m.error_code === 'PRIVACY_SETTINGS') {
        r.outcome = 'invited';
        r.code = m.error_code;
        r.detail = m.error;
        r.invitationCode = m.invitation?.code ?? '';
        r.invitationExpires = m.invitation?.expires_at ?? '';
      } else if (m.error_code === 'RATE_LIMITED') {
        dailyLimit = m.error;
        retry.push(r);
      } else if (RETRYABLE.has(m.error_code) && r.attempts < MAX_ATTEMPTS) {
        r.code = m.error_code;
        retry.push(r);
      } else {
        r.outcome = 'failed';
        r.code = m.error_code;
        r.detail = m.error;
      }
    }
    queue = queue.slice(batch.length);
    onEvent({ type: 'answer', batch });
    if (dailyLimit) {
      return { status: 'daily_limit', message: `${dailyLimit}. The numbers not added are pending: run again after midnight UTC by the server's clock (in the sandbox, advance the clock a day).` };
    }
    queue = queue.concat(retry);
  }
  return { status: 'complete', message: `Done: every number has an outcome, after ${requests} add request${requests === 1 ? '' : 's'}.` };
}

// The CLI's report, one row per input row:
// line,input,number,outcome,error_code,invitation_code,invitation_expires_at,name,detail
export function reportCsv(rows) {
  const q = (v) => {
    const s = v == null ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = ['line,input,number,outcome,error_code,invitation_code,invitation_expires_at,name,detail'];
  for (const r of rows) {
    lines.push(
      [r.line, r.raw, r.number, outcomeOf(r), codeOf(r), r.invitationCode, r.invitationExpires, r.name || r.serverName || '', detailOf(r)]
        .map(q)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

// What the outcome table and the report say of a row.
export function outcomeOf(r) {
  return r.kind === 'valid' ? r.outcome ?? 'pending' : r.kind;
}

export function codeOf(r) {
  if (r.kind === 'invalid') return 'INVALID_NUMBER';
  return r.kind === 'duplicate' ? '' : r.code ?? '';
}

export function detailOf(r) {
  if (r.kind === 'invalid') return CLEAN_SENTENCE[r.status];
  if (r.kind === 'duplicate') return `the same number as line ${r.dupLine}`;
  return r.detail ?? '';
}
