// The built package (pkg/) in Node against the emulator: the four operations with the AWS
// SDK's shapes, every model family, textStream, blobs, bearer tokens and credential providers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BedrockRuntime,
  BedrockRuntimeServiceException,
  ValidationException,
  init,
  textStream,
} from '../../pkg/node.js';
import { FAMILIES, EMULATOR, claude, client, converseInput, credentials, env, json } from './helpers.mjs';

test('init() preloads and is idempotent; calls do not need it', async () => {
  await Promise.all([init(), init()]);
});

test('invokeModel returns the whole answer with the SDK fields', async () => {
  const out = await client().invokeModel(claude());
  assert.ok(out.body instanceof Uint8Array);
  assert.equal(out.body.transformToString(), new TextDecoder().decode(out.body));
  assert.deepEqual(json(out.body), { completion: ' My name is Claude.', stop_reason: 'stop_sequence', stop: '\n\nHuman:' });
  assert.equal(out.contentType, 'application/json');
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.match(out.$metadata.requestId, /\S/);
  assert.equal(out.$metadata.attempts, 1);
  assert.equal(out.$metadata.totalRetryDelay, 0);
  assert.equal(out.usage.outputTokens, 4);
});

test('body may be a Uint8Array', async () => {
  const input = claude();
  const out = await client().invokeModel({ ...input, body: new TextEncoder().encode(input.body) });
  assert.equal(json(out.body).completion, ' My name is Claude.');
});

test('invokeModelWithResponseStream yields { chunk: { bytes } }', async () => {
  const out = await client().invokeModelWithResponseStream(claude('What is your name?'));
  assert.equal(out.contentType, 'application/json');
  assert.equal(out.$metadata.httpStatusCode, 200);
  let text = '';
  let last;
  for await (const event of out.body) {
    assert.deepEqual(Object.keys(event), ['chunk']);
    assert.ok(event.chunk.bytes instanceof Uint8Array);
    last = json(event.chunk.bytes);
    text += last.completion;
  }
  assert.equal(text, ' My name is Claude.');
  assert.equal(last['amazon-bedrock-invocationMetrics'].outputTokenCount, 4);
});

test('converse returns output, stopReason, usage, metrics', async () => {
  const out = await client().converse(converseInput());
  assert.deepEqual(out.output, { message: { role: 'assistant', content: [{ text: ' My name is Claude.' }] } });
  assert.equal(out.stopReason, 'end_turn');
  assert.deepEqual(out.usage, { inputTokens: 8, outputTokens: 4, totalTokens: 12 });
  assert.equal(typeof out.metrics.latencyMs, 'number');
  assert.equal(out.$metadata.httpStatusCode, 200);
});

