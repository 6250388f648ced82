// InvokeModelWithBidirectionalStream over the WebSocket, and the Nova Sonic helper, against
// the emulator: text, audio and multi-turn sessions, every bidi fault, aborts (the emulator
// logs the client's close), close codes as typed errors, the whole answer after the input
// ends, and API keys refused before connecting. Needs a global WebSocket (Node 22+, or
// Node 20.10+ with --experimental-websocket, which `cargo xtask test-npm` passes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ModelStreamErrorException,
  ValidationException,
  StreamIdleTimeoutError,
  WebSocketClosedError,
  WebSocketHandshakeError,
  novaSonic,
} from '../../pkg/node.js';
import { client, credentials, emulatorLog, env } from './helpers.mjs';

const SONIC = 'amazon.nova-sonic-v1:0';
const enc = new TextEncoder();
const dec = new TextDecoder();
const chunk = (event) => ({ chunk: { bytes: enc.encode(JSON.stringify({ event })) } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The input events of a session with one typed USER turn per text, ended at once. */
function* textSession(...texts) {
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
  for (const [i, text] of texts.entries()) {
    const c = { promptName: 'p1', contentName: `q${i}` };
    yield chunk({ contentStart: { ...c, type: 'TEXT', interactive: true, role: 'USER', textInputConfiguration: { mediaType: 'text/plain' } } });
    yield chunk({ textInput: { ...c, content: text } });
    yield chunk({ contentEnd: c });
  }
  yield chunk({ promptEnd: { promptName: 'p1' } });
  yield chunk({ sessionEnd: {} });
}

/** Every output event as `[name, body]`, or the error that ended the stream. */
async function collect(body) {
  const events = [];
  try {
    for await (const e of body) {
      assert.ok(e.chunk.bytes instanceof Uint8Array);
      const event = JSON.parse(dec.decode(e.chunk.bytes)).event;
      const name = Object.keys(event)[0];
      events.push([name, event[name]]);
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

/** The log record of the newest bidirectional session. */
async function lastSession() {
  const log = await emulatorLog();
  return log.filter((r) => r.operation === 'InvokeModelWithBidirectionalStream').at(-1);
}

/** Waits until the newest session's record satisfies `ok`. */
async function sessionRecord(ok, what) {
  for (let i = 0; i < 100; i++) {
    const r = await lastSession();
    if (r && ok(r)) return r;
    await sleep(30);
  }
  throw new Error(`the emulator's log never showed ${what}: ${JSON.stringify(await lastSession())}`);
}

const countSessions = async () => (await emulatorLog()).filter((r) => r.operation === 'InvokeModelWithBidirectionalStream').length;

const texts = (events) => events.filter(([n]) => n === 'textOutput').map(([, b]) => `${b.role}: ${b.content}`);

test('a text session: the whole answer arrives after the input has ended', async () => {
  const r = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: textSession('What is your name?') });
  assert.ok(r.$metadata);
  const { events, error } = await collect(r.body);
  assert.equal(error, undefined, error?.stack);
  assert.deepEqual(texts(events), ['USER: What is your name?', 'ASSISTANT: My name is Claude.', 'ASSISTANT: My name is Claude.']);
  assert.equal(events[0][0], 'completionStart');
  assert.equal(events.at(-1)[0], 'completionEnd');
  const record = await sessionRecord((x) => x.session?.ended, 'the end');
  assert.equal(record.status, 101);
  assert.equal(record.signature, 'valid');
  // Every event the emulator sent was received, and the session ended as it should.
  assert.equal(record.chunks_sent, events.length);
  assert.equal(record.completed, true);
  assert.equal(record.session.end_of_input, true);
  assert.equal(record.session.ended, 'closed 1000 after the answer');
  assert.equal(record.client_closed_early, false);
});

test('multi-turn: two typed turns in one session, answered in order', async () => {
  const r = await client().invokeModelWithBidirectionalStream({
    modelId: SONIC,
    body: textSession('What is your name?', 'What is a frame?'),
  });
  const { events, error } = await collect(r.body);
  assert.equal(error, undefined, error?.stack);
  assert.equal(events.filter(([n]) => n === 'completionEnd').length, 2);
  const t = texts(events).filter((x) => x.startsWith('USER'));
  assert.deepEqual(t, ['USER: What is your name?', 'USER: What is a frame?']);
  const record = await sessionRecord((x) => x.session?.ended, 'the end');
  assert.equal(record.session.turns, 2);
  assert.equal(record.chunks_sent, events.length);
});

test('the input may be an async generator that waits for the answer before ending', async () => {
  let answered;
  const done = new Promise((r) => (answered = r));
  async function* input() {
    const all = [...textSession('What is your name?')];
    yield* all.slice(0, -2);
    await done;
    yield* all.slice(-2);
  }
  const r = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: input() });
  const events = [];
  for await (const e of r.body) {
    const name = Object.keys(JSON.parse(dec.decode(e.chunk.bytes)).event)[0];
    events.push(name);
    if (name === 'completionEnd') answered();
  }
  assert.equal(events.at(-1), 'completionEnd');
  assert.equal((await sessionRecord((x) => x.session?.ended, 'the end')).session.ended, 'closed 1000 after the answer');
});

/** `ms` of 16 kHz 16-bit PCM: a square wave of ±`peak`. */
function pcm(ms, peak) {
  const samples = new Int16Array((16000 * ms) / 1000);
  for (let i = 0; i < samples.length; i++) samples[i] = (i >> 4) % 2 ? peak : -peak;
  return new Uint8Array(samples.buffer);
}

test('novaSonic: an audio session, typed events, speech as PCM', async () => {
  const session = await novaSonic(client(), { voiceId: 'tiffany', systemPrompt: 'You are terse.' });
  const audio = pcm(1000, 3000);
  for (let at = 0; at < audio.length; at += 3200) session.sendAudio(audio.subarray(at, at + 3200));
  session.endAudio();
  session.end();
  const events = [];
  for await (const e of session) events.push(e);
  const transcripts = events.filter((e) => e.type === 'transcript');
  assert.deepEqual(transcripts[0], { type: 'transcript', role: 'USER', text: 'heard 1000 ms of audio, peak 3000', final: true, contentId: transcripts[0].contentId });
  assert.deepEqual(
    transcripts.slice(1).map((t) => [t.role, t.final]),
    [['ASSISTANT', false], ['ASSISTANT', true]],
  );
  const speech = events.filter((e) => e.type === 'audio');
  assert.ok(speech.length > 0);
  for (const s of speech) assert.ok(s.audio instanceof Uint8Array && s.audio.length > 0 && s.audio.length % 2 === 0);
  const usage = events.find((e) => e.type === 'usage');
  assert.ok(usage.totalTokens > 0 && usage.inputTokens > 0 && usage.outputTokens > 0);
  assert.deepEqual(events.at(-1), { type: 'completionEnd', stopReason: 'END_TURN' });
  const record = await sessionRecord((x) => x.session?.ended, 'the end');
  assert.equal(record.session.audio_bytes_received, audio.length);
  assert.equal(record.session.ended, 'closed 1000 after the answer');
  assert.equal(record.chunks_sent, events.length);
});

test('a large input goes through backpressure whole, in order', async () => {
  const session = await novaSonic(client(), {});
  const second = pcm(1024, 2000);
  // 4 MiB of audio in 64 KiB events: more than the 1 MiB the socket may buffer.
  for (let i = 0; i < 128; i++) session.sendAudio(second);
  session.endAudio();
  session.end();
  const events = [];
  for await (const e of session) events.push(e);
  assert.equal(events.at(-1).type, 'completionEnd');
  assert.match(events.find((e) => e.type === 'transcript').text, /^heard 131072 ms of audio, peak 2000$/);
  const record = await sessionRecord((x) => x.session?.ended, 'the end');
  assert.equal(record.session.audio_bytes_received, 128 * 32768);
  assert.equal(record.session.ended, 'closed 1000 after the answer');
});

test('novaSonic: text turns, a tool use answered with sendToolResult', async () => {
  const session = await novaSonic(client(), {
    tools: [{ toolSpec: { name: 'weather', description: 'The weather', inputSchema: { json: { type: 'object' } } } }],
  });
  session.sendText('What is your name?');
  const seen = [];
  let ended = 0;
  for await (const e of session) {
    seen.push(e);
    if (e.type === 'completionEnd' && ++ended === 1) session.sendText('please use weather now');
    if (e.type === 'toolUse') {
      assert.equal(e.toolName, 'weather');
      assert.deepEqual(e.input, { query: 'please use weather now' });
      session.sendToolResult(e.toolUseId, { sunny: true });
    }
    if (e.type === 'completionEnd' && ended === 3) session.end();
  }
  const said = seen.filter((e) => e.type === 'transcript' && e.final).map((e) => `${e.role}: ${e.text}`);
  assert.equal(said[0], 'USER: What is your name?');
  assert.equal(said[1], 'ASSISTANT: My name is Claude.');
  assert.ok(said.includes('USER: please use weather now'), said.join('\n'));
  assert.deepEqual(
    seen.filter((e) => e.type === 'completionEnd').map((e) => e.stopReason),
    ['END_TURN', 'TOOL_USE', 'END_TURN'],
  );
  assert.ok(seen.some((e) => e.type === 'other' && e.name === 'completionStart'));
});

test('an exception frame is thrown as the AWS SDK names it, after the events before it', async () => {
  const r = await client().invokeModelWithBidirectionalStream({
    modelId: `emulator-fault:exception=modelStreamErrorException@3:${SONIC}`,
    body: textSession('What is your name?'),
  });
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 3);
  assert.ok(error instanceof ModelStreamErrorException, error?.stack);
  assert.equal(error.name, 'ModelStreamErrorException');
  assert.equal(error.$fault, 'client');
  assert.ok(error.message);
});

