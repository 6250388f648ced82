// Every fault the emulator can inject, retries, clock skew, abort and the idle watchdog,
// through the built package in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as pkg from '../../pkg/node.js';
import { claude, client, converseInput, emulatorLog, sawClientClose } from './helpers.mjs';

const faulty = (spec, model = 'anthropic.claude-v2') => `emulator-fault:${spec}:${model}`;
let key = 0;
const fresh = (spec) => `${spec},key=${Date.now()}-${key++}`;

const HTTP_FAULTS = [
  ['internal', 'InternalServerException', 500, 'server'],
  ['unavailable', 'ServiceUnavailableException', 503, 'server'],
  ['not-ready', 'ModelNotReadyException', 429, 'client'],
  ['throttle', 'ThrottlingException', 429, 'client'],
  ['validation', 'ValidationException', 400, 'client'],
  ['access-denied', 'AccessDeniedException', 403, 'client'],
  ['expired-token', 'ExpiredTokenException', 403, 'client'],
  ['model-timeout', 'ModelTimeoutException', 408, 'client'],
  ['model-error', 'ModelErrorException', 424, 'client'],
  ['quota', 'ServiceQuotaExceededException', 400, 'client'],
  ['unknown-operation', 'UnknownOperationException', 200, 'client'],
];

for (const [spec, name, status, fault] of HTTP_FAULTS) {
  test(`HTTP fault ${spec} → ${name} for all four operations`, async () => {
    const c = client({ maxAttempts: 1 });
    const calls = [
      () => c.invokeModel({ ...claude(), modelId: faulty(spec) }),
      () => c.invokeModelWithResponseStream({ ...claude(), modelId: faulty(spec) }),
      () => c.converse(converseInput('hi', { modelId: faulty(spec, 'anthropic.claude-3-haiku-20240307-v1:0') })),
      () => c.converseStream(converseInput('hi', { modelId: faulty(spec, 'anthropic.claude-3-haiku-20240307-v1:0') })),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof pkg.BedrockRuntimeServiceException, `${e.name} is a service exception`);
        if (pkg[name]) assert.ok(e instanceof pkg[name], `instanceof ${name}`);
        assert.equal(e.name, name);
        assert.equal(e.$fault, fault);
        assert.equal(e.$metadata.httpStatusCode, status);
        assert.equal(e.$metadata.attempts, 1);
        assert.ok(e.message.length > 0);
        return true;
      });
    }
  });
}

test('model-error carries originalStatusCode and resourceName', async () => {
  await assert.rejects(client({ maxAttempts: 1 }).invokeModel({ ...claude(), modelId: faulty('model-error') }), (e) => {
    assert.equal(typeof e.originalStatusCode, 'number');
    assert.ok(e.resourceName);
    return true;
  });
});

const STREAM_EXCEPTIONS = [
  ['internalServerException', 'InternalServerException', 'server'],
  ['modelStreamErrorException', 'ModelStreamErrorException', 'client'],
  ['validationException', 'ValidationException', 'client'],
  ['throttlingException', 'ThrottlingException', 'client'],
  ['modelTimeoutException', 'ModelTimeoutException', 'client'],
  ['serviceUnavailableException', 'ServiceUnavailableException', 'server'],
];

for (const [type, name, fault] of STREAM_EXCEPTIONS) {
  test(`stream exception ${type} is thrown from the iterator as ${name}`, async () => {
    const out = await client().invokeModelWithResponseStream({ ...claude(), modelId: faulty(`exception=${type}@3`) });
    let n = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of out.body) n++;
      })(),
      (e) => {
        assert.ok(e instanceof pkg[name]);
        assert.equal(e.name, name);
        assert.equal(e.$fault, fault);
        if (name === 'ModelStreamErrorException') {
          assert.equal(typeof e.originalStatusCode, 'number');
          assert.ok(e.originalMessage);
        }
        return true;
      },
    );
    assert.equal(n, 3);
  });
}

test('ConverseStream exceptions and stream errors are named', async () => {
  const model = 'anthropic.claude-3-haiku-20240307-v1:0';
  const out = await client().converseStream(converseInput('hi', { modelId: faulty('exception=modelStreamErrorException@2', model) }));
  await assert.rejects((async () => { for await (const _ of out.stream); })(), { name: 'ModelStreamErrorException' });
  const err = await client().invokeModelWithResponseStream({ ...claude(), modelId: faulty('error@2') });
  await assert.rejects((async () => { for await (const _ of err.body); })(), (e) => e instanceof Error && e.name.length > 0);
});

for (const spec of ['truncate@3', 'corrupt-crc@3']) {
  test(`a ${spec} stream is reported, not silently cut`, async () => {
    const out = await client().invokeModelWithResponseStream({ ...claude(), modelId: faulty(spec) });
    await assert.rejects((async () => { for await (const _ of out.body); })(), { name: 'InvalidResponseError' });
  });
}

test('a stalled stream trips the idle watchdog and closes the connection', async () => {
  const out = await client({ streamIdleTimeout: 300 }).invokeModelWithResponseStream({ ...claude(), modelId: faulty('stall=5@2') });
  const started = Date.now();
  await assert.rejects((async () => { for await (const _ of out.body); })(), (e) => {
    assert.ok(e instanceof pkg.StreamIdleTimeoutError);
    assert.match(e.message, /sent nothing usable/);
    return true;
  });
  assert.ok(Date.now() - started < 3000);
  await sawClientClose(out.$metadata.requestId);
});

