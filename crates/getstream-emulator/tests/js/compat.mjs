#!/usr/bin/env node
// Stream's JavaScript server SDK (`stream-chat`, the version locked in package-lock.json),
// unchanged, against the emulator.
//
// Every case drives the SDK the way a user would, pointed at the emulator with `baseURL`,
// and asserts real effects (a hard-deleted channel is gone, an export link downloads a
// file holding the messages that were sent, ...). stream-chat has no typed models, so
// the cases also check the shapes it reads: timestamps the SDK turns into `Date`s must be
// RFC 3339 strings (it calls `new Date(created_at)`), custom fields sit at the top level
// of users, channels and messages, and errors carry Stream's envelope.
//
// Usage (normally through scripts/js-compat.sh, which installs the SDK and starts the
// emulator):
//
//   node compat.mjs --base-url http://127.0.0.1:PORT --api-key K --api-secret S
//   # or STREAM_BASE_URL / STREAM_API_KEY / STREAM_API_SECRET in the environment
//   node compat.mjs ... --only export_users_wait     # run some cases (repeatable)
//   node compat.mjs --list                           # list the cases
//   node compat.mjs ... --no-admin                   # skip cases needing --admin
//
// Prints one line per case, then `js-compat: N passed, M failed`; exits 1 on any
// failure. Uses the SDK and Node's standard library only; only talks to loopback.

import crypto from 'node:crypto';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { StreamChat } from 'stream-chat';

const MIN_TASK_MS = Number(process.env.COMPAT_MIN_TASK_MS ?? '50');
const WAIT_TIMEOUT_MS = 30_000;
const POLL_MS = 20;
const KNOWN_STATUSES = ['waiting', 'pending', 'running', 'completed', 'failed'];
// An RFC 3339 timestamp as Stream's v1 API writes it (fraction optional, `Z` or an offset).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class CaseFailure extends Error {}

function check(cond, msg) {
  if (!cond) throw new CaseFailure(msg);
}

function short(value, limit = 700) {
  let text;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  text = text ?? String(value);
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length} chars)`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- SDK logging
// stream-chat's own logger reports every response; the last ones are shown when a case
// fails, so a failure names the exact body the emulator sent.
const RESPONSES = [];
function sdkLogger(_level, _message, extra) {
  if (!extra || !Array.isArray(extra.tags) || !extra.tags.includes('api_response')) return;
  const response = extra.response ?? extra.error?.response;
  RESPONSES.push({
    method: (response?.config?.method ?? '?').toUpperCase(),
    url: extra.url,
    status: response?.status ?? 'no response',
    body: response?.data,
  });
  if (RESPONSES.length > 50) RESPONSES.shift();
}

// ---------------------------------------------------------------- helpers
class Ctx {
  constructor(baseURL, apiKey, apiSecret) {
    this.baseURL = baseURL;
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
    this.run = randomUUID().slice(0, 8);
    this.n = 0;
    this.client = this.server();
  }

  /** A server-side client (a fresh instance; `getInstance` would share one). */
  server({ apiKey = this.apiKey, apiSecret = this.apiSecret } = {}) {
    return new StreamChat(apiKey, apiSecret, {
      baseURL: this.baseURL,
      timeout: 10_000,
      logger: sdkLogger,
    });
  }

  uid(what) {
    this.n += 1;
    return `js-${this.run}-${what}-${this.n}`;
  }
}

/** A timestamp the SDK will parse: an RFC 3339 string within `slackMs` of now. */
function saneTime(label, value, slackMs = 10 * 60_000) {
  check(
    typeof value === 'string' && RFC3339.test(value),
    `${label}: expected an RFC 3339 string (stream-chat calls new Date() on it), got ${short(value)}`,
  );
  const t = new Date(value).getTime();
  check(!Number.isNaN(t), `${label}: new Date(${short(value)}) is an Invalid Date`);
  check(Math.abs(Date.now() - t) <= slackMs, `${label}: ${value} is not within ${slackMs} ms of now`);
  return t;
}

async function makeUsers(ctx, n) {
  const ids = Array.from({ length: n }, () => ctx.uid('user'));
  const resp = await ctx.client.upsertUsers(ids.map((id) => ({ id, name: `name ${id}` })));
  const got = Object.keys(resp.users ?? {});
  check(
    ids.every((id) => got.includes(id)),
    `upsertUsers: response users ${short(got)} lack ${short(ids)}`,
  );
  return ids;
}

/** A messaging channel created by members[0] holding `members`, plus messages sent
 * round-robin by the members. Returns { channel, cid, sent }. */
async function makeChannel(ctx, members, texts = [], gapMs = 0) {
  const channel = ctx.client.channel('messaging', ctx.uid('chan'), {
    created_by_id: members[0],
    members,
  });
  await channel.create();
  const sent = [];
  for (const [i, text] of texts.entries()) {
    if (i && gapMs) await sleep(gapMs);
    const resp = await channel.sendMessage({ text, user_id: members[i % members.length] });
    sent.push(resp.message);
  }
  return { channel, cid: channel.cid, sent };
}

function taskIdOf(label, resp) {
  const tid = resp?.task_id;
  check(typeof tid === 'string' && tid !== '', `${label}: expected a task_id, got ${short(resp)}`);
  return tid;
}

/** Polls `read(id)` (getTask or getExportChannelStatus) until the task ends, checking each
 * answer's shape; returns { final, seen } where `seen` lists the statuses in order. */
async function waitTask(label, id, read, timeoutMs = WAIT_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  const seen = [];
  for (;;) {
    const t = await read(id);
    check(t.task_id === id, `${label}: task_id ${short(t.task_id)} != ${short(id)}`);
    check(typeof t.status === 'string', `${label}: status ${short(t.status)} is not a string`);
    check(KNOWN_STATUSES.includes(t.status), `${label}: unknown status ${short(t.status)}`);
    check(typeof t.duration === 'string', `${label}: no duration string in ${short(t)}`);
    const created = saneTime(`${label}.created_at`, t.created_at);
    const updated = saneTime(`${label}.updated_at`, t.updated_at);
    check(updated >= created, `${label}: updated_at ${t.updated_at} < created_at ${t.created_at}`);
    if (seen[seen.length - 1] !== t.status) seen.push(t.status);
    if (t.status === 'completed' || t.status === 'failed') return { final: t, seen };
    check(Date.now() < deadline, `${label}: still ${t.status} after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function completed(label, id, read) {
  const { final } = await waitTask(label, id, read);
  check(
    final.status === 'completed',
    `${label}: task ended ${final.status}, expected completed: ${short(final)}`,
  );
  check(final.error == null, `${label}: completed task carries error ${short(final.error)}`);
  return final;
}

