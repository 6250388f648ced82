// Shared by the package tests: the emulator `cargo xtask test-npm` started, and the inputs
// for every model family.
import { BedrockRuntime } from '../../pkg/node.js';

export const env = process.env;
export const EMULATOR = env.EMULATOR_URL;
if (!EMULATOR) throw new Error('EMULATOR_URL is unset: run these tests with `cargo xtask test-npm`');

export const credentials = {
  accessKeyId: env.ACCESS_KEY_ID,
  secretAccessKey: env.SECRET_ACCESS_KEY,
  sessionToken: env.SESSION_TOKEN,
};

export const client = (extra = {}) =>
  new BedrockRuntime({ region: 'us-east-1', endpoint: EMULATOR, credentials, ...extra });

export const json = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

/** The emulator's request log, newest last. */
export async function emulatorLog() {
  return (await fetch(`${EMULATOR}/_emulator/log`)).json();
}

/** Waits until the emulator has seen request `id`'s connection close early. */
export async function sawClientClose(id) {
  for (let i = 0; i < 80; i++) {
    const record = (await emulatorLog()).find((r) => r.id === id);
    if (record?.client_closed_early) return record;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the emulator never saw request ${id}'s connection close`);
}

/** Every model family: a model id and its InvokeModel body for a prompt and a token cap. */
export const FAMILIES = {
  'claude-text': ['anthropic.claude-v2', (p, n) => ({ prompt: `\n\nHuman: ${p}\n\nAssistant:`, max_tokens_to_sample: n })],
  'claude-messages': [
    'anthropic.claude-3-haiku-20240307-v1:0',
    (p, n) => ({ anthropic_version: 'bedrock-2023-05-31', max_tokens: n, messages: [{ role: 'user', content: [{ type: 'text', text: p }] }] }),
  ],
  'titan-text': ['amazon.titan-text-express-v1', (p, n) => ({ inputText: p, textGenerationConfig: { maxTokenCount: n } })],
  nova: ['amazon.nova-lite-v1:0', (p, n) => ({ messages: [{ role: 'user', content: [{ text: p }] }], inferenceConfig: { max_new_tokens: n } })],
  llama: ['meta.llama3-8b-instruct-v1:0', (p, n) => ({ prompt: p, max_gen_len: n })],
  mistral: ['mistral.mistral-7b-instruct-v0:2', (p, n) => ({ prompt: p, max_tokens: n })],
  'mistral-chat': ['mistral.mistral-large-2407-v1:0', (p, n) => ({ messages: [{ role: 'user', content: p }], max_tokens: n })],
  'cohere-command': ['cohere.command-text-v14', (p, n) => ({ prompt: p, max_tokens: n, stream: true })],
  'cohere-command-r': ['cohere.command-r-v1:0', (p, n) => ({ message: p, max_tokens: n })],
  jamba: ['ai21.jamba-1-5-mini-v1:0', (p, n) => ({ messages: [{ role: 'user', content: p }], max_tokens: n })],
};

export const claude = (prompt = 'What is your name?', maxTokens = 200, modelId = 'anthropic.claude-v2') => ({
  modelId,
  contentType: 'application/json',
  accept: 'application/json',
  body: JSON.stringify({ prompt: `\n\nHuman: ${prompt}\n\nAssistant:`, max_tokens_to_sample: maxTokens }),
});

export const converseInput = (text = 'What is your name?', extra = {}) => ({
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  messages: [{ role: 'user', content: [{ text }] }],
  ...extra,
});