test('throttling twice then success: retried with backoff, attempts in $metadata', async () => {
  const out = await client().invokeModel({ ...claude(), modelId: faulty(fresh('throttle=2')) });
  assert.equal(out.$metadata.attempts, 3);
  assert.ok(out.$metadata.totalRetryDelay >= 0);
  const s = await client().converseStream(converseInput('hi', { modelId: faulty(fresh('unavailable=1'), 'amazon.nova-lite-v1:0') }));
  assert.equal(s.$metadata.attempts, 2);
  for await (const _ of s.stream);
});

test('Retry-After is honoured', async () => {
  const out = await client().invokeModel({ ...claude(), modelId: faulty(fresh('throttle=1,retry-after=1')) });
  assert.equal(out.$metadata.attempts, 2);
  assert.ok(out.$metadata.totalRetryDelay >= 1000, `waited ${out.$metadata.totalRetryDelay} ms`);
});

test('maxAttempts: 1 disables retries; non-retryable errors are not retried', async () => {
  await assert.rejects(client({ maxAttempts: 1 }).invokeModel({ ...claude(), modelId: faulty(fresh('throttle=1')) }), (e) => e.$metadata.attempts === 1);
  await assert.rejects(client().invokeModel({ ...claude(), modelId: faulty(fresh('validation=1')) }), (e) => e.$metadata.attempts === 1);
});

test('an abort interrupts the backoff sleep', async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(
    client().invokeModel({ ...claude(), modelId: faulty(fresh('throttle=1,retry-after=10')) }, { abortSignal: ac.signal }),
    { name: 'AbortError' },
  );
  assert.ok(Date.now() - started < 3000);
});

for (const skew of [-600, 600]) {
  test(`clock skew ${skew} s is corrected with one re-signed retry, for all four operations`, async () => {
    const model = faulty(fresh(`clock-skew=${skew}`));
    const c = client();
    const out = await c.invokeModel({ ...claude(), modelId: model });
    assert.equal(out.$metadata.attempts, 2);
    const s = await client().invokeModelWithResponseStream({ ...claude(), modelId: faulty(fresh(`clock-skew=${skew}`)) });
    assert.equal(s.$metadata.attempts, 2);
    let text = '';
    for await (const { chunk } of s.body) text += JSON.parse(new TextDecoder().decode(chunk.bytes)).completion;
    assert.equal(text, ' My name is Claude.');
    const cs = await client().converseStream(converseInput('What is your name?', { modelId: faulty(fresh(`clock-skew=${skew}`), 'amazon.nova-lite-v1:0') }));
    assert.equal(cs.$metadata.attempts, 2);
    const once = await client().converse(converseInput('What is your name?', { modelId: faulty(fresh(`clock-skew=${skew}`), 'amazon.nova-lite-v1:0') }));
    assert.equal(once.$metadata.attempts, 2);
    assert.ok(once.output.message.content[0].text.length > 0);
  });
}

test('break in for-await cancels the request (the emulator sees the close)', async () => {
  const out = await client().invokeModelWithResponseStream(claude('Write a long essay', 1000));
  let n = 0;
  for await (const _ of out.body) if (++n === 3) break;
  const record = await sawClientClose(out.$metadata.requestId);
  assert.ok(record.chunks_sent < 100);
});

test('return() on the iterator cancels, even with a read in flight', async () => {
  const out = await client().converseStream(converseInput('Write a long essay', { modelId: 'amazon.nova-lite-v1:0', inferenceConfig: { maxTokens: 1000 } }));
  const it = out.stream[Symbol.asyncIterator]();
  await it.next();
  const pending = it.next();
  assert.deepEqual(await it.return(), { done: true, value: undefined });
  await pending.catch(() => {});
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  await sawClientClose(out.$metadata.requestId);
});

test('an abort signal stops a stream mid-way and closes the connection', async () => {
  const ac = new AbortController();
  const out = await client().invokeModelWithResponseStream(claude('Write a long essay', 1000), { abortSignal: ac.signal });
  let n = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of out.body) if (++n === 3) ac.abort();
    })(),
    { name: 'AbortError' },
  );
  await sawClientClose(out.$metadata.requestId);
});

test('an abort signal stops a textStream mid-way and closes the connection', async () => {
  const ac = new AbortController();
  const out = await client().converseStream(converseInput('Write a long essay', { inferenceConfig: { maxTokens: 1000 } }), { abortSignal: ac.signal });
  const s = pkg.textStream(out);
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const piece of s) if ((text += piece).length > 20) ac.abort();
    })(),
    { name: 'AbortError' },
  );
  assert.ok(text.length > 20, 'the text before the abort was delivered');
  await sawClientClose(out.$metadata.requestId);
});

test('an already-aborted signal rejects at once', async () => {
  await assert.rejects(client().converse(converseInput(), { abortSignal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a textStream left early cancels too', async () => {
  const res = await client().invokeModelWithResponseStream(claude('Write a long essay', 1000));
  const s = pkg.textStream(res);
  let n = 0;
  for await (const _ of s) if (++n === 2) break;
  await sawClientClose(res.$metadata.requestId);
  assert.ok((await emulatorLog()).length > 0);
});

test('textStream keeps the text before a stream exception and throws it named', async () => {
  for (const stream of [
    () => client().invokeModelWithResponseStream({ ...claude(), modelId: faulty('exception=modelStreamErrorException@4') }),
    () => client().converseStream(converseInput('hi', { modelId: faulty('exception=throttlingException@4', 'anthropic.claude-3-haiku-20240307-v1:0') })),
  ]) {
    const s = pkg.textStream(stream());
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const piece of s) text += piece;
      })(),
      (e) => e instanceof pkg.BedrockRuntimeServiceException && /Exception$/.test(e.name),
    );
    assert.ok(text.length > 0, 'the pieces before the exception were delivered');
    await assert.rejects(s.result, (e) => /Exception$/.test(e.name));
  }
});