test('an invalid event is a ValidationException from the service', async () => {
  async function* bad() {
    yield chunk({ promptStart: { promptName: 'p' } });
  }
  const r = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: bad() });
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 0);
  assert.ok(error instanceof ValidationException, error?.stack);
  assert.match(error.message, /sessionStart/);
});

test('close codes: 1011 and application codes mid-answer are WebSocketClosedError, never a clean end', async () => {
  for (const [fault, code] of [['ws-close', 1011], ['ws-close=4001@2', 4001], ['ws-close=1001@2', 1001]]) {
    const r = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:${fault}:${SONIC}`, body: textSession('What is your name?') });
    const { events, error } = await collect(r.body);
    assert.ok(error instanceof WebSocketClosedError, `${fault}: ${error?.stack ?? events.length}`);
    assert.equal(error.name, 'WebSocketClosedError');
    assert.equal(error.closeCode, code, fault);
    assert.match(error.message, new RegExp(`code ${code}`));
    assert.match(error.message, /answer is incomplete/);
    assert.equal(events.length, fault === 'ws-close' ? 1 : 2, fault);
  }
});

test('a dropped connection (no close frame) is an error: 1006', async () => {
  const r = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:ws-drop@2:${SONIC}`, body: textSession('What is your name?') });
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 2);
  assert.ok(error instanceof WebSocketClosedError, error?.stack);
  assert.equal(error.closeCode, 1006);
  assert.match(error.message, /lost without a close frame/);
});