function resultUrl(label, task) {
  check(
    task.result !== null && typeof task.result === 'object' && !Array.isArray(task.result),
    `${label}: result ${short(task.result)} is not an object`,
  );
  const url = task.result.url;
  check(typeof url === 'string' && url !== '', `${label}: result has no url: ${short(task.result)}`);
  return url;
}

function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** GETs an export link with no credentials (like Stream's pre-signed links) and parses it
 * as JSON or JSON lines. Only loopback hosts are fetched. */
async function download(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new CaseFailure(`export url ${short(url)} is not a URL`);
  }
  check(['http:', 'https:'].includes(parsed.protocol), `export url ${url} is not http(s)`);
  check(isLoopback(parsed.hostname), `export url ${url} does not point at the local emulator`);
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  let raw = Buffer.from(await r.arrayBuffer());
  check(r.status === 200, `GET ${url} -> HTTP ${r.status}: ${short(raw.toString('utf8'))}`);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    try {
      return text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    } catch {
      throw new CaseFailure(`export file is neither JSON nor JSON lines: ${short(text)}`);
    }
  }
}

function stringsIn(doc) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        out.add(k);
        walk(x);
      }
    }
  };
  walk(doc);
  return out;
}

function objectsWithId(doc, id) {
  const found = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (v.id === id) found.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  return found;
}

/** Texts of the channel's messages as the SDK's own channel state holds them, oldest
 * first, after `channel.query()`; each message's `created_at` must have become a valid
 * Date (the SDK parses it). */
async function channelTexts(label, channel) {
  await channel.query({ messages: { limit: 100 } });
  const msgs = channel.state.messages;
  for (const m of msgs) {
    check(
      m.created_at instanceof Date && !Number.isNaN(m.created_at.getTime()),
      `${label}: the SDK's state holds message ${m.id} with created_at ${String(m.created_at)}`,
    );
  }
  return msgs.map((m) => m.text);
}

/** Awaits `promise`, which must reject with the SDK's ErrorFromResponse carrying Stream's
 * error envelope; returns the error. */
async function expectApiError(label, promise) {
  let err;
  try {
    const value = await promise;
    throw new CaseFailure(`${label}: expected an API error, the call succeeded: ${short(value)}`);
  } catch (e) {
    if (e instanceof CaseFailure) throw e;
    err = e;
  }
  check(
    err?.name === 'ErrorFromResponse' && typeof err.status === 'number',
    `${label}: expected ErrorFromResponse, got ${err?.name}: ${err?.message}`,
  );
  return err;
}

/** The error's body must be Stream's APIError envelope. */
function checkEnvelope(label, err, status, code) {
  const body = err.response?.data;
  check(err.status === status, `${label}: HTTP ${err.status}, expected ${status}: ${err.message}`);
  check(
    body && typeof body === 'object',
    `${label}: error body is not a JSON object: ${short(body)}`,
  );
  check(body.StatusCode === status, `${label}: envelope StatusCode ${body.StatusCode} != ${status}`);
  if (code !== undefined) {
    check(err.code === code, `${label}: code ${err.code}, expected ${code}: ${err.message}`);
  }
  check(
    typeof body.code === 'number' && err.code === body.code,
    `${label}: SDK code ${err.code} vs body ${body.code}`,
  );
  check(
    typeof body.message === 'string' && body.message !== '',
    `${label}: empty message in ${short(body)}`,
  );
  check(Array.isArray(body.details), `${label}: envelope details is not a list: ${short(body)}`);
  check(
    typeof body.duration === 'string' && typeof body.more_info === 'string',
    `${label}: envelope lacks duration/more_info: ${short(body)}`,
  );
  check(
    err.message === `StreamChat error code ${body.code}: ${body.message}`,
    `${label}: SDK message ${short(err.message)}`,
  );
  return body;
}

async function exportChannelsDoc(ctx, cid) {
  const tid = taskIdOf('exportChannels', await ctx.client.exportChannels([{ cid }]));
  const { final } = await waitTask('getTask', tid, (id) => ctx.client.getTask(id));
  return final;
}

/** The downloaded user export of `userId`, or null when the export task failed. */
async function exportUserDoc(ctx, userId) {
  const tid = taskIdOf('exportUsers', await ctx.client.exportUsers({ user_ids: [userId] }));
  const { final } = await waitTask('getTask', tid, (id) => ctx.client.getTask(id));
  if (final.status === 'failed') return null;
  return download(resultUrl('getTask', final));
}