test('converseStream yields the SDK union members in order', async () => {
  const out = await client().converseStream(converseInput('What is your name?', { inferenceConfig: { maxTokens: 100 } }));
  const kinds = [];
  let text = '';
  for await (const e of out.stream) {
    const keys = Object.keys(e);
    assert.equal(keys.length, 1);
    if (kinds.at(-1) !== keys[0]) kinds.push(keys[0]);
    if (e.contentBlockDelta) text += e.contentBlockDelta.delta.text;
    if (e.messageStop) assert.equal(e.messageStop.stopReason, 'end_turn');
    if (e.metadata) assert.equal(e.metadata.usage.outputTokens, 4);
  }
  assert.equal(text, ' My name is Claude.');
  assert.deepEqual(kinds, ['messageStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
});

for (const [family, [modelId, body]] of Object.entries(FAMILIES)) {
  test(`every operation for ${family} (${modelId}); textStream gives the same text`, async () => {
    const c = client();
    const prompt = `Tell me about ${family} frames`;
    const expected = (await c.converse({ modelId, messages: [{ role: 'user', content: [{ text: family === 'claude-text' ? `\n\nHuman: ${prompt}\n\nAssistant:` : prompt }] }], inferenceConfig: { maxTokens: 12 } }));
    const want = expected.output.message.content[0].text;
    const input = { modelId, body: JSON.stringify(body(prompt, 12)) };
    const whole = await c.invokeModel(input);
    assert.equal(whole.$metadata.httpStatusCode, 200);
    assert.ok(JSON.parse(whole.body.transformToString()));
    const s = textStream(c.invokeModelWithResponseStream(input));
    let text = '';
    for await (const piece of s) text += piece;
    assert.equal(text, want);
    const r = await s.result;
    assert.equal(r.text, want);
    assert.ok(r.stopReason, 'a stop reason');
    assert.equal(r.usage.outputTokens, 12);
    const cs = textStream(c.converseStream({ modelId, messages: expected.output.message.content && [{ role: 'user', content: [{ text: family === 'claude-text' ? `\n\nHuman: ${prompt}\n\nAssistant:` : prompt }] }], inferenceConfig: { maxTokens: 12 } }));
    let ctext = '';
    for await (const piece of cs) ctext += piece;
    assert.equal(ctext, want);
    assert.equal((await cs.result).stopReason, 'max_tokens');
  });
}

test('textStream gives the same pieces and result in text mode (Rust) and over the events (any response object)', async () => {
  const c = client();
  for (const [modelId, makeBody] of [FAMILIES['claude-messages'], FAMILIES['claude-text'], FAMILIES.llama]) {
    const input = { modelId, body: JSON.stringify(makeBody('Compare the two paths', 40)) };
    const collect = async (s) => {
      let text = '';
      for await (const piece of s) text += piece;
      return { text, result: await s.result };
    };
    const fast = await collect(textStream(c.invokeModelWithResponseStream(input)));
    // A response that is not one of ours (e.g. the AWS SDK's): read through its events.
    const res = await c.invokeModelWithResponseStream(input);
    const slow = await collect(textStream({ body: res.body, contentType: res.contentType }, { modelId }));
    assert.ok(fast.text.length > 0);
    // Latencies differ from call to call; everything else must be the same.
    const same = ({ text, result: { metrics, ...rest } }) => ({ text, rest, metricKeys: Object.keys(metrics ?? {}).sort() });
    assert.deepEqual(same(fast), same(slow), modelId);
    // Iteration already begun on ours: the rest is read through the events too.
    const begun = await c.invokeModelWithResponseStream(input);
    const it = begun.body[Symbol.asyncIterator]();
    const first = await it.next();
    const restText = (await collect(textStream(begun))).text;
    assert.ok(!first.done);
    assert.ok(fast.text.endsWith(restText));
  }
  const conv = { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: 'Compare' }] }], inferenceConfig: { maxTokens: 30 } };
  const fast = textStream(c.converseStream(conv));
  let text = '';
  for await (const piece of fast) text += piece;
  const r = await fast.result;
  const events = await c.converseStream(conv);
  const slow = textStream({ stream: events.stream });
  let slowText = '';
  for await (const piece of slow) slowText += piece;
  assert.equal(text, slowText);
  const { metrics, ...rest } = r;
  const { metrics: slowMetrics, ...slowRest } = await slow.result;
  assert.deepEqual(rest, slowRest);
  assert.deepEqual(Object.keys(metrics), Object.keys(slowMetrics));
});

