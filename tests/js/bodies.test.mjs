// buildInvokeBody against the emulator, which validates every family's native body strictly:
// each family's body for a lone prompt and for a chat with every parameter is accepted, whole
// and streamed, and answers what Converse answers for the same prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInvokeBody, textStream } from '../../pkg/node.js';
import { FAMILIES, client } from './helpers.mjs';

const user = (text) => ({ role: 'user', content: [{ text }] });
const assistant = (text) => ({ role: 'assistant', content: [{ text }] });

/** Families whose native body carries a lone prompt as it is (no chat template around it),
 * so the emulator answers it exactly as Converse does. */
const PLAIN = new Set(['claude-messages', 'titan-text', 'nova', 'mistral-chat', 'cohere-command', 'cohere-command-r', 'jamba']);

for (const [family, [modelId]] of Object.entries(FAMILIES)) {
  test(`buildInvokeBody for ${family} (${modelId}): accepted whole and streamed`, async () => {
    const c = client();
    const prompt = `Tell me about ${family} bodies`;
    const lone = { messages: [user(prompt)], inferenceConfig: { maxTokens: 12 } };

    const whole = await buildInvokeBody(modelId, lone);
    assert.equal(Object.getPrototypeOf(whole), Object.prototype, 'a plain object');
    const out = await c.invokeModel({ modelId, body: JSON.stringify(whole) });
    assert.equal(out.$metadata.httpStatusCode, 200);

    const s = textStream(c.invokeModelWithResponseStream({ modelId, body: JSON.stringify(await buildInvokeBody(modelId, lone, { streaming: true })) }));
    let text = '';
    for await (const piece of s) text += piece;
    const r = await s.result;
    assert.ok(text.length > 0, 'some text');
    assert.equal(r.text, text);
    assert.equal(r.usage.outputTokens, 12);
    if (PLAIN.has(family)) {
      const conv = await c.converse({ modelId, messages: [user(prompt)], inferenceConfig: { maxTokens: 12 } });
      assert.equal(text, conv.output.message.content[0].text);
    }

    // Every parameter and a history: the emulator refuses any key the family does not take.
    const chat = {
      messages: [user('Hi'), assistant('Hello!'), user(prompt)],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 12, temperature: 0.5, topP: 0.9, topK: 40, stopSequences: ['NEVER-SAID'] },
    };
    const full = await buildInvokeBody(modelId, chat, { streaming: true });
    let chatText = '';
    for await (const piece of textStream(c.invokeModelWithResponseStream({ modelId, body: JSON.stringify(full) }))) chatText += piece;
    assert.ok(chatText.length > 0, 'some text for the chat');
    assert.equal((await c.invokeModel({ modelId, body: JSON.stringify(await buildInvokeBody(modelId, chat)) })).$metadata.httpStatusCode, 200);
  });
}

test('buildInvokeBody: the body for one family, exactly', async () => {
  const body = await buildInvokeBody('us.anthropic.claude-3-5-haiku-20241022-v1:0', {
    messages: [user('Hi')],
    system: [{ text: ' Be brief. ' }],
    inferenceConfig: { maxTokens: 100, topK: 5 },
    additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
  });
  assert.deepEqual(body, {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Hi' }],
    system: 'Be brief.',
    top_k: 5,
    thinking: { type: 'enabled', budget_tokens: 1024 },
  });
  // Cohere Command streams only when told.
  const cohere = (streaming) => buildInvokeBody('cohere.command-text-v14', { messages: [user('Hi')] }, { streaming });
  assert.equal((await cohere(true)).stream, true);
  assert.equal((await cohere(false)).stream, undefined);
});

test('buildInvokeBody: what has no native body is an error that says what to do', async () => {
  const rejects = (args, pattern, name = 'ValidationError') =>
    assert.rejects(buildInvokeBody(...args), (e) => e.name === name && pattern.test(e.message));
  const hi = { messages: [user('Hi')], inferenceConfig: { maxTokens: 10 } };
  await rejects(['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc', hi], /no known model family.*Converse/);
  await rejects(['meta.llama3-8b-instruct-v1:0', { messages: [] }], /at least one/);
  await rejects(['meta.llama3-8b-instruct-v1:0', { messages: [{ role: 'system', content: [{ text: 'x' }] }] }], /"user" or "assistant"/);
  await rejects(['amazon.nova-lite-v1:0', { messages: [{ role: 'user', content: [{ image: { format: 'png', source: { bytes: 'AA==' } } }] }] }], /non-text/);
  await rejects(['anthropic.claude-v2', { messages: [user('Hi')] }], /maxTokens is required/);
  await rejects(['anthropic.claude-v2', { ...hi, inferenceConfig: { maxTokenz: 1 } }], /maxTokenz/);
  await rejects(['', hi], /modelId is required/, 'TypeError');
  await rejects(['anthropic.claude-v2', null], /input must be/, 'TypeError');
  await rejects(['anthropic.claude-v2', hi, { streaming: 'yes' }], /streaming/, 'TypeError');
  await rejects(['anthropic.claude-v2', { messages: [user('Hi')], inferenceConfig: { maxTokens: 1n } }], /BigInt/, 'TypeError');
});