/** Calls the emulator's admin API (plain HTTP, no SDK) for the configured app. */
async function admin(ctx, method, path, body) {
  const url = `${ctx.baseURL}/_emulator/${path}?api_key=${encodeURIComponent(ctx.apiKey)}`;
  const r = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  check(
    r.ok,
    `admin API ${method} /_emulator/${path} -> HTTP ${r.status} ${short(text)} ` +
      '(start the emulator with --admin, or pass --no-admin)',
  );
  return text ? JSON.parse(text) : {};
}

// ---------------------------------------------------------------- cases
const CASES = [];
function kase(name, fn, { admin: needsAdmin = false } = {}) {
  CASES.push({ name, fn, admin: needsAdmin });
}

kase('upsert_users', async (ctx) => {
  const a = ctx.uid('user');
  const b = ctx.uid('user');
  const resp = await ctx.client.upsertUsers([
    { id: a, name: 'Ann', role: 'user', team_color: 'blue' },
    { id: b },
  ]);
  check(typeof resp.duration === 'string', `no duration in ${short(resp)}`);
  const users = resp.users;
  check(users && typeof users === 'object' && !Array.isArray(users), `users is ${short(users)}, expected a map`);
  check(
    JSON.stringify(Object.keys(users).sort()) === JSON.stringify([a, b].sort()),
    `users keys ${short(Object.keys(users))} != ${short([a, b])}`,
  );
  check(users[a].id === a && users[b].id === b, 'user ids in the map do not match their keys');
  check(users[a].name === 'Ann', `name ${short(users[a].name)} != 'Ann'`);
  check(users[a].role === 'user', `role ${short(users[a].role)} != 'user'`);
  // stream-chat sends custom fields at the top level of the user and reads them there.
  check(
    users[a].team_color === 'blue',
    `custom field team_color not returned at the top level: ${short(users[a])}`,
  );
  saneTime('users[a].created_at', users[a].created_at);
  saneTime('users[a].updated_at', users[a].updated_at);
  const c = ctx.uid('user');
  const one = await ctx.client.upsertUser({ id: c, name: 'Cy' });
  check(one.users?.[c]?.name === 'Cy', `upsertUser returned ${short(one)}`);
});

kase('query_users', async (ctx) => {
  const [a, b, c] = await makeUsers(ctx, 3);
  const both = await ctx.client.queryUsers({ id: { $in: [a, b] } }, { id: 1 }, { limit: 10 });
  check(Array.isArray(both.users), `users is not a list: ${short(both)}`);
  const ids = both.users.map((u) => u.id).sort();
  check(JSON.stringify(ids) === JSON.stringify([a, b].sort()), `$in [a, b] found ${short(ids)}`);
  for (const u of both.users) saneTime(`users[${u.id}].created_at`, u.created_at);
  const one = await ctx.client.queryUsers({ id: c });
  check(
    one.users.length === 1 && one.users[0].id === c && one.users[0].name === `name ${c}`,
    `{id: c} found ${short(one.users)}`,
  );
  // The SDK keeps queried users in its own state.
  check(ctx.client.state.users[c]?.id === c, 'queried user missing from client.state.users');
});

kase('channel_create', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const id = ctx.uid('chan');
  const channel = ctx.client.channel('messaging', id, {
    created_by_id: a,
    members: [a, b],
    topic: 'compat',
  });
  const resp = await channel.create();
  check(resp.channel?.cid === `messaging:${id}`, `cid ${short(resp.channel?.cid)}`);
  check(
    resp.channel.id === id && resp.channel.type === 'messaging',
    `id/type ${resp.channel.id}/${resp.channel.type}`,
  );
  check(resp.channel.topic === 'compat', `custom channel field not at the top level: ${short(resp.channel)}`);
  const created = resp.channel.created_at;
  saneTime('channel.created_at', created);
  check(
    resp.channel.created_by?.id === a,
    `created_by ${short(resp.channel.created_by)}, expected user ${a}`,
  );
  const members = (resp.members ?? []).map((m) => m.user_id ?? m.user?.id).sort();
  check(JSON.stringify(members) === JSON.stringify([a, b].sort()), `members ${short(members)}`);
  for (const m of resp.members) saneTime('member.created_at', m.created_at);
  check(Array.isArray(resp.messages) && resp.messages.length === 0, `new channel has messages ${short(resp.messages)}`);
  // The SDK's own state after create().
  check(
    Object.keys(channel.state.members).sort().join() === [a, b].sort().join(),
    `channel.state.members ${short(Object.keys(channel.state.members))}`,
  );
  check(channel.data?.cid === `messaging:${id}`, 'channel.data not set from the response');
  const again = await ctx.client.channel('messaging', id).query({});
  check(again.channel.cid === resp.channel.cid, 'a second query returned another channel');
  check(again.channel.created_at === created, 'a second query re-created the channel');
});

kase('send_message', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const { channel, cid } = await makeChannel(ctx, [a, b]);
  const texts = [`hello ${ctx.uid('msg')}`, `reply ${ctx.uid('msg')}`];
  const ids = [];
  for (const [i, who] of [a, b].entries()) {
    const resp = await channel.sendMessage({ text: texts[i], user_id: who, mood: 'happy' });
    const m = resp.message;
    check(m && typeof m.id === 'string' && m.id !== '', `message id ${short(m?.id)}`);
    check(m.text === texts[i], `text ${short(m.text)} != ${short(texts[i])}`);
    check(m.cid === cid, `message cid ${short(m.cid)} != ${cid}`);
    check(m.user?.id === who, `message user ${short(m.user)}, expected ${who}`);
    check(m.type === 'regular', `message type ${short(m.type)}, expected 'regular'`);
    check(m.mood === 'happy', `custom message field not at the top level: ${short(m)}`);
    saneTime('message.created_at', m.created_at);
    ids.push(m.id);
  }
  check(new Set(ids).size === 2, `message ids not unique: ${short(ids)}`);
  const listed = await channelTexts('channel.query', channel);
  check(JSON.stringify(listed) === JSON.stringify(texts), `channel lists ${short(listed)}, expected ${short(texts)}`);
});

