// createSignedFetch against the emulator (which verifies every signature independently):
// plain and streamed calls, replaced auth headers, every body type, clock skew, abort, a
// caller's own fetch, API keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSignedFetch } from '../../pkg/node.js';
import { EMULATOR, credentials, json, sawClientClose } from './helpers.mjs';

const CLAUDE = JSON.stringify({ prompt: '\n\nHuman: What is your name?\n\nAssistant:', max_tokens_to_sample: 50 });
const invokeUrl = (model = 'anthropic.claude-v2') => `${EMULATOR}/model/${encodeURIComponent(model)}/invoke`;
let key = 0;
const fresh = (spec) => `${spec},key=${Date.now()}-${key++}`;

test('createSignedFetch signs a plain call, replacing the auth headers the caller set', async () => {
  const signedFetch = createSignedFetch({ region: 'us-east-1', credentials });
  const r = await signedFetch(invokeUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-not-for-bedrock', 'x-api-key': 'also-not', 'x-stainless-lang': 'js' },
    body: CLAUDE,
  });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(json(new Uint8Array(await r.arrayBuffer())).completion, ' My name is Claude.');
});

test('createSignedFetch signs every body type fetch takes', async () => {
  const signedFetch = createSignedFetch({ region: 'us-east-1', credentials: async () => credentials });
  const bodies = [
    CLAUDE,
    new TextEncoder().encode(CLAUDE),
    new TextEncoder().encode(CLAUDE).buffer,
    new DataView(new TextEncoder().encode(CLAUDE).buffer),
    new Blob([CLAUDE]),
    new Response(CLAUDE).body,
    (async function* () {
      yield CLAUDE.slice(0, 10);
      yield new TextEncoder().encode(CLAUDE.slice(10));
    })(),
  ];
  for (const body of bodies) {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    if (body?.getReader || body?.[Symbol.asyncIterator]) init.duplex = 'half';
    const r = await signedFetch(invokeUrl(), init);
    assert.equal(r.status, 200, `${Object.prototype.toString.call(body)}: ${await r.text()}`);
  }
  // A Request object, and a URL object.
  const r = await signedFetch(new Request(invokeUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE }));
  assert.equal(r.status, 200, await r.text());
  const r2 = await signedFetch(new URL(invokeUrl()), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE });
  assert.equal(r2.status, 200);
});

test('createSignedFetch refuses what it cannot sign, before sending', async () => {
  let sent = 0;
  const signedFetch = createSignedFetch({ region: 'us-east-1', credentials, fetch: async () => (sent++, new Response('{}')) });
  await assert.rejects(signedFetch(invokeUrl(), { method: 'POST', body: new FormData() }), TypeError);
  await assert.rejects(signedFetch(invokeUrl(), { method: 'POST', body: new Blob([new Uint8Array(25_000_001)]) }), RangeError);
  await assert.rejects(signedFetch('http://example.com/model/m/invoke', { method: 'POST', body: '{}' }), (e) => e.name === 'InsecureEndpointError');
  assert.equal(sent, 0);
  assert.throws(() => createSignedFetch({ credentials }), TypeError);
  assert.throws(() => createSignedFetch({ region: 'us-east-1' }), TypeError);
  assert.throws(() => createSignedFetch({ region: 'us-east-1', credentials, fetch: 'no' }), TypeError);
});

test('createSignedFetch streams, and abort closes the connection', async () => {
  const signedFetch = createSignedFetch({ region: 'us-east-1', credentials });
  const controller = new AbortController();
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Tell me a long story' }] }], inferenceConfig: { maxTokens: 4000 } });
  const r = await signedFetch(`${EMULATOR}/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse-stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: controller.signal,
  });
  assert.equal(r.status, 200);
  const id = r.headers.get('x-amzn-requestid');
  const reader = r.body.getReader();
  const first = await reader.read();
  assert.ok(first.value.length > 0, 'the first bytes arrive before the answer is done');
  controller.abort();
  await assert.rejects(reader.read(), (e) => e.name === 'AbortError');
  await sawClientClose(id);
});

test('createSignedFetch corrects clock skew with one re-signed request', async () => {
  for (const skew of [-600, 600]) {
    let calls = 0;
    const signedFetch = createSignedFetch({ region: 'us-east-1', credentials, fetch: (url, init) => (calls++, fetch(url, init)) });
    const model = `emulator-fault:${fresh(`clock-skew=${skew}`)}:anthropic.claude-v2`;
    const r = await signedFetch(invokeUrl(model), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE });
    assert.equal(r.status, 200, `${skew}: ${await r.clone().text()}`);
    assert.equal(calls, 2, 'one rejected, one re-signed');
    // The offset is kept: the next call is signed right the first time.
    calls = 0;
    const again = await signedFetch(invokeUrl(model), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE });
    assert.equal(again.status, 200);
    assert.equal(calls, 1);
  }
});

test('createSignedFetch passes errors through as responses, and looks up the global fetch at call time', async () => {
  const signedFetch = createSignedFetch({ region: 'us-east-1', credentials });
  const r = await signedFetch(invokeUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"x"}' });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /max_tokens_to_sample/);
  const original = globalThis.fetch;
  let intercepted = 0;
  globalThis.fetch = (url, init) => (intercepted++, original(url, init));
  try {
    const ok = await signedFetch(invokeUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE });
    assert.equal(ok.status, 200);
  } finally {
    globalThis.fetch = original;
  }
  assert.equal(intercepted, 1, 'a fetch wrapper installed later is used');
});

test('createSignedFetch with an API key sends it as a bearer token', async () => {
  const token = process.env.API_KEY;
  const signedFetch = createSignedFetch({ region: 'us-east-1', token: async () => ({ token }) });
  const r = await signedFetch(invokeUrl(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: CLAUDE });
  assert.equal(r.status, 200, await r.clone().text());
  const wrong = createSignedFetch({ region: 'us-east-1', token: 'ABSKwrong' });
  const refused = await wrong(invokeUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: CLAUDE });
  assert.equal(refused.status, 403);
});
