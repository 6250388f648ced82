// The official `openai` and `@anthropic-ai/sdk` packages with createSignedFetch as their
// `fetch`, against the emulator's OpenAI Chat Completions (/openai/v1) and Anthropic Messages
// (/anthropic) routes, which verify every SigV4 signature (service `bedrock`) independently:
// plain and streamed calls, the SDKs' own auth headers replaced, API keys, abort, hostile SSE
// delivery, HTTP faults as the SDKs' error classes, and clock skew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createSignedFetch } from '../../pkg/node.js';
import { EMULATOR, credentials, emulatorLog, sawClientClose } from './helpers.mjs';

const GPT = 'openai.gpt-oss-20b-1:0';
const CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NAME = 'What is your name?';
const ANSWER = ' My name is Claude.';
// The emulator echoes what follows the marker, 3 characters per token: multi-byte text that
// `fragment=1` delivers one byte per network write.
const ECHO_TEXT = 'Straße, café, 日本語 and 🍫: naïve ☕ — done.';
// Short, for a byte per write (each write waits a millisecond).
const SHORT_TEXT = 'Straße 日本語 ☕';
let key = 0;
const fresh = (spec) => `${spec},key=compat-${Date.now()}-${key++}`;

/** Counts the requests sent, to see the skew correction's one re-signed retry. */
function counting(config = { region: 'us-east-1', credentials }) {
  const counter = { calls: 0, authorization: [] };
  counter.fetch = createSignedFetch({
    ...config,
    fetch: (url, init) => {
      counter.calls++;
      counter.authorization.push(new Headers(init.headers).get('authorization'));
      return fetch(url, init);
    },
  });
  return counter;
}

const openai = (fetch = createSignedFetch({ region: 'us-east-1', credentials }), extra = {}) =>
  new OpenAI({ baseURL: `${EMULATOR}/openai/v1`, apiKey: 'unused', fetch, maxRetries: 0, ...extra });
const anthropic = (fetch = createSignedFetch({ region: 'us-east-1', credentials }), extra = {}) =>
  new Anthropic({ baseURL: `${EMULATOR}/anthropic`, apiKey: 'unused', fetch, maxRetries: 0, ...extra });

async function record(id) {
  return (await emulatorLog()).find((r) => r.id === id);
}

test('openai: a plain chat completion, signed; the SDK bearer key is replaced', async () => {
  const c = counting();
  const { data, response } = await openai(c.fetch)
    .chat.completions.create({ model: GPT, messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: NAME }] })
    .withResponse();
  assert.equal(data.choices[0].message.content, ANSWER);
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.usage.completion_tokens, 4);
  assert.match(c.authorization[0], /^AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000DEMO\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
  const r = await record(response.headers.get('x-amzn-requestid'));
  assert.equal(r.operation, 'OpenAI.ChatCompletions');
  assert.equal(r.signature, 'valid');
  assert.equal(r.model_id, GPT);
});

test('openai: a streamed chat completion with usage', async () => {
  const stream = await openai().chat.completions.create({
    model: GPT,
    messages: [{ role: 'user', content: NAME }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage;
  let finish;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason ?? undefined;
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, ANSWER);
  assert.equal(finish, 'stop');
  assert.equal(usage.completion_tokens, 4);
});

test('anthropic: a plain message, signed; the SDK x-api-key is replaced', async () => {
  const c = counting();
  const { data, response } = await anthropic(c.fetch)
    .messages.create({ model: CLAUDE, max_tokens: 200, messages: [{ role: 'user', content: NAME }] })
    .withResponse();
  assert.deepEqual(data.content, [{ type: 'text', text: ANSWER }]);
  assert.equal(data.stop_reason, 'end_turn');
  assert.equal(data.model, CLAUDE);
  assert.equal(c.calls, 1);
  const r = await record(response.headers.get('x-amzn-requestid'));
  assert.equal(r.operation, 'Anthropic.Messages');
  assert.equal(r.signature, 'valid');
});

test('anthropic: a streamed message (events and the SDK helper)', async () => {
  const stream = await anthropic().messages.create({ model: CLAUDE, max_tokens: 200, messages: [{ role: 'user', content: NAME }], stream: true });
  let text = '';
  const types = [];
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
  }
  assert.equal(text, ANSWER);
  assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  const helper = anthropic().messages.stream({ model: CLAUDE, max_tokens: 200, messages: [{ role: 'user', content: 'Tell me about frames.' }] });
  let streamed = '';
  helper.on('text', (t) => (streamed += t));
  const final = await helper.finalMessage();
  assert.equal(streamed, final.content[0].text);
  assert.ok(streamed.length > 100);
  assert.equal(final.stop_reason, 'end_turn');
});

test('both SDKs with a Bedrock API key through token', async () => {
  const fetch = createSignedFetch({ region: 'us-east-1', token: process.env.API_KEY });
  const { data, response } = await openai(fetch).chat.completions.create({ model: GPT, messages: [{ role: 'user', content: NAME }] }).withResponse();
  assert.equal(data.choices[0].message.content, ANSWER);
  assert.equal((await record(response.headers.get('x-amzn-requestid'))).signature, 'api-key');
  const message = await anthropic(fetch).messages.create({ model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: NAME }] });
  assert.equal(message.content[0].text, ANSWER);
  // A wrong key is the SDK's own 403 class.
  const wrong = createSignedFetch({ region: 'us-east-1', token: 'ABSKwrong' });
  await assert.rejects(openai(wrong).chat.completions.create({ model: GPT, messages: [{ role: 'user', content: NAME }] }), (e) => e instanceof OpenAI.PermissionDeniedError && e.status === 403);
});