kase('get_task_fields', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const { cid } = await makeChannel(ctx, [a], ['one']);
  const t0 = Date.now();
  const tid = taskIdOf('exportChannels', await ctx.client.exportChannels([{ cid }]));
  const { final, seen } = await waitTask('getTask', tid, (id) => ctx.client.getTask(id));
  const took = Date.now() - t0;
  check(final.status === 'completed', `ended ${final.status}: ${short(final)}`);
  const order = seen.map((s) => KNOWN_STATUSES.indexOf(s));
  check(
    order.every((v, i) => i === 0 || v > order[i - 1]),
    `statuses went backwards: ${short(seen)}`,
  );
  check(
    seen.length > 1 || took >= MIN_TASK_MS * 0.8,
    `the task was never seen unfinished and took ${took} ms (< 80 % of --min-task-duration ${MIN_TASK_MS} ms)`,
  );
  resultUrl('getTask', final);
});

kase('export_channels_wait', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const texts = [`first ${ctx.uid('msg')}`, `second ${ctx.uid('msg')}`];
  const { cid } = await makeChannel(ctx, [a, b], texts);
  const resp = await ctx.client.exportChannels([{ type: 'messaging', id: cid.split(':')[1] }], {
    export_users: true,
  });
  check(typeof resp.duration === 'string', `no duration in ${short(resp)}`);
  const tid = taskIdOf('exportChannels', resp);
  const done = await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const doc = await download(resultUrl('getTask', done));
  const strings = stringsIn(doc);
  for (const s of [...texts, a, b]) check(strings.has(s), `export file lacks ${short(s)}: ${short(doc)}`);
  check(
    strings.has(cid) || strings.has(cid.split(':')[1]),
    `export file does not name channel ${cid}`,
  );
});

kase('export_channel_status', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const text = `only ${ctx.uid('msg')}`;
  const { cid } = await makeChannel(ctx, [a], [text]);
  const tid = taskIdOf('exportChannel', await ctx.client.exportChannel({ cid }));
  const done = await completed('getExportChannelStatus', tid, (id) =>
    ctx.client.getExportChannelStatus(id),
  );
  const doc = await download(resultUrl('getExportChannelStatus', done));
  check(stringsIn(doc).has(text), `export file lacks the message: ${short(doc)}`);
  const same = await ctx.client.getTask(tid);
  check(
    // The same file; each link is signed when handed out (they may expire a second apart).
    same.status === 'completed' && same.result?.url?.split('?')[0] === done.result.url.split('?')[0],
    `getTask disagrees with getExportChannelStatus: ${short(same)}`,
  );
  const err = await expectApiError(
    'getExportChannelStatus(unknown)',
    ctx.client.getExportChannelStatus(ctx.uid('no-task')),
  );
  checkEnvelope('getExportChannelStatus(unknown)', err, 404, 16);
});

kase('export_channels_messages_since', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const texts = [`early ${ctx.uid('msg')}`, `middle ${ctx.uid('msg')}`, `late ${ctx.uid('msg')}`];
  const { cid, sent } = await makeChannel(ctx, [a], texts, 40);
  const at = sent.map((m) => new Date(m.created_at).getTime());
  check(at[0] < at[1] && at[1] < at[2], `messages not 40 ms apart: ${short(sent.map((m) => m.created_at))}`);
  // stream-chat sends Date objects; JSON.stringify makes them `2026-01-01T00:00:00.123Z`.
  const since = new Date(Math.floor((at[0] + at[1]) / 2));
  const until = new Date(Math.floor((at[1] + at[2]) / 2));
  const tid = taskIdOf(
    'exportChannels',
    await ctx.client.exportChannels([{ cid, messages_since: since, messages_until: until }]),
  );
  const done = await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const strings = stringsIn(await download(resultUrl('getTask', done)));
  check(strings.has(texts[1]), 'the middle message is missing from the export');
  check(!strings.has(texts[0]) && !strings.has(texts[2]), 'messages outside since/until were exported');
});

kase('export_users_wait', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const mine = `mine ${ctx.uid('msg')}`;
  const theirs = `theirs ${ctx.uid('msg')}`;
  const { channel } = await makeChannel(ctx, [a, b]);
  await channel.sendMessage({ text: mine, user_id: a });
  await channel.sendMessage({ text: theirs, user_id: b });
  const resp = await ctx.client.exportUsers({ user_ids: [a] });
  check(typeof resp.duration === 'string', `no duration in ${short(resp)}`);
  const tid = taskIdOf('exportUsers', resp);
  const done = await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const doc = await download(resultUrl('getTask', done));
  check(objectsWithId(doc, a).length > 0, `user export has no object with id ${a}: ${short(doc)}`);
  const strings = stringsIn(doc);
  check(strings.has(mine), `user export lacks the user's message: ${short(doc)}`);
  check(!strings.has(theirs), "user export holds another member's message");
});