test('a close 1000 in the middle of a frame is an error, not a clean end', async () => {
  const r = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:truncate@2:${SONIC}`, body: textSession('What is your name?') });
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 2);
  assert.ok(error instanceof WebSocketClosedError, error?.stack);
  assert.equal(error.closeCode, 1000);
  assert.match(error.message, /middle of an event/);
});

test('a corrupt frame is an InvalidResponseError', async () => {
  const r = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:corrupt-crc@1:${SONIC}`, body: textSession('What is your name?') });
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 1);
  assert.equal(error?.name, 'InvalidResponseError', error?.stack);
});

test('slow answers complete; a stall past the idle bound is a StreamIdleTimeoutError', async () => {
  const slow = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:pace=20:${SONIC}`, body: textSession('What is your name?') });
  const { events, error } = await collect(slow.body);
  assert.equal(error, undefined, error?.stack);
  assert.equal(events.at(-1)[0], 'completionEnd');

  const c = client({ streamIdleTimeout: 300 });
  const stalled = await c.invokeModelWithBidirectionalStream({ modelId: `emulator-fault:stall=3@2:${SONIC}`, body: textSession('What is your name?') });
  const started = Date.now();
  const out = await collect(stalled.body);
  assert.equal(out.events.length, 2);
  assert.ok(out.error instanceof StreamIdleTimeoutError, out.error?.stack);
  assert.ok(Date.now() - started < 2500);
  await sessionRecord((x) => x.session?.ended?.startsWith('client'), 'the client closing');
});

test('the 8-minute session limit ends the stream with a TimeoutError and closes the socket', async () => {
  // The transport reads the clock through Date.now: jump it past the session's deadline once
  // the answer has started (the emulator pauses after the second event, so the stream waits).
  const realNow = Date.now;
  try {
    const r = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:stall=3@2:${SONIC}`, body: textSession('What is your name?') });
    const events = [];
    let error;
    const started = realNow();
    try {
      for await (const e of r.body) {
        events.push(e);
        if (events.length === 1) Date.now = () => realNow() + 480_001;
      }
    } catch (e) {
      error = e;
    }
    assert.ok(events.length >= 1 && events.length <= 2, `${events.length} events`);
    assert.equal(error?.name, 'TimeoutError', error?.stack);
    assert.match(error.message, /480 s session limit/);
    assert.ok(realNow() - started < 2500, 'at once, not after the stall');
  } finally {
    Date.now = realNow;
  }
  await sessionRecord((x) => x.session?.ended?.startsWith('client'), 'the client closing');
});

