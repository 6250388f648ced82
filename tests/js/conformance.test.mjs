// The same calls through `@aws-sdk/client-bedrock-runtime` (devDependency) and through the
// package, against the emulator: identical results where the SDK behaves correctly. Fields that
// differ by nature (request ids, latencies) are left out of the comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BedrockRuntime as SdkBedrockRuntime } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntime } from '../../pkg/node.js';
import { EMULATOR, claude, converseInput, credentials } from './helpers.mjs';

const config = { region: 'us-east-1', endpoint: EMULATOR, credentials, maxAttempts: 1 };
const sdk = new SdkBedrockRuntime(config);
const ours = new BedrockRuntime(config);
const both = async (f) => Promise.all([f(sdk), f(ours)]);

const withoutLatency = (v) => JSON.parse(JSON.stringify(v, (k, x) => (/latency/i.test(k) ? undefined : x)));

test('invokeModel: same body bytes and contentType', async () => {
  const [a, b] = await both((c) => c.invokeModel(claude('Tell me about frames', 40)));
  assert.deepEqual(new Uint8Array(b.body), new Uint8Array(a.body));
  assert.equal(b.body.transformToString(), a.body.transformToString());
  assert.equal(b.contentType, a.contentType);
  assert.equal(b.$metadata.httpStatusCode, a.$metadata.httpStatusCode);
});

test('invokeModelWithResponseStream: same chunks', async () => {
  const collect = async (c) => {
    const out = await c.invokeModelWithResponseStream({ modelId: 'amazon.nova-lite-v1:0', body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Tell me about frames' }] }], inferenceConfig: { max_new_tokens: 20 } }) });
    const chunks = [];
    for await (const e of out.body) chunks.push(withoutLatency(JSON.parse(new TextDecoder().decode(e.chunk.bytes))));
    return { chunks, contentType: out.contentType };
  };
  const [a, b] = await both(collect);
  assert.deepEqual(b, a);
});

test('converse: same output, stopReason, usage', async () => {
  const [a, b] = await both((c) => c.converse(converseInput('Tell me about frames', { inferenceConfig: { maxTokens: 30 } })));
  for (const k of ['output', 'stopReason', 'usage']) assert.deepEqual(b[k], a[k], k);
  assert.deepEqual(Object.keys(b.metrics), Object.keys(a.metrics));
});

test('converseStream: same events', async () => {
  const collect = async (c) => {
    const out = await c.converseStream(converseInput('Tell me about frames', { modelId: 'amazon.nova-lite-v1:0', inferenceConfig: { maxTokens: 25 } }));
    const events = [];
    for await (const e of out.stream) events.push(withoutLatency(e));
    return events;
  };
  const [a, b] = await both(collect);
  assert.deepEqual(b, a);
});

const errorOf = async (p) => p.then(() => assert.fail('expected an error'), (e) => ({ name: e.name, fault: e.$fault, status: e.$metadata?.httpStatusCode, message: e.message }));

test('errors: same name, $fault, status and message', async () => {
  for (const modelId of ['emulator-fault:throttle:anthropic.claude-v2', 'emulator-fault:access-denied:anthropic.claude-v2', 'emulator-fault:internal:anthropic.claude-v2']) {
    const [a, b] = await both((c) => errorOf(c.invokeModel({ ...claude(), modelId })));
    assert.deepEqual(b, a, modelId);
  }
  const [a, b] = await both((c) => errorOf(c.invokeModel({ modelId: 'anthropic.claude-v2', body: '{"prompt":"x"}' })));
  assert.deepEqual(b, a);
});

test('stream exceptions: same name and message', async () => {
  const run = (c) =>
    errorOf(
      (async () => {
        const out = await c.invokeModelWithResponseStream({ ...claude(), modelId: 'emulator-fault:exception=modelStreamErrorException@2:anthropic.claude-v2' });
        for await (const _ of out.body);
      })(),
    );
  const [a, b] = await both(run);
  assert.equal(b.name, a.name);
  assert.equal(b.message, a.message);
});