kase('delete_channels_hard', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const { channel, cid } = await makeChannel(ctx, [a, b], [`doomed ${ctx.uid('msg')}`]);
  const resp = await ctx.client.deleteChannels([cid], { hard_delete: true });
  const tid = taskIdOf('deleteChannels', resp);
  if (resp.result && cid in resp.result) {
    check(resp.result[cid]?.status === 'ok', `per-cid result ${short(resp.result)}`);
  }
  const done = await completed('getTask', tid, (id) => ctx.client.getTask(id));
  if (done.result && typeof done.result === 'object' && cid in done.result) {
    check(done.result[cid]?.status === 'ok', `task result ${short(done.result)}`);
  }
  const exp = await exportChannelsDoc(ctx, cid);
  check(exp.status === 'failed', `export of a hard-deleted channel ended ${exp.status}`);
  // Re-creating it (server side needs created_by_id, as on Stream) lists no messages. A
  // fresh client: this one caches the channel object with its old members.
  const again = ctx.server().channel('messaging', channel.id, { created_by_id: a });
  const listed = await channelTexts('re-created channel', again);
  check(listed.length === 0, `re-created channel lists ${short(listed)}`);
});

kase('delete_channels_soft', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const { cid } = await makeChannel(ctx, [a]);
  const missing = `messaging:${ctx.uid('nope')}`;
  const resp = await ctx.client.deleteChannels([cid]);
  check(typeof resp.duration === 'string', `no duration in ${short(resp)}`);
  check(resp.result?.[cid]?.status === 'ok', `soft delete result ${short(resp.result)}`);
  const hard = await ctx.client.deleteChannels([missing], { hard_delete: true });
  taskIdOf('deleteChannels(unknown, hard)', hard);
  check(
    hard.result?.[missing]?.status === 'error' && typeof hard.result[missing].error === 'string',
    `an unknown cid is not reported as an error: ${short(hard.result)}`,
  );
});

kase('channel_delete', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const { channel, cid } = await makeChannel(ctx, [a], [`gone ${ctx.uid('msg')}`]);
  const resp = await channel.delete({ hard_delete: true });
  check(typeof resp.duration === 'string', `no duration in ${short(resp)}`);
  check(resp.channel?.cid === cid, `channel.delete answered ${short(resp)}`);
  const exp = await exportChannelsDoc(ctx, cid);
  check(exp.status === 'failed', `export of a hard-deleted channel ended ${exp.status}`);
  const err = await expectApiError(
    'channel.delete(unknown)',
    ctx.client.channel('messaging', ctx.uid('nope')).delete(),
  );
  checkEnvelope('channel.delete(unknown)', err, 404, 16);
});

kase('failed_task', async (ctx) => {
  const cid = `messaging:${ctx.uid('never')}`;
  const tid = taskIdOf('exportChannels', await ctx.client.exportChannels([{ cid }]));
  const { final } = await waitTask('getTask', tid, (id) => ctx.client.getTask(id));
  check(final.status === 'failed', `export of a missing channel ended ${final.status}`);
  check(
    final.error && typeof final.error.type === 'string' && final.error.type !== '',
    `failed task error ${short(final.error)} has no type`,
  );
  check(
    typeof final.error.description === 'string' && final.error.description !== '',
    `failed task error ${short(final.error)} has no description`,
  );
  const status = await ctx.client.getExportChannelStatus(tid);
  check(
    status.status === 'failed' && status.error?.type === final.error.type,
    `getExportChannelStatus disagrees: ${short(status)}`,
  );
});

kase('delete_users_hard', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const gone = `gone ${ctx.uid('msg')}`;
  const kept = `kept ${ctx.uid('msg')}`;
  const { channel } = await makeChannel(ctx, [a, b]);
  await channel.sendMessage({ text: gone, user_id: a });
  await channel.sendMessage({ text: kept, user_id: b });
  const tid = taskIdOf(
    'deleteUsers',
    await ctx.client.deleteUsers([a], { user: 'hard', messages: 'hard' }),
  );
  const done = await completed('getTask', tid, (id) => ctx.client.getTask(id));
  if (done.result && typeof done.result === 'object' && a in done.result) {
    check(done.result[a]?.status === 'ok', `task result ${short(done.result)}`);
  }
  // A fresh client: this one caches the channel with the deleted user among its members.
  const listed = await channelTexts('channel.query', ctx.server().channel('messaging', channel.id));
  check(!listed.includes(gone), `hard-deleted user's message still listed: ${short(listed)}`);
  check(listed.includes(kept), `another user's message vanished: ${short(listed)}`);
  const found = await ctx.client.queryUsers({ id: { $in: [a, b] } });
  check(
    found.users.map((u) => u.id).join() === b,
    `queryUsers still finds the hard-deleted user: ${short(found.users.map((u) => u.id))}`,
  );
  // The SDK checks the option values itself, before any request.
  let threw = null;
  try {
    await ctx.client.deleteUsers([b], { user: 'obliterate' });
  } catch (e) {
    threw = e;
  }
  check(threw && threw.name !== 'ErrorFromResponse', `deleteUsers(user: 'obliterate') gave ${threw?.name}`);
});

kase('delete_user_single', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const gone = `gone ${ctx.uid('msg')}`;
  const kept = `kept ${ctx.uid('msg')}`;
  const { channel } = await makeChannel(ctx, [a, b]);
  await channel.sendMessage({ text: gone, user_id: a });
  await channel.sendMessage({ text: kept, user_id: b });
  const resp = await ctx.client.deleteUser(a, { mark_messages_deleted: true, hard_delete: true });
  check(resp.user?.id === a, `deleteUser answered ${short(resp)}`);
  const tid = taskIdOf('deleteUser', resp);
  await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const listed = await channelTexts('channel.query', ctx.server().channel('messaging', channel.id));
  check(!listed.includes(gone), `deleted user's message still listed: ${short(listed)}`);
  check(listed.includes(kept), `another user's message vanished: ${short(listed)}`);
  const err = await expectApiError('deleteUser(unknown)', ctx.client.deleteUser(ctx.uid('nobody')));
  checkEnvelope('deleteUser(unknown)', err, 404, 16);
});

