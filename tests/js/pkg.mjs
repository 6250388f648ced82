// The built npm package (pkg/) in Node against the emulator: the AWS-SDK-shaped API, the
// stream as an async iterable, errors as named Error objects, and `break` cancelling.
// `cargo xtask test` builds pkg/, starts the emulator and passes its URL and credentials.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import init, { BedrockRuntime } from '../../pkg/bedrock_wasm.js';

const env = process.env;
const expected = JSON.parse(env.EXPECTED);
await init({ module_or_path: await readFile(new URL('../../pkg/bedrock_wasm_bg.wasm', import.meta.url)) });

const config = (secretAccessKey = env.SECRET_ACCESS_KEY) => ({
  region: 'us-east-1',
  endpoint: env.EMULATOR_URL,
  credentials: { accessKeyId: env.ACCESS_KEY_ID, secretAccessKey, sessionToken: env.SESSION_TOKEN },
});
const input = (maxTokens = expected.maxTokens) => ({
  modelId: 'anthropic.claude-v2',
  contentType: 'application/json',
  accept: 'application/json',
  body: JSON.stringify({
    prompt: `\n\nHuman: ${expected.prompt}\n\nAssistant:`,
    max_tokens_to_sample: maxTokens,
  }),
});
const json = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

const tests = {
  async 'invokeModel returns the whole answer'() {
    const out = await new BedrockRuntime(config()).invokeModel(input());
    assert.ok(out.body instanceof Uint8Array);
    assert.equal(out.contentType, 'application/json');
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.match(out.$metadata.requestId, /\S/);
    const body = json(out.body);
    assert.equal(body.completion, expected.text);
    assert.equal(body.stop_reason, expected.stopReason);
  },

  async 'invokeModelWithResponseStream yields chunks as an async iterable'() {
    const out = await new BedrockRuntime(config()).invokeModelWithResponseStream(input());
    assert.equal(out.contentType, 'application/json');
    let text = '';
    let last;
    let count = 0;
    for await (const event of out.body) {
      assert.ok(event.chunk.bytes instanceof Uint8Array);
      last = json(event.chunk.bytes);
      text += last.completion;
      count++;
    }
    assert.equal(text, expected.text);
    assert.equal(count, expected.outputTokens);
    assert.equal(last.stop_reason, expected.stopReason);
    assert.equal(last['amazon-bedrock-invocationMetrics'].inputTokenCount, expected.inputTokens);
  },

  async 'a wrong secret rejects with a named AWS error'() {
    await assert.rejects(new BedrockRuntime(config('wrong')).invokeModelWithResponseStream(input()), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'InvalidSignatureException');
      assert.equal(e.$fault, 'client');
      assert.equal(e.$metadata.httpStatusCode, 403);
      assert.match(e.message, /signature we calculated does not match/);
      return true;
    });
  },

  async 'break in for-await cancels the request'() {
    const out = await new BedrockRuntime(config()).invokeModelWithResponseStream(input(1000));
    let n = 0;
    for await (const _ of out.body) {
      if (++n === 3) break;
    }
    for (let i = 0; i < 50; i++) {
      const log = await (await fetch(`${env.EMULATOR_URL}/_emulator/log`)).json();
      const record = log.find((r) => r.id === out.$metadata.requestId);
      if (record?.client_closed_early) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the emulator never saw the connection close');
  },

  async 'bad input is a TypeError that says what to pass'() {
    assert.throws(() => new BedrockRuntime({ credentials: {} }), /region is required/);
    await assert.rejects(new BedrockRuntime(config()).invokeModel({ body: '{}' }), /modelId is required/);
  },
};

let failed = 0;
for (const [name, run] of Object.entries(tests)) {
  try {
    await run();
    console.log(`ok   pkg: ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL pkg: ${name}\n${e.stack}`);
  }
}
if (failed) {
  console.log(`${failed} package test(s) failed`);
  process.exit(1);
}