test('without createSignedFetch the emulator refuses the SDKs', async () => {
  await assert.rejects(
    new OpenAI({ baseURL: `${EMULATOR}/openai/v1`, apiKey: 'sk-unused', maxRetries: 0 }).chat.completions.create({ model: GPT, messages: [{ role: 'user', content: NAME }] }),
    (e) => e instanceof OpenAI.PermissionDeniedError && e.error?.type === 'authentication_error',
  );
  await assert.rejects(
    new Anthropic({ baseURL: `${EMULATOR}/anthropic`, apiKey: 'sk-unused', maxRetries: 0 }).messages.create({ model: CLAUDE, max_tokens: 5, messages: [{ role: 'user', content: NAME }] }),
    (e) => e instanceof Anthropic.PermissionDeniedError && e.status === 403,
  );
});

/**
 * An SDK's stream after abort: events it had already read off the socket may still come (a
 * race with the network; seen once in CI: the Anthropic SDK yielded one), then it ends, quietly
 * or with its abort error; never the rest of the story (~4,000 tokens).
 */
async function endsAfterAbort(it, isAbortError) {
  for (let n = 0; n <= 20; n++) {
    const r = await it.next().catch((e) => (assert.ok(isAbortError(e), String(e)), { done: true }));
    if (r.done) return;
  }
  assert.fail('the stream went on after abort');
}

test('abort closes the connection (both SDKs)', async () => {
  const messages = [{ role: 'user', content: 'Tell me a long story about frames.' }];
  {
    const controller = new AbortController();
    const { data: stream, response } = await openai()
      .chat.completions.create({ model: GPT, messages, stream: true }, { signal: controller.signal })
      .withResponse();
    const id = response.headers.get('x-amzn-requestid');
    const it = stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).done, false);
    controller.abort();
    // The openai SDK ends an aborted stream quietly; either way, it ends.
    await endsAfterAbort(it, (e) => e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError');
    const r = await sawClientClose(id);
    assert.equal(r.completed, false);
  }
  {
    const controller = new AbortController();
    const { data: stream, response } = await anthropic()
      .messages.create({ model: CLAUDE, max_tokens: 4000, messages, stream: true }, { signal: controller.signal })
      .withResponse();
    const id = response.headers.get('x-amzn-requestid');
    const it = stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).done, false);
    controller.abort();
    await endsAfterAbort(it, (e) => e instanceof Anthropic.APIUserAbortError || e.name === 'AbortError');
    await sawClientClose(id);
  }
});

test('hostile SSE delivery (a byte per write, cuts inside data: lines and characters) still gives the exact text', async () => {
  for (const [expected, fault] of [[SHORT_TEXT, 'fragment=1'], [ECHO_TEXT, 'fragment=7'], [ECHO_TEXT, '']]) {
    const headers = { 'x-emulator-fault': fault };
    const content = `emulator-echo:${expected}`;
    const stream = await openai().chat.completions.create({ model: GPT, messages: [{ role: 'user', content }], stream: true }, { headers });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, expected, `openai ${fault}`);
    const helper = anthropic().messages.stream({ model: CLAUDE, max_tokens: 200, messages: [{ role: 'user', content }] }, { headers });
    let streamed = '';
    helper.on('text', (t) => (streamed += t));
    await helper.done();
    assert.equal(streamed, expected, `anthropic ${fault}`);
  }
});