kase('deactivate_users_wait', async (ctx) => {
  const [a, b] = await makeUsers(ctx, 2);
  const tid = taskIdOf(
    'deactivateUsers',
    await ctx.client.deactivateUsers([a], { created_by_id: b, mark_messages_deleted: false }),
  );
  await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const hidden = await ctx.client.queryUsers({ id: { $in: [a, b] } });
  check(
    hidden.users.map((u) => u.id).join() === b,
    `queryUsers lists a deactivated user by default: ${short(hidden.users.map((u) => u.id))}`,
  );
  const shown = await ctx.client.queryUsers({ id: a }, [], { include_deactivated_users: true });
  check(shown.users.length === 1, `include_deactivated_users found ${short(shown.users)}`);
  saneTime('deactivated_at', shown.users[0].deactivated_at);
  const doc = await exportUserDoc(ctx, a);
  check(doc !== null, 'export of the deactivated user failed');
  check(
    objectsWithId(doc, a).some((u) => u.deactivated_at),
    `user ${a} not marked deactivated_at in the export: ${short(doc)}`,
  );
});

kase('reactivate_users_wait', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  await completed(
    'getTask',
    taskIdOf('deactivateUsers', await ctx.client.deactivateUsers([a])),
    (id) => ctx.client.getTask(id),
  );
  const tid = taskIdOf(
    'reactivateUsers',
    await ctx.client.reactivateUsers([a], { restore_messages: true }),
  );
  await completed('getTask', tid, (id) => ctx.client.getTask(id));
  const found = await ctx.client.queryUsers({ id: a });
  check(found.users.length === 1, `a reactivated user is not listed: ${short(found.users)}`);
  check(!found.users[0].deactivated_at, `still deactivated: ${short(found.users[0])}`);
});

kase('deactivate_reactivate_user_single', async (ctx) => {
  const [a] = await makeUsers(ctx, 1);
  const off = await ctx.client.deactivateUser(a, { mark_messages_deleted: false });
  check(off.user?.id === a, `deactivateUser answered ${short(off)}`);
  saneTime('deactivateUser: user.deactivated_at', off.user.deactivated_at);
  const hidden = await ctx.client.queryUsers({ id: a });
  check(hidden.users.length === 0, 'a deactivated user is still listed');
  const on = await ctx.client.reactivateUser(a, { restore_messages: true });
  check(on.user?.id === a && !on.user.deactivated_at, `reactivateUser answered ${short(on)}`);
  const back = await ctx.client.queryUsers({ id: a });
  check(back.users.length === 1, 'a reactivated user is not listed');
  const err = await expectApiError(
    'deactivateUser(unknown)',
    ctx.client.deactivateUser(ctx.uid('nobody')),
  );
  checkEnvelope('deactivateUser(unknown)', err, 404, 16);
});

// Calls outside the emulator's scope answer Stream's envelope: a clear, non-retryable
// error (HTTP 501, code 17) that names the call, not a hang or an HTML page.
kase('lifecycle_calls_restore_truncate_export_user', async (ctx) => {
  // Served since issue 18 (they were 501 before): the v2 handlers in the v1 dialect.
  const [a, b] = await makeUsers(ctx, 2);
  const { channel } = await makeChannel(ctx, [a, b]);
  await channel.sendMessage({ text: 'before the cut', user_id: a });
  const exported = await ctx.client.exportUser(a);
  check(exported.user && exported.user.id === a, `exportUser user ${short(exported.user)}`);
  check((exported.messages || []).some((m) => m.text === 'before the cut'), `exportUser messages ${short(exported.messages)}`);
  const truncated = await channel.truncate({ hard_delete: true, user_id: b, message: { text: 'cleared', user_id: b } });
  check(truncated.channel && truncated.channel.truncated_at, `truncate channel ${short(truncated.channel)}`);
  check(truncated.message && truncated.message.type === 'system', `truncate message ${short(truncated.message)}`);
  const after = await ctx.client.exportUser(a);
  check(!(after.messages || []).some((m) => m.text === 'before the cut'), 'a hard truncate left the message in exportUser');
  const err = await expectApiError('restoreUsers(never deleted, unknown)', ctx.client.restoreUsers([`ghost-${a}`]));
  checkEnvelope('restoreUsers(unknown)', err, 400, 4);
  await ctx.client.restoreUsers([a]);
});

kase('bad_secret_is_api_error', async (ctx) => {
  const wrong = `wrong-${crypto.randomBytes(32).toString('hex')}`;
  const client = ctx.server({ apiSecret: wrong });
  const err = await expectApiError('getTask with a wrong secret', client.getTask('whatever'));
  checkEnvelope('getTask with a wrong secret', err, 401);
  check([5, 43].includes(err.code), `code ${err.code}, expected 43 (signature) or 5: ${err.message}`);
  const raw = JSON.stringify(err.response.data);
  for (const secret of [wrong, ctx.apiSecret, client._getToken()]) {
    check(!raw.includes(secret) && !err.message.includes(secret), 'the error echoes a secret or token');
  }
  const err2 = await expectApiError('exportUsers with a wrong secret', client.exportUsers({ user_ids: ['x'] }));
  check(err2.status === 401 && err2.code === err.code, `POST with a wrong secret: ${err2.message}`);
});

kase('unknown_api_key_is_api_error', async (ctx) => {
  const client = ctx.server({ apiKey: `no-such-key-${ctx.run}` });
  const err = await expectApiError('getTask with an unknown api_key', client.getTask('whatever'));
  checkEnvelope('getTask with an unknown api_key', err, 401, 2);
});

