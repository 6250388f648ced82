// "A stream that becomes the next turn": a conversation with reasoning and tool use through
// converseStream + textStream(...).result.message against the emulator, which signs its
// reasoning and checks the history like Bedrock. The message accumulated from the stream
// deep-equals converse's output.message for the same input, ours and the AWS SDK's alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BedrockRuntime as SdkBedrockRuntime } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntime, textStream } from '../../pkg/node.js';
import { EMULATOR, credentials } from './helpers.mjs';

const config = { region: 'us-east-1', endpoint: EMULATOR, credentials, maxAttempts: 1 };
const ours = new BedrockRuntime(config);
const sdk = new SdkBedrockRuntime(config);
const MODEL = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

const request = (messages) => ({
  modelId: MODEL,
  messages,
  toolConfig: { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather', inputSchema: { json: { type: 'object' } } } }] },
  additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
});

/** One turn through converseStream + textStream; checked against converse (ours and the SDK's). */
async function turn(messages, { events = false } = {}) {
  const input = request(messages);
  const response = ours.converseStream(input);
  let it;
  if (events) {
    // The events iterator started first: textStream reads through it, and Rust still builds the message.
    const r = await response;
    const stream = r.stream[Symbol.asyncIterator]();
    const first = await stream.next();
    const rest = { stream: { async *[Symbol.asyncIterator]() { yield first.value; yield* { [Symbol.asyncIterator]: () => stream }; } } };
    it = textStream(rest);
  } else {
    it = textStream(response);
  }
  let text = '';
  for await (const piece of it) text += piece;
  const result = await it.result;
  assert.equal(result.text, text);
  const [whole, sdkWhole] = await Promise.all([ours.converse(input), sdk.converse(input)]);
  assert.deepEqual(result.message, whole.output.message);
  assert.deepEqual(result.message, sdkWhole.output.message);
  // The AWS SDK's own stream, accumulated by our textStream, gives the same message.
  const sdkStream = await sdk.converseStream(input);
  const sdkResult = textStream(sdkStream);
  for await (const _ of sdkResult);
  assert.deepEqual((await sdkResult.result).message, whole.output.message);
  return result;
}

test('reasoning and tool use across turns: the message from the stream is accepted every time', async () => {
  const messages = [{ role: 'user', content: [{ text: 'What is the weather in Paris? use get_weather' }] }];
  const r1 = await turn(messages);
  assert.equal(r1.stopReason, 'tool_use');
  const [reasoning, , call] = r1.message.content;
  assert.equal(typeof reasoning.reasoningContent.reasoningText.signature, 'string');
  assert.equal(call.toolUse.name, 'get_weather');
  assert.equal(call.toolUse.input.query, messages[0].content[0].text);
  messages.push(r1.message);
  messages.push({ role: 'user', content: [{ toolResult: { toolUseId: call.toolUse.toolUseId, content: [{ json: { temp: 21 } }], status: 'success' } }] });

  const r2 = await turn(messages, { events: true });
  assert.equal(r2.stopReason, 'end_turn');
  messages.push(r2.message);
  // The third turn also asks for redacted reasoning: its bytes come back as a Uint8Array.
  messages.push({ role: 'user', content: [{ text: 'And tomorrow? [redacted-reasoning]' }] });
  const r3 = await turn(messages);
  const redacted = r3.message.content[1].reasoningContent.redactedContent;
  assert.ok(redacted instanceof Uint8Array && redacted.length > 0);
  messages.push(r3.message);
  messages.push({ role: 'user', content: [{ text: 'Thanks.' }] });
  await turn(messages);

  // The same history with the signature dropped (the langchainjs#11341 bug): Bedrock's 400.
  const dropped = structuredClone(messages);
  delete dropped[1].content[0].reasoningContent.reasoningText.signature;
  for (const client of [ours, sdk]) {
    await assert.rejects(
      async () => {
        const it = textStream(client.converseStream(request(dropped)));
        for await (const _ of it);
      },
      (e) => {
        assert.equal(e.name, 'ValidationException');
        assert.equal(e.message, 'The model returned the following errors: messages.1.content.0.thinking.signature: Field required');
        return true;
      },
    );
  }
  // A signature that does not match its text.
  const altered = structuredClone(messages);
  altered[3].content[0].reasoningContent.reasoningText.text += ' (edited)';
  await assert.rejects(ours.converse(request(altered)), { name: 'ValidationException', message: /messages\.3\.content\.0: Invalid `signature` in `thinking` block/ });
});

test('the Claude native stream gives the native assistant message; other families none', async () => {
  const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 40, messages: [{ role: 'user', content: 'Hi' }] });
  const it = textStream(ours.invokeModelWithResponseStream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body }));
  let text = '';
  for await (const piece of it) text += piece;
  const { message } = await it.result;
  assert.deepEqual(message, { role: 'assistant', content: [{ type: 'text', text }] });
  const llama = JSON.stringify({ prompt: 'Hi', max_gen_len: 20 });
  const it2 = textStream(ours.invokeModelWithResponseStream({ modelId: 'meta.llama3-8b-instruct-v1:0', body: llama }));
  for await (const _ of it2);
  assert.equal((await it2.result).message, undefined);
});
