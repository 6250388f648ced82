// InvokeModelWithBidirectionalStream through the AWS SDK for JavaScript v3 with its browser
// WebSocket handler (@aws-sdk/middleware-websocket), unchanged but for the scheme, against a
// running emulator: the SDK presigns the URL and signs every frame itself, so this checks the
// emulator's verifier against the SDK's own signer. Not part of `cargo test` (it needs the SDK
// from npm and a WebSocket global: Node 22+, or Node 20 with --experimental-websocket); run it
// by hand, see emulator/README.md ("Yardsticks"):
//
//   npm install --prefix /tmp/sdk @aws-sdk/client-bedrock-runtime @aws-sdk/middleware-websocket
//   cargo run -p bedrock-emulator -- --port 4010 &
//   SDK_DIR=/tmp/sdk EMULATOR_URL=http://127.0.0.1:4010 \
//     node --experimental-websocket emulator/tests/js_sdk_bidi.mjs
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.SDK_DIR ?? process.cwd()}/`);
const { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } = require('@aws-sdk/client-bedrock-runtime');
const { WebSocketFetchHandler, eventStreamPayloadHandlerProvider } = require('@aws-sdk/middleware-websocket');
// The browser's event-stream serde (a ReadableStream body, as the WebSocket handler needs),
// by path: the package's export map serves Node its Node build.
const sdkDir = process.env.SDK_DIR ?? process.cwd();
const { eventStreamSerdeProvider } = require(
  `${sdkDir}/node_modules/@smithy/core/dist-cjs/submodules/event-streams/index.browser.js`,
);

const endpoint = process.env.EMULATOR_URL ?? 'http://127.0.0.1:4010';
const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint,
  credentials: {
    accessKeyId: 'AKIDEMULATOR0000DEMO',
    secretAccessKey: 'emulator/demo/secret/key',
    sessionToken: 'emulator-demo-session-token',
  },
  requestHandler: new WebSocketFetchHandler(),
  eventStreamPayloadHandlerProvider,
  eventStreamSerdeProvider,
});
// Two adjustments for an endpoint on loopback with a port, both before signing:
// - websocketEndpointMiddleware keeps only `host: headers.host ?? request.hostname`, and at
//   that point no host header is set yet, so the SDK presigns the host WITHOUT the port; the
//   browser then sends `Host: 127.0.0.1:4010` and the signature cannot match (the emulator
//   says so). Harmless on AWS (port 443 is not written); here, set the host with its port first.
// - it also always switches to `wss:`; an `http:` emulator speaks plain `ws:` (one started
//   with --tls speaks `wss:`: run with NODE_EXTRA_CA_CERTS=<the printed .pem>).
client.middlewareStack.addRelativeTo(
  (next) => async (args) => {
    const r = args.request;
    if (r.port) r.headers.host = `${r.hostname}:${r.port}`;
    return next(args);
  },
  { relation: 'before', toMiddleware: 'websocketEndpointMiddleware', name: 'emulatorHostWithPort' },
);
client.middlewareStack.addRelativeTo(
  (next) => async (args) => {
    if (endpoint.startsWith('http:') && args.request.protocol === 'wss:') args.request.protocol = 'ws:';
    return next(args);
  },
  { relation: 'after', toMiddleware: 'websocketEndpointMiddleware', name: 'emulatorPlainWs' },
);

// CAPTURE=<file>: record the presigned URL and every message the SDK sends, for
// tests/fixtures/bidi/js_sdk_session.json (replayed by tests/bidi.rs without Node).
const capture = { url: null, started_ms: Date.now(), messages: [] };
if (process.env.CAPTURE) {
  const Base = globalThis.WebSocket;
  globalThis.WebSocket = class extends Base {
    constructor(url, ...rest) {
      super(url, ...rest);
      capture.url = String(url);
    }
    send(data) {
      capture.messages.push(Buffer.from(data).toString('base64'));
      super.send(data);
    }
  };
}

const enc = new TextEncoder();
const chunk = (event) => ({ chunk: { bytes: enc.encode(JSON.stringify({ event })) } });
let done;
const answered = new Promise((resolve) => (done = resolve));
async function* input() {
  yield chunk({ sessionStart: { inferenceConfiguration: { maxTokens: 1024, topP: 0.9, temperature: 0.7 } } });
  yield chunk({
    promptStart: {
      promptName: 'p1',
      textOutputConfiguration: { mediaType: 'text/plain' },
      audioOutputConfiguration: {
        mediaType: 'audio/lpcm', sampleRateHertz: 24000, sampleSizeBits: 16, channelCount: 1,
        voiceId: 'matthew', encoding: 'base64', audioType: 'SPEECH',
      },
    },
  });
  yield chunk({ contentStart: { promptName: 'p1', contentName: 'q1', type: 'TEXT', interactive: true, role: 'USER', textInputConfiguration: { mediaType: 'text/plain' } } });
  yield chunk({ textInput: { promptName: 'p1', contentName: 'q1', content: 'What is your name?' } });
  yield chunk({ contentEnd: { promptName: 'p1', contentName: 'q1' } });
  // The handler closes the socket as soon as this input ends: keep it open until the answer.
  await answered;
  yield chunk({ promptEnd: { promptName: 'p1' } });
  yield chunk({ sessionEnd: {} });
}

const response = await client.send(new InvokeModelWithBidirectionalStreamCommand({
  modelId: 'amazon.nova-sonic-v1:0',
  body: input(),
}));
const names = [];
const texts = [];
for await (const event of response.body) {
  assert.ok(event.chunk, `unexpected event ${JSON.stringify(event)}`);
  const e = JSON.parse(new TextDecoder().decode(event.chunk.bytes)).event;
  const name = Object.keys(e)[0];
  names.push(name);
  if (name === 'textOutput') texts.push(`${e.textOutput.role}: ${e.textOutput.content}`);
  if (name === 'completionEnd') done();
}
assert.deepEqual(texts, ['USER: What is your name?', 'ASSISTANT: My name is Claude.', 'ASSISTANT: My name is Claude.']);
assert.equal(names[0], 'completionStart');
assert.equal(names.at(-1), 'completionEnd');
console.log(`ok: ${names.length} events through the SDK's WebSocket handler`);
if (process.env.CAPTURE) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.CAPTURE, `${JSON.stringify(capture, null, 1)}\n`);
}
