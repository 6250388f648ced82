// The seed's calls through the AWS SDK for JavaScript v3 (@aws-sdk/client-bedrock-runtime),
// unchanged, against a running emulator. Not part of `cargo test` (it needs the SDK from npm);
// run it by hand, see emulator/README.md ("Yardsticks"):
//
//   npm install --prefix /tmp/sdk @aws-sdk/client-bedrock-runtime
//   cargo run -p bedrock-emulator -- --port 4010 &
//   SDK_DIR=/tmp/sdk EMULATOR_URL=http://127.0.0.1:4010 node emulator/tests/js_sdk_seed.mjs
//
// The SDK's default Node handler speaks HTTP/2 to bedrock-runtime (h2c on an http:// URL);
// the emulator accepts HTTP/1.1 and HTTP/2 alike.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.SDK_DIR ?? process.cwd()}/`);
const {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ConverseCommand,
  ConverseStreamCommand,
} = require('@aws-sdk/client-bedrock-runtime');

const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: process.env.EMULATOR_URL ?? 'http://127.0.0.1:4010',
  credentials: {
    accessKeyId: 'AKIDEMULATOR0000DEMO',
    secretAccessKey: 'emulator/demo/secret/key',
    sessionToken: 'emulator-demo-session-token',
  },
});
const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

// The seed: InvokeModel on anthropic.claude-v2.
const seed = JSON.stringify({ prompt: '\n\nHuman:What is your name?\n\nAssistant:', max_tokens_to_sample: 200 });
const invoked = await client.send(new InvokeModelCommand({ modelId: 'anthropic.claude-v2', body: seed }));
assert.deepEqual(decode(invoked.body), { completion: ' My name is Claude.', stop_reason: 'stop_sequence', stop: '\n\nHuman:' });

// The seed: InvokeModelWithResponseStream, chunk by chunk.
const essay = JSON.stringify({
  prompt: '\n\nHuman: Write me a 100 word essay about snickers candy bars\n\nAssistant:',
  max_tokens_to_sample: 200,
});
const streamed = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: 'anthropic.claude-v2', body: essay }));
let text = '';
let last;
for await (const event of streamed.body) {
  last = decode(event.chunk.bytes);
  text += last.completion;
}
assert.ok(text.length > 100 && /[^\x00-\x7f]/.test(text), 'a long multi-byte answer');
assert.equal(last['amazon-bedrock-invocationMetrics'].outputTokenCount > 0, true);

// Converse and ConverseStream through an inference profile and an ARN.
const messages = [{ role: 'user', content: [{ text: 'What is your name?' }] }];
for (const modelId of ['us.anthropic.claude-3-5-sonnet-20240620-v1:0', 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0']) {
  const answer = await client.send(new ConverseCommand({ modelId, messages }));
  assert.equal(answer.output.message.content[0].text, ' My name is Claude.');
  assert.equal(typeof answer.metrics.latencyMs, 'number');
  const stream = await client.send(new ConverseStreamCommand({ modelId, messages }));
  const names = [];
  let streamedText = '';
  for await (const event of stream.stream) {
    const [name] = Object.keys(event);
    names.push(name);
    if (name === 'contentBlockDelta') streamedText += event.contentBlockDelta.delta.text;
  }
  assert.equal(streamedText, ' My name is Claude.');
  assert.deepEqual(names.slice(-3), ['contentBlockStop', 'messageStop', 'metadata']);
}

// Faults through the model-id prefix: a throttle the SDK retries, an in-stream exception.
const retried = await client.send(new InvokeModelCommand({ modelId: `emulator-fault:throttle=1,key=js-${Date.now()}:anthropic.claude-v2`, body: seed }));
assert.equal(retried.$metadata.attempts, 2);
const failing = await client.send(new ConverseStreamCommand({ modelId: 'emulator-fault:exception=throttlingException@2:amazon.nova-lite-v1:0', messages }));
await assert.rejects(async () => {
  for await (const _ of failing.stream) { /* drain */ }
}, (e) => e.name === 'ThrottlingException');

console.log('AWS SDK for JavaScript: all seed calls passed against', process.env.EMULATOR_URL);