test('HTTP faults surface as the SDKs’ own error classes with the right status', async () => {
  const user = [{ role: 'user', content: NAME }];
  const cases = [
    ['throttle', 429, OpenAI.RateLimitError, Anthropic.RateLimitError, 'rate_limit_error'],
    ['internal', 500, OpenAI.InternalServerError, Anthropic.InternalServerError, 'api_error'],
    ['unavailable', 503, OpenAI.InternalServerError, Anthropic.InternalServerError, 'overloaded_error'],
    ['validation', 400, OpenAI.BadRequestError, Anthropic.BadRequestError, 'invalid_request_error'],
    ['access-denied', 403, OpenAI.PermissionDeniedError, Anthropic.PermissionDeniedError, 'permission_error'],
  ];
  for (const [fault, status, OpenAIClass, AnthropicClass, anthropicType] of cases) {
    const headers = { 'x-emulator-fault': fault };
    await assert.rejects(openai().chat.completions.create({ model: GPT, messages: user }, { headers }), (e) => {
      assert.ok(e instanceof OpenAIClass, `${fault}: ${e}`);
      assert.equal(e.status, status);
      assert.equal(e.headers.get('x-amzn-errortype')?.split(':')[0], e.code, fault);
      return true;
    });
    await assert.rejects(anthropic().messages.create({ model: CLAUDE, max_tokens: 5, messages: user }, { headers }), (e) => {
      assert.ok(e instanceof AnthropicClass, `${fault}: ${e}`);
      assert.equal(e.status, status);
      assert.equal(e.error?.error?.type, anthropicType, fault);
      return true;
    });
  }
  // The SDKs' own retries get past a counted throttle.
  const headers = { 'x-emulator-fault': fresh('throttle=1,retry-after=0') };
  const message = await anthropic(undefined, { maxRetries: 2 }).messages.create({ model: CLAUDE, max_tokens: 50, messages: user }, { headers });
  assert.equal(message.content[0].text, ANSWER);
  // A validation error of the API's own, with OpenAI's param.
  await assert.rejects(openai().chat.completions.create({ model: CLAUDE, messages: user }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'model');
  await assert.rejects(anthropic().messages.create({ model: GPT, max_tokens: 5, messages: user }), (e) => e instanceof Anthropic.BadRequestError && /model identifier is invalid/.test(e.message));
  // An in-band error event mid-stream.
  const stream = await openai().chat.completions.create({ model: GPT, messages: user, stream: true }, { headers: { 'x-emulator-fault': 'exception=throttlingException@3' } });
  await assert.rejects(
    (async () => {
      for await (const _ of stream);
    })(),
    (e) => e instanceof OpenAI.APIError && /Too many requests/.test(e.message),
  );
  const events = await anthropic().messages.create({ model: CLAUDE, max_tokens: 50, messages: user, stream: true }, { headers: { 'x-emulator-fault': 'exception=serviceUnavailableException@3' } });
  await assert.rejects(
    (async () => {
      for await (const _ of events);
    })(),
    (e) => e instanceof Anthropic.APIError && /overloaded_error|unable to process/.test(e.message),
  );
});

test('clock skew is corrected by createSignedFetch with one re-signed request (both SDKs)', async () => {
  for (const skew of [600, -600]) {
    const c = counting();
    const headers = { 'x-emulator-fault': fresh(`clock-skew=${skew}`) };
    const data = await openai(c.fetch).chat.completions.create({ model: GPT, messages: [{ role: 'user', content: NAME }] }, { headers });
    assert.equal(data.choices[0].message.content, ANSWER);
    assert.equal(c.calls, 2, `${skew}: one rejected, one re-signed`);
    const message = await anthropic(c.fetch).messages.create({ model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: NAME }] }, { headers });
    assert.equal(message.content[0].text, ANSWER);
    assert.equal(c.calls, 3, `${skew}: the offset is kept`);
    const stream = await anthropic(c.fetch).messages.create({ model: CLAUDE, max_tokens: 50, messages: [{ role: 'user', content: NAME }], stream: true }, { headers });
    let text = '';
    for await (const e of stream) if (e.type === 'content_block_delta') text += e.delta.text;
    assert.equal(text, ANSWER);
  }
});