kase('unknown_task_id', async (ctx) => {
  const missing = `${ctx.uid('no-task')}/x y`;
  const err = await expectApiError('getTask(unknown)', ctx.client.getTask(missing));
  const body = checkEnvelope('getTask(unknown)', err, 404, 16);
  check(body.message.includes("Can't find task with id"), `message ${short(body.message)}`);
  check(body.message.includes(missing), `message does not name the (decoded) id: ${short(body.message)}`);
});

kase('bad_input_is_api_error', async (ctx) => {
  const ids = Array.from({ length: 26 }, (_, i) => `u${i}`);
  const err = await expectApiError('exportUsers(26 ids)', ctx.client.exportUsers({ user_ids: ids }));
  const body = checkEnvelope('exportUsers(26 ids)', err, 400, 4);
  check(
    body.exception_fields && typeof body.exception_fields.user_ids === 'string',
    `no exception_fields.user_ids in ${short(body)}`,
  );
  const err2 = await expectApiError('exportChannels([])', ctx.client.exportChannels([]));
  checkEnvelope('exportChannels([])', err2, 400, 4);
});

kase(
  'rate_limited_429',
  async (ctx) => {
    await admin(ctx, 'POST', 'faults', {
      route: 'GET /tasks/{id}',
      action: 'respond',
      status: 429,
      retry_after: '2',
      times: 1,
    });
    const missing = ctx.uid('no-task');
    const err = await expectApiError('getTask under an injected 429', ctx.client.getTask(missing));
    checkEnvelope('getTask under an injected 429', err, 429, 9);
    check(err.response.headers['retry-after'] === '2', `Retry-After ${short(err.response.headers['retry-after'])}`);
    const after = await expectApiError('getTask after the one-shot fault', ctx.client.getTask(missing));
    checkEnvelope('getTask after the one-shot fault', after, 404, 16);
  },
  { admin: true },
);

kase(
  'non_json_502',
  async (ctx) => {
    const html = '<html><body>bad gateway</body></html>';
    await admin(ctx, 'POST', 'faults', {
      route: 'GET /tasks/{id}',
      action: 'respond',
      status: 502,
      body_text: html,
      times: 1,
    });
    const err = await expectApiError('getTask under an injected HTML 502', ctx.client.getTask(ctx.uid('t')));
    check(err.status === 502 && err.code === null, `status/code ${err.status}/${err.code}, expected 502/null`);
    check(err.message === 'StreamChat error HTTP code: 502', `message ${short(err.message)}`);
    check(err.response.data === html, `raw body ${short(err.response.data)}`);
  },
  { admin: true },
);

kase(
  'scripted_task_failure_fields',
  async (ctx) => {
    const error = { type: 'boom', description: 'it broke on purpose', stacktrace: 'at job.rs:1', version: 'v9' };
    const created = await admin(ctx, 'POST', 'tasks', {
      steps: [
        { status: 'pending', duration_ms: 300 },
        { status: 'running', duration_ms: 300 },
        { status: 'failed' },
      ],
      error,
    });
    const tid = created.task_id;
    check(typeof tid === 'string' && tid !== '', `admin tasks answered ${short(created)}`);
    const { final, seen } = await waitTask('getTask', tid, (id) => ctx.client.getTask(id));
    check(['pending', 'running'].includes(seen[0]), `scripted task starts as ${seen[0]}`);
    check(final.status === 'failed', `scripted task ended ${final.status}`);
    check(
      final.error?.type === error.type && final.error?.description === error.description,
      `error ${short(final.error)}, expected ${short(error)}`,
    );
  },
  { admin: true },
);

/** A webhook receiver on 127.0.0.1:0 that keeps each delivery's raw body and headers. */
async function webhookReceiver() {
  const deliveries = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    deliveries,
    /** Waits until a delivery matches `pred` (on its parsed event) or `ms` pass. */
    async waitFor(pred, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = deliveries.find((d) => {
          try {
            const raw = d.body[0] === 0x1f && d.body[1] === 0x8b ? gunzipSync(d.body) : d.body;
            return pred(JSON.parse(raw.toString('utf8')));
          } catch {
            return false;
          }
        });
        if (hit) return hit;
        const left = deadline - Date.now();
        check(left > 0, `no matching webhook within ${ms} ms; got ${deliveries.length} deliveries`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.min(left, 200));
        });
      }
    },
    // close() alone waits for the emulator's keep-alive connections to go away (up to a
    // minute): the test is done with them, so drop them first.
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