test('a refused handshake is a WebSocketHandshakeError naming what to check', async () => {
  for (const [modelId, extra, status, signature] of [
    [`emulator-fault:ws-refuse=403:${SONIC}`, {}, 403, 'valid'],
    [SONIC, { credentials: { ...credentials, secretAccessKey: 'wrong' } }, 403, 'invalid'],
    ['anthropic.claude-v2', {}, 400, 'valid'],
  ]) {
    const before = (await emulatorLog()).length;
    const error = await client(extra)
      .invokeModelWithBidirectionalStream({ modelId, body: textSession('hi') })
      .then(() => undefined, (e) => e);
    assert.ok(error instanceof WebSocketHandshakeError, `${modelId}: ${error?.stack}`);
    assert.equal(error.name, 'WebSocketHandshakeError');
    for (const word of ['credentials', 'region', 'clock', modelId]) assert.ok(error.message.includes(word), `${word}: ${error.message}`);
    const record = (await emulatorLog()).slice(before).find((r) => r.operation === 'InvokeModelWithBidirectionalStream');
    assert.equal(record.status, status, JSON.stringify(record));
    assert.equal(record.signature, signature);
  }
});

test('abort before sending anything: AbortError, and the emulator sees the client close', async () => {
  const controller = new AbortController();
  async function* never() {
    await new Promise(() => {});
  }
  const r = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: never() }, { abortSignal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const { events, error } = await collect(r.body);
  assert.equal(events.length, 0);
  assert.equal(error?.name, 'AbortError');
  const record = await sessionRecord((x) => x.session?.ended?.startsWith('client closed'), 'the client closing');
  assert.equal(record.session.ended, 'client closed (1000)');
  assert.equal(record.client_closed_early, true);

  // Already aborted: no connection at all.
  const sessions = await countSessions();
  const e = await client()
    .invokeModelWithBidirectionalStream({ modelId: SONIC, body: textSession() }, { abortSignal: AbortSignal.abort() })
    .then(() => undefined, (x) => x);
  assert.equal(e?.name, 'AbortError');
  await sleep(100);
  assert.equal(await countSessions(), sessions);
});