test('Uint8Array blobs are sent as base64 and come back as Uint8Array', async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
  const realFetch = globalThis.fetch;
  let sent;
  globalThis.fetch = async (url, init) => {
    sent = JSON.parse(new TextDecoder().decode(init.body));
    return new Response(
      JSON.stringify({
        output: { message: { role: 'assistant', content: [
          { image: { format: 'png', source: { bytes: 'iVBORwABAv8=' } } },
          { reasoningContent: { redactedContent: 'AAEC' } },
          { toolUse: { toolUseId: 't', name: 'n', input: { source: { bytes: 'not-a-blob' } } } },
        ] } },
        stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 1 },
      }),
      { status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'r' } },
    );
  };
  try {
    const out = await client().converse({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [{ role: 'user', content: [{ text: 'look' }, { image: { format: 'png', source: { bytes: png } } }, { document: { format: 'txt', name: 'd', source: { bytes: Buffer.from('hi') } } }] }],
    });
    assert.equal(sent.messages[0].content[1].image.source.bytes, Buffer.from(png).toString('base64'));
    assert.equal(sent.messages[0].content[2].document.source.bytes, 'aGk=');
    assert.equal(sent.modelId, undefined);
    const [img, red, tool] = out.output.message.content;
    assert.deepEqual(img.image.source.bytes, png);
    assert.deepEqual(red.reasoningContent.redactedContent, new Uint8Array([0, 1, 2]));
    assert.deepEqual(tool.toolUse.input, { source: { bytes: 'not-a-blob' } });
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('a Bedrock API key is sent as a bearer token', async () => {
  const c = new BedrockRuntime({ region: 'us-east-1', endpoint: EMULATOR, token: env.API_KEY });
  const out = await c.converse(converseInput());
  assert.equal(out.stopReason, 'end_turn');
  const alt = new BedrockRuntime({ region: 'us-east-1', endpoint: EMULATOR, token: { token: env.API_KEY } });
  assert.equal((await alt.invokeModel(claude())).$metadata.httpStatusCode, 200);
  const bad = new BedrockRuntime({ region: 'us-east-1', endpoint: EMULATOR, token: 'ABSK-wrong' });
  await assert.rejects(bad.converse(converseInput()), (e) => e instanceof BedrockRuntimeServiceException && e.$metadata.httpStatusCode === 403);
});

test('a credentials provider is called per request and cached until near expiration', async () => {
  let calls = 0;
  const far = async () => (calls++, { ...credentials, expiration: new Date(Date.now() + 3600_000) });
  const c = client({ credentials: far });
  await c.invokeModel(claude());
  await c.converse(converseInput());
  assert.equal(calls, 1);
  let soon = 0;
  const near = async () => (soon++, { ...credentials, expiration: new Date(Date.now() + 60_000) });
  const d = client({ credentials: near });
  await d.invokeModel(claude());
  await d.invokeModel(claude());
  assert.equal(soon, 2, 'credentials expiring within 5 minutes are refreshed');
  let bare = 0;
  const e = client({ credentials: () => (bare++, credentials) });
  await Promise.all([e.invokeModel(claude()), e.invokeModel(claude())]);
  assert.ok(bare >= 1);
  const failing = client({ credentials: async () => { throw new Error('no session'); } });
  await assert.rejects(failing.invokeModel(claude()), /no session/);
});

test('bad input is a TypeError that says what to pass', async () => {
  assert.throws(() => new BedrockRuntime({ credentials: {} }), /region is required/);
  assert.throws(() => new BedrockRuntime({ region: 'us-east-1' }), /credentials/);
  assert.throws(() => client({ maxAttempts: 0 }), /maxAttempts/);
  await assert.rejects(client().invokeModel({ body: '{}' }), /modelId is required/);
  await assert.rejects(client().invokeModel({ modelId: 'anthropic.claude-v2', body: 42 }), TypeError);
  await assert.rejects(client({ credentials: { accessKeyId: 'x' } }).invokeModel(claude()), /secretAccessKey/);
});

test('a service validation error is a ValidationException', async () => {
  await assert.rejects(client().invokeModel({ modelId: 'anthropic.claude-v2', body: '{"prompt":"x"}' }), (e) => {
    assert.ok(e instanceof ValidationException);
    assert.ok(e instanceof BedrockRuntimeServiceException);
    assert.equal(e.name, 'ValidationException');
    assert.equal(e.$fault, 'client');
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, /max_tokens_to_sample/);
    return true;
  });
});

test('a wrong secret is an InvalidSignatureException with advice', async () => {
  const c = client({ credentials: { ...credentials, secretAccessKey: 'wrong' } });
  await assert.rejects(c.invokeModelWithResponseStream(claude()), (e) => {
    assert.ok(e instanceof BedrockRuntimeServiceException);
    assert.equal(e.name, 'InvalidSignatureException');
    assert.equal(e.$fault, 'client');
    assert.equal(e.$metadata.httpStatusCode, 403);
    assert.match(e.message, /signature we calculated does not match/);
    assert.match(e.advice, /secret access key/);
    return true;
  });
});

test('signRequest authorizes a request sent with plain fetch (the emulator verifies SigV4)', async () => {
  const { signRequest } = await import('../../pkg/node.js');
  const url = `${EMULATOR}/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`;
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Sign me' }] }], inferenceConfig: { maxTokens: 5 } });
  const headers = { 'content-type': 'application/json' };
  const signed = await signRequest({ url, headers, body }, { region: 'us-east-1', credentials });
  assert.match(signed.authorization, /^AWS4-HMAC-SHA256 Credential=.*\/us-east-1\/bedrock\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/);
  assert.ok(signed['x-amz-date']);
  const ok = await fetch(url, { method: 'POST', headers: { ...headers, ...signed }, body });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.ok((await ok.json()).output.message.content[0].text);
  // A different body under the same signature is refused.
  const bad = await fetch(url, { method: 'POST', headers: { ...headers, ...signed }, body: body.replace('Sign', 'Forge') });
  assert.equal(bad.status, 403);
  const bearer = await signRequest({ url, body }, { region: 'us-east-1', token: 'my-key' });
  assert.deepEqual(bearer, { authorization: 'Bearer my-key' });
  await assert.rejects(signRequest({ url, body }, { region: 'us-east-1', credentials: { accessKeyId: '' } }), TypeError);
});