// stream-chat's own webhook checks accept the emulator's signed deliveries: `verifyWebhook`
// over the raw body, and `verifyAndParseWebhook` for a gzip body (compression on).
kase('webhook_verify', async (ctx) => {
  const receiver = await webhookReceiver();
  try {
    await ctx.client.updateAppSettings({
      webhook_url: receiver.url,
      enable_hook_payload_compression: false,
    });
    const app = await ctx.client.getAppSettings();
    check(app.app?.webhook_url === receiver.url, `getAppSettings: webhook_url ${short(app.app?.webhook_url)}`);
    const [a, b] = await makeUsers(ctx, 2);
    const { cid } = await makeChannel(ctx, [a], ['hook']);
    const tid = taskIdOf('exportChannels', await ctx.client.exportChannels([{ cid }]));
    await completed('getTask', tid, (id) => ctx.client.getTask(id));
    const plain = await receiver.waitFor((e) => e.task_id === tid);
    const sig = plain.headers['x-signature'];
    check(typeof sig === 'string' && sig !== '', `delivery without X-Signature: ${short(plain.headers)}`);
    check(
      ctx.client.verifyWebhook(plain.body, sig),
      `verifyWebhook rejected a delivery: ${short(plain.body.toString('utf8'))}`,
    );
    check(ctx.client.verifyWebhook(plain.body.toString('utf8'), sig), 'verifyWebhook rejected the body as a string');
    const event = JSON.parse(plain.body.toString('utf8'));
    check(event.type === 'export.channels.success', `event type ${short(event.type)}`);
    const tampered = Buffer.from(plain.body.toString('utf8').replace(tid, `${tid}x`));
    check(!ctx.client.verifyWebhook(tampered, sig), 'verifyWebhook accepted a tampered body');
    const stranger = ctx.server({ apiSecret: crypto.randomBytes(32).toString('hex') });
    check(!stranger.verifyWebhook(plain.body, sig), 'another secret verified the delivery');

    // Events of the single-user calls are signed the same way.
    await ctx.client.deactivateUser(a);
    const off = await receiver.waitFor((e) => e.type === 'user.deactivated' && e.user?.id === a);
    check(ctx.client.verifyWebhook(off.body, off.headers['x-signature']), 'verifyWebhook rejected user.deactivated');
    await ctx.client.reactivateUser(a);
    const on = await receiver.waitFor((e) => e.type === 'user.reactivated' && e.user?.id === a);
    check(ctx.client.verifyWebhook(on.body, on.headers['x-signature']), 'verifyWebhook rejected user.reactivated');
    await ctx.client.deleteUser(b);
    const gone = await receiver.waitFor((e) => e.type === 'user.deleted' && e.user?.id === b);
    check(ctx.client.verifyWebhook(gone.body, gone.headers['x-signature']), 'verifyWebhook rejected user.deleted');

    await ctx.client.updateAppSettings({ enable_hook_payload_compression: true });
    const tid2 = taskIdOf('exportUsers', await ctx.client.exportUsers({ user_ids: [a] }));
    await completed('getTask', tid2, (id) => ctx.client.getTask(id));
    const zipped = await receiver.waitFor((e) => e.task_id === tid2);
    const zsig = zipped.headers['x-signature'];
    check(zipped.body[0] === 0x1f && zipped.body[1] === 0x8b, 'compression on, but the body is not gzip');
    check(ctx.client.verifyWebhook(gunzipSync(zipped.body), zsig), 'verifyWebhook rejected the gunzipped body');
    const parsed = ctx.client.verifyAndParseWebhook(zipped.body, zsig);
    check(
      parsed.type === 'export.users.success' && parsed.task_id === tid2,
      `verifyAndParseWebhook gave ${short(parsed)}`,
    );
  } finally {
    await ctx.client
      .updateAppSettings({ webhook_url: '', enable_hook_payload_compression: false })
      .catch(() => {});
    await receiver.close();
  }
});

// ---------------------------------------------------------------- runner
async function runCase(ctx, { name, fn }) {
  const mark = RESPONSES.length;
  const t0 = Date.now();
  let failure = null;
  try {
    await fn(ctx);
  } catch (e) {
    if (e instanceof CaseFailure) failure = e.message;
    else if (e?.name === 'ErrorFromResponse') {
      failure = `unexpected ${e.name} status=${e.status} code=${e.code}: ${e.message} body=${short(e.response?.data)}`;
    } else {
      const where = (e?.stack ?? '').split('\n').find((l) => l.includes('compat.mjs')) ?? '';
      failure = `${e?.name ?? 'Error'}: ${e?.message ?? e} ${where.trim()}`;
    }
  }
  const ms = Date.now() - t0;
  if (failure === null) {
    console.log(`PASS ${name} (${ms} ms)`);
    return true;
  }
  console.log(`FAIL ${name} (${ms} ms): ${failure}`);
  const last = RESPONSES.length > mark ? RESPONSES[RESPONSES.length - 1] : null;
  if (last) console.log(`     last response: ${last.method} ${last.url} -> ${last.status} ${short(last.body)}`);
  return false;
}

function parseArgs(argv) {
  const args = {
    baseURL: process.env.STREAM_BASE_URL,
    apiKey: process.env.STREAM_API_KEY,
    apiSecret: process.env.STREAM_API_SECRET,
    only: [],
    list: false,
    noAdmin: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      i += 1;
      return argv[i];
    };
    if (a === '--base-url') args.baseURL = value();
    else if (a === '--api-key') args.apiKey = value();
    else if (a === '--api-secret') args.apiSecret = value();
    else if (a === '--only') args.only.push(value());
    else if (a === '--list') args.list = true;
    else if (a === '--no-admin') args.noAdmin = true;
    else if (a === '-h' || a === '--help') usage(null);
    else usage(`unknown argument ${a}`);
  }
  return args;
}

function usage(problem) {
  const text =
    'usage: node compat.mjs [--base-url URL --api-key K --api-secret S] [--only CASE]... [--list] [--no-admin]';
  if (problem) {
    console.error(`compat.mjs: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const c of CASES) console.log(c.admin ? `${c.name} (admin)` : c.name);
    return 0;
  }
  if (!(args.baseURL && args.apiKey && args.apiSecret)) {
    usage('--base-url, --api-key and --api-secret (or STREAM_* env vars) are required');
  }
  const unknown = args.only.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) usage(`unknown case(s): ${unknown.join(', ')}`);
  let host;
  try {
    host = new URL(args.baseURL).hostname;
  } catch {
    usage(`--base-url ${args.baseURL} is not a URL`);
  }
  if (!isLoopback(host)) usage(`refusing to run against non-loopback ${args.baseURL}`);
  const ctx = new Ctx(args.baseURL.replace(/\/+$/, ''), args.apiKey, args.apiSecret);
  let passed = 0;
  let failed = 0;
  for (const c of CASES) {
    if (args.only.length && !args.only.includes(c.name)) continue;
    if (args.noAdmin && c.admin) continue;
    if (await runCase(ctx, c)) passed += 1;
    else failed += 1;
  }
  console.log(`js-compat: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