test('abort mid-answer (signal or break) closes the socket at once', async () => {
  const controller = new AbortController();
  const r = await client().invokeModelWithBidirectionalStream(
    { modelId: `emulator-fault:pace=50:${SONIC}`, body: textSession('What is your name?') },
    { abortSignal: controller.signal },
  );
  const events = [];
  let error;
  try {
    for await (const e of r.body) {
      events.push(e);
      if (events.length === 2) controller.abort();
    }
  } catch (e) {
    error = e;
  }
  assert.equal(error?.name, 'AbortError');
  assert.equal(events.length, 2);
  let record = await sessionRecord((x) => x.session?.ended?.startsWith('client closed'), 'the client closing');
  assert.equal(record.client_closed_early, true);
  assert.ok(record.chunks_sent < 15);

  const r2 = await client().invokeModelWithBidirectionalStream({ modelId: `emulator-fault:pace=50:${SONIC}`, body: textSession('What is your name?') });
  let n = 0;
  for await (const _ of r2.body) if (++n === 3) break;
  record = await sessionRecord((x) => x.session?.ended?.startsWith('client closed'), 'the client closing after break');
  assert.equal(record.session.ended, 'client closed (1000)');
  assert.ok(record.chunks_sent < 15);

  // novaSonic's close() does the same.
  const session = await novaSonic(client(), { modelId: `emulator-fault:pace=50:${SONIC}` });
  session.sendText('What is your name?');
  const got = [];
  await assert.rejects(async () => {
    for await (const e of session) {
      got.push(e);
      if (got.length === 2) session.close();
    }
  }).catch(() => {});
  await sessionRecord((x) => x.session?.ended?.startsWith('client closed'), 'the client closing after close()');
});

test('an input that throws ends the stream with its error', async () => {
  const boom = new Error('microphone unplugged');
  async function* input() {
    yield* [...textSession()].slice(0, 2);
    await sleep(20);
    throw boom;
  }
  const r = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: input() });
  const { error } = await collect(r.body);
  assert.equal(error, boom);
  await sessionRecord((x) => x.session?.ended?.startsWith('client closed'), 'the client closing');

  const r2 = await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: [{ chunk: { bytes: 'not bytes' } }] });
  const out = await collect(r2.body);
  assert.ok(out.error instanceof TypeError);
  assert.match(out.error.message, /chunk: \{ bytes: Uint8Array \}/);

  // An iterable whose iterator cannot be made, and one that throws `undefined`: still errors.
  const noIterator = { [Symbol.asyncIterator]: () => { throw new RangeError('no iterator'); } };
  const out3 = await collect((await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: noIterator })).body);
  assert.ok(out3.error instanceof RangeError);
  async function* undef() {
    throw undefined;
  }
  const out4 = await collect((await client().invokeModelWithBidirectionalStream({ modelId: SONIC, body: undef() })).body);
  assert.ok('error' in out4 && out4.error === undefined);
});

test('API keys are refused before connecting; bad inputs are TypeErrors', async () => {
  const sessions = await countSessions();
  const keyed = client({ credentials: undefined, token: env.API_KEY });
  const e = await keyed.invokeModelWithBidirectionalStream({ modelId: SONIC, body: textSession() }).then(() => undefined, (x) => x);
  assert.equal(e?.name, 'ValidationError');
  assert.match(e.message, /API keys are not accepted/);
  await sleep(100);
  assert.equal(await countSessions(), sessions);

  const c = client();
  await assert.rejects(c.invokeModelWithBidirectionalStream({ body: textSession() }), TypeError);
  await assert.rejects(c.invokeModelWithBidirectionalStream({ modelId: SONIC, body: 42 }), TypeError);
  await assert.rejects(c.invokeModelWithBidirectionalStream(null), TypeError);
  await assert.rejects(novaSonic({}), TypeError);
});
