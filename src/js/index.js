// bedrock-wasm: Amazon Bedrock Runtime with the AWS SDK's shapes, over a
// WebAssembly core (SigV4, retries, clock skew, event-stream decoding, idle watchdog).
// This file is the package's browser/bundler entry; `node.js` adds reading the wasm from disk.
import initWasm, {
  Core,
  Extractor,
  authorizeRequest,
  credentialsExpiring,
  buildInvokeBody as buildBody,
  idempotencyToken,
  skewCorrection,
  cognitoCredentials,
  __panicSink,
  __wbg_reset_state as restartCore,
} from './bedrock_wasm.js';

// ---------------------------------------------------------------------------------------------
// Initialisation: every call awaits it; `init()` preloads.

/** @internal Set by `node.js`: where the wasm bytes come from when none are given. */
export const __wasmSource = { get: undefined, voice: undefined };
let ready;
let voiceSource;

/**
 * Loads and instantiates the WebAssembly module once. Optional: the first call does it.
 * `voice`: where the voice module's wasm is (`bedrock_wasm_voice_bg.wasm`), if not next to
 * the JavaScript; it is only loaded by the first bidirectional stream or Nova Sonic session.
 */
export function init(source, voice) {
  if (voice !== undefined) voiceSource = voice;
  ready ??= Promise.resolve(source ?? __wasmSource.get?.())
    .then((s) => initWasm(s === undefined ? undefined : { module_or_path: s }))
    .then(
      () => undefined,
      (e) => {
        ready = undefined;
        throw new Error(
          `bedrock-wasm: cannot load bedrock_wasm_bg.wasm (${e?.message ?? e}). ` +
            'Serve it next to the JavaScript, or pass its URL or bytes to init().',
          { cause: e },
        );
      },
    );
  return ready;
}
export default init;

// The voice module: InvokeModelWithBidirectionalStream and Nova Sonic, a wasm of their own
// (src/js/voice.rs), imported the first time a page speaks, so that a page that never does
// downloads none of it.
let voiceReady;
let voiceModule;

function voice() {
  voiceReady ??= import('./bedrock_wasm_voice.js')
    .then(async (m) => {
      const s = await (voiceSource ?? __wasmSource.voice?.());
      await m.default(s === undefined ? undefined : { module_or_path: s });
      m.__panicSink.on = onPanic;
      voiceModule = m;
      return m;
    })
    .catch((e) => {
      voiceReady = undefined;
      throw new Error(
        `bedrock-wasm: cannot load the voice module, bedrock_wasm_voice_bg.wasm (${e?.message ?? e}). ` +
          'Serve it next to the JavaScript, or pass its URL or bytes to init() as the second argument.',
        { cause: e },
      );
    });
  return voiceReady;
}

// ---------------------------------------------------------------------------------------------
// The safety net: a panic in the core (a bug: none is reachable from input that we know of)
// rejects the call that hit it and every other call in flight with one named error, and the
// next call runs on a fresh instance (wasm-bindgen's reinit). The host never sees a trap.

/** A bug in bedrock-wasm's core: `message` carries the panic message. Please report it. */
export class BedrockWasmPanicError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'BedrockWasmPanicError';
  }
}

/** Bumped at every panic: core objects made before it are stale and are remade. */
let generation = 0;
/** The reject functions of calls in flight. */
const inFlight = new Set();
/** The abort controllers of open streams (weakly: an abandoned stream is not kept alive). */
const openStreams = new Set();

function trackStream(controller) {
  if (openStreams.size > 64) for (const r of openStreams) if (!r.deref()) openStreams.delete(r);
  openStreams.add(new WeakRef(controller));
}

const isPanic = (e) =>
  e?.name === 'BedrockWasmPanicError' ||
  (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) ||
  // A core object made before the last panic, used after it (wasm-bindgen's words).
  (generation > 0 && e?.message === 'Invalid stale object from previous Wasm instance');

function panicError(e) {
  if (e instanceof BedrockWasmPanicError) return e;
  return new BedrockWasmPanicError(
    e?.name === 'BedrockWasmPanicError'
      ? e.message
      : `bedrock-wasm's core failed (${e?.name ?? 'Error'}: ${e?.message ?? e}). This is a bug; please report it. The module has been restarted, later calls work.`,
    { cause: e },
  );
}

function onPanic(e) {
  const err = panicError(e);
  generation++;
  // A fresh instance now, not at the next call: a core object of the dead instance used
  // before then would otherwise reach the fresh one with a stale pointer. Afterwards such
  // objects throw a "stale object" error, which `quietly` and `isPanic` expect.
  try {
    restartCore();
  } catch {
    // The next call retries the restart (wasm-bindgen's reinit is still scheduled).
  }
  try {
    voiceModule?.__wbg_reset_state();
  } catch {
    // As above.
  }
  const rejects = [...inFlight];
  inFlight.clear();
  for (const reject of rejects) reject(err);
  // The dead instance's streams can never be read again: close their connections.
  for (const r of openStreams) r.deref()?.abort(err);
  openStreams.clear();
  return err;
}
// Panics inside the core's own tasks (a future polled from a microtask) arrive here, from the
// glue's closure wrapper, instead of as an uncaught exception.
__panicSink.on = onPanic;

/** A synchronous call into the core. */
function sync(fn) {
  try {
    return fn();
  } catch (e) {
    throw isPanic(e) ? onPanic(e) : e;
  }
}

/** An asynchronous call into the core: settles even when the core panics mid-way. On the
 * hot path (one call per network read), so it adds one promise and nothing else. */
function guarded(fn) {
  return new Promise((resolve, reject) => {
    let p;
    try {
      p = fn();
    } catch (e) {
      reject(isPanic(e) ? onPanic(e) : e);
      return;
    }
    inFlight.add(reject);
    p.then(
      (v) => {
        inFlight.delete(reject);
        resolve(v);
      },
      (e) => {
        inFlight.delete(reject);
        reject(isPanic(e) ? onPanic(e) : e);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Errors: the AWS SDK's classes, names and fields.

/** The base of every error the service returns, as in `@aws-sdk/client-bedrock-runtime`. */
export class BedrockRuntimeServiceException extends Error {
  constructor(options) {
    super(options.message);
    this.name = options.name ?? 'BedrockRuntimeServiceException';
    this.$fault = options.$fault ?? 'client';
    this.$metadata = options.$metadata ?? {};
    for (const k of ['advice', 'originalStatusCode', 'originalMessage', 'resourceName']) {
      if (options[k] !== undefined) this[k] = options[k];
    }
  }
}

// No prototype: a service may name its error `constructor`, `__proto__` or `toString`.
const modeled = Object.create(null);
// `fault` is the class's `$fault` in the service model, the default for errors you construct
// yourself; errors from the service carry the `$fault` Rust decided.
const exception = (name, fault = 'client') =>
  (modeled[name] = {
    [name]: class extends BedrockRuntimeServiceException {
      constructor(options) {
        super({ ...options, name, $fault: options?.$fault ?? fault });
      }
    },
  }[name]);

export const AccessDeniedException = exception('AccessDeniedException');
export const ConflictException = exception('ConflictException');
export const InternalServerException = exception('InternalServerException', 'server');
export const ModelErrorException = exception('ModelErrorException');
export const ModelNotReadyException = exception('ModelNotReadyException');
export const ModelStreamErrorException = exception('ModelStreamErrorException');
export const ModelTimeoutException = exception('ModelTimeoutException');
export const ResourceNotFoundException = exception('ResourceNotFoundException');
export const ServiceQuotaExceededException = exception('ServiceQuotaExceededException');
export const ServiceUnavailableException = exception('ServiceUnavailableException', 'server');
export const ThrottlingException = exception('ThrottlingException');
export const ValidationException = exception('ValidationException');

/** A stream delivered nothing for `streamIdleTimeout` ms and was stopped. */
export class StreamIdleTimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StreamIdleTimeoutError';
  }
}

/** The WebSocket of a bidirectional stream was refused before it opened; a browser is not
 * told why, so `message` names what to check. */
export class WebSocketHandshakeError extends Error {
  constructor(message, closeCode) {
    super(message);
    this.name = 'WebSocketHandshakeError';
    this.closeCode = closeCode;
  }
}

/** The WebSocket of a bidirectional stream closed before the answer ended (`closeCode`). */
export class WebSocketClosedError extends Error {
  constructor(message, closeCode) {
    super(message);
    this.name = 'WebSocketClosedError';
    this.closeCode = closeCode;
  }
}

/** The core's plain `Error` (named after the AWS exception) → the matching class. */
function convert(e) {
  if (!(e instanceof Error) || e instanceof BedrockRuntimeServiceException) return e;
  const Class = typeof e.name === 'string' && Object.hasOwn(modeled, e.name) ? modeled[e.name] : undefined;
  if (Class || e.$fault) {
    const { name, message, $fault, $metadata } = e;
    const out = new (Class ?? BedrockRuntimeServiceException)({ ...e, name, message, $fault, $metadata });
    out.stack = e.stack;
    return out;
  }
  if (e.name === 'StreamIdleTimeoutError') return new StreamIdleTimeoutError(e.message);
  if (e.name === 'WebSocketHandshakeError') return new WebSocketHandshakeError(e.message, e.closeCode);
  if (e.name === 'WebSocketClosedError') return new WebSocketClosedError(e.message, e.closeCode);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Credentials and tokens.

/** Static credentials, or a provider called per request and cached until near `expiration`. */
function memoize(source) {
  if (typeof source !== 'function') return async () => source;
  let cached;
  let pending;
  return async () => {
    const exp = cached?.expiration;
    // A provider's first call awaits `init()`, so the core is there once something is cached.
    if (exp && !credentialsExpiring(new Date(exp).getTime(), Date.now())) return cached;
    pending ??= Promise.resolve()
      .then(source)
      .then(
        (c) => ((pending = undefined), (cached = c)),
        (e) => {
          pending = undefined;
          throw e;
        },
      );
    return pending;
  };
}

// ---------------------------------------------------------------------------------------------
// Blobs: Uint8Array in the SDK's shapes, base64 in Converse's JSON.

const utf8 = new TextEncoder();

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** `JSON.stringify` replacer: any `Uint8Array` (Node `Buffer`s included) becomes base64. */
function blobReplacer(key, value) {
  const raw = this[key];
  return raw instanceof Uint8Array ? toBase64(raw) : value;
}

/** Where the SDK hands out `Uint8Array`s: `source.bytes` and `redactedContent`. Free-form
 * JSON (tool inputs, additional fields) is left alone. */
const FREE_FORM = new Set(['input', 'json', 'additionalModelResponseFields', 'trace']);
function reviveBlobs(value, parentKey) {
  if (Array.isArray(value)) return value.map((v) => reviveBlobs(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && ((k === 'bytes' && parentKey === 'source') || k === 'redactedContent')) {
      value[k] = fromBase64(v);
    } else if (!FREE_FORM.has(k)) {
      value[k] = reviveBlobs(v, k);
    }
  }
  return value;
}

const utf8Decoder = new TextDecoder();

/** A ConverseStream event from the core → the SDK's object: `[index, text]` is a text delta
 * read lean; `[eventType, payloadBytes]` anything else, parsed once, without the `p` padding.
 * Only payloads that can hold a blob are walked (a text delta, nearly every event, cannot). */
function parseEvent([type, payload]) {
  if (typeof type === 'number') return { contentBlockDelta: { contentBlockIndex: type, delta: { text: payload } } };
  const json = utf8Decoder.decode(payload);
  const value = JSON.parse(json);
  if (value !== null && typeof value === 'object') delete value.p;
  return { [type]: json.includes('"bytes"') || json.includes('"redactedContent"') ? reviveBlobs(value) : value };
}

/** The SDK's `Uint8ArrayBlobAdapter`: a `Uint8Array` with `transformToString()`. */
class BlobAdapter extends Uint8Array {
  transformToString(encoding = 'utf-8') {
    return new TextDecoder(encoding).decode(this);
  }
}

/** Calls `cancel` when the caller's `signal` aborts (now, if it already has); returns a
 * function that stops following. The core only ever sees signals of our own controllers, so
 * a signal-like object with throwing getters cannot fail inside it. */
function follow(signal, cancel) {
  if (signal === undefined || signal === null) return () => {};
  let aborted;
  try {
    aborted = signal.aborted;
    if (typeof aborted !== 'boolean' || typeof signal.addEventListener !== 'function') throw new TypeError();
    if (!aborted) signal.addEventListener('abort', cancel, { once: true });
  } catch {
    throw new TypeError('options.abortSignal must be an AbortSignal');
  }
  if (aborted) cancel();
  return () => {
    try {
      signal.removeEventListener?.('abort', cancel);
    } catch {
      // Nothing to undo.
    }
  };
}

/** Runs `call` with a signal of our own that follows `options.abortSignal`. */
async function withSignal(options, call) {
  const controller = new AbortController();
  const stop = follow(options?.abortSignal, () => controller.abort());
  try {
    return await call(controller.signal);
  } finally {
    stop();
  }
}

/** Runs a cleanup call into the core whose failure (a stale object after a panic) is moot. */
function quietly(fn) {
  try {
    fn();
  } catch {
    // Nothing to clean up on a dead instance.
  }
}

/** A millisecond option: a whole number from 0 to 2^31 - 1 (what timers can hold; a larger
 * delay would fire at once). */
function milliseconds(value, fallback, what) {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new TypeError(`${what} must be a whole number of milliseconds from 0 to 2147483647 (0 turns it off)`);
  }
  return value;
}

/** `endpoint` as the AWS SDK takes it: a string, a URL, or `{ url }`. */
function endpointUrl(endpoint) {
  const url = typeof endpoint === 'object' && 'url' in endpoint ? endpoint.url : endpoint;
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError('config.endpoint must be a URL string such as "https://bedrock-runtime.us-east-1.amazonaws.com"');
  }
  return String(url);
}

function bodyBytes(body) {
  if (typeof body === 'string') return utf8.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('input.body must be a string or a Uint8Array (the model-native JSON request)');
}

// ---------------------------------------------------------------------------------------------
// The client.

/** A streaming response's core stream, for `textStream` to read in text mode. */
const RAW = Symbol('raw');

/** Drop-in for `BedrockRuntime` from `@aws-sdk/client-bedrock-runtime`. */
export class BedrockRuntime {
  #config;
  #core;
  #credentials;
  #token;

  constructor(config = {}) {
    const { region, credentials, token, endpoint } = config;
    if (!region || (typeof region !== 'string' && typeof region !== 'function')) {
      throw new TypeError('config.region is required, e.g. "us-east-1"');
    }
    if (!credentials && !token) {
      throw new TypeError(
        'pass config.credentials ({ accessKeyId, secretAccessKey, sessionToken? } or an async function returning them) or config.token (a Bedrock API key)',
      );
    }
    const maxAttempts = config.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new TypeError('config.maxAttempts must be a whole number from 1 to 100 (1 disables retries)');
    }
    if (config.allowInsecureEndpoint !== undefined && typeof config.allowInsecureEndpoint !== 'boolean') {
      throw new TypeError('config.allowInsecureEndpoint must be true or false');
    }
    this.#config = {
      region,
      endpoint: endpoint === undefined || endpoint === null ? undefined : endpointUrl(endpoint),
      maxAttempts,
      streamIdleTimeout: milliseconds(config.streamIdleTimeout, 60_000, 'config.streamIdleTimeout'),
      // The AWS SDK's spelling: `requestHandler: { requestTimeout }` (0 or absent: no limit).
      requestTimeout: milliseconds(config.requestHandler?.requestTimeout, 0, 'config.requestHandler.requestTimeout'),
      allowInsecureEndpoint: config.allowInsecureEndpoint === true,
    };
    this.#credentials = credentials && memoize(credentials);
    this.#token = token && memoize(token);
  }

  #coreGeneration = -1;
  /** The region `#core` was made for (`config.region` may be a function). */
  #region;

  async #send(operation, input, body, signal) {
    if (!input || typeof input !== 'object') throw new TypeError(`${operation}'s input must be an object`);
    return this.#call((core, auth) => core.send(operation, input, body, auth, signal));
  }

  /** Calls the core with this client's core and the credentials (or token) for one call. */
  async #call(fn) {
    await init();
    // Before any credentials are fetched: an insecure endpoint is refused without them.
    const core = await this.#getCore();
    let auth;
    if (this.#token) {
      const t = await this.#token();
      auth = { token: typeof t === 'string' ? t : t?.token };
    } else {
      auth = await this.#credentials();
    }
    if (auth === null || typeof auth !== 'object') {
      throw new TypeError('the credentials provider must return { accessKeyId, secretAccessKey, sessionToken? }');
    }
    try {
      return await guarded(() => Promise.resolve(fn(core, auth)));
    } catch (e) {
      throw convert(e);
    }
  }

  /** The core for this client, remade after a panic (the old one belongs to a dead instance). */
  async #getCore() {
    if (!this.#core || this.#coreGeneration !== generation) {
      quietly(() => this.#core?.free());
      const { region, endpoint, maxAttempts, streamIdleTimeout, requestTimeout, allowInsecureEndpoint } = this.#config;
      const r = typeof region === 'function' ? await region() : region;
      if (typeof r !== 'string') throw new TypeError('config.region must be a string such as "us-east-1" (or a function returning one)');
      try {
        this.#core = sync(() => new Core(r, endpoint, maxAttempts, streamIdleTimeout, requestTimeout, allowInsecureEndpoint));
        this.#region = r;
      } catch (e) {
        throw convert(e);
      }
      // A restarted core relearns the clock offset from the service.
      this.#coreGeneration = generation;
    }
    return this.#core;
  }

  /** InvokeModel: the model-native answer at once. */
  async invokeModel(input, options) {
    const r = await withSignal(options, (signal) => this.#send('InvokeModel', input, bodyBytes(input?.body), signal));
    const out = {
      $metadata: r.$metadata,
      body: new BlobAdapter(r.body.buffer, r.body.byteOffset, r.body.length),
      contentType: r.contentType,
    };
    // Read from the response headers in Rust; present only when the service sent them.
    for (const k of ['performanceConfigLatency', 'serviceTier', 'usage']) if (r[k] !== undefined) out[k] = r[k];
    return out;
  }

  /** InvokeModelWithResponseStream: `body` yields `{ chunk: { bytes } }` as each arrives. */
  async invokeModelWithResponseStream(input, options) {
    const source = await this.#stream('InvokeModelWithResponseStream', input, bodyBytes(input?.body), options);
    return {
      $metadata: source.raw.metadata,
      body: events(source, (bytes) => ({ chunk: { bytes } })),
      contentType: source.raw.contentType,
      [RAW]: source,
    };
  }

  /** Converse: one answer in the unified message format. */
  async converse(input, options) {
    const r = await withSignal(options, (signal) => this.#send('Converse', input, converseBody(input), signal));
    const out = reviveBlobs(JSON.parse(new TextDecoder().decode(r.body)));
    return { $metadata: r.$metadata, ...out };
  }

  /** ConverseStream: `stream` yields `{ messageStart } | { contentBlockDelta } | …`. */
  async converseStream(input, options) {
    const source = await this.#stream('ConverseStream', input, converseBody(input), options);
    return {
      $metadata: source.raw.metadata,
      stream: events(source, parseEvent),
      [RAW]: source,
    };
  }

  /** CountTokens: how many input tokens a request would use (free). `input.input` is
   * `{ invokeModel: { body } }` or `{ converse: { messages, system?, toolConfig?, … } }`. */
  async countTokens(input, options) {
    const body = input?.input?.invokeModel?.body;
    const request = typeof body === 'string' ? { input: { invokeModel: { ...input.input.invokeModel, body: utf8.encode(body) } } } : { input: input?.input };
    return this.#json('CountTokens', input, request, options);
  }

  /** ApplyGuardrail: checks content against a guardrail version, without a model. */
  async applyGuardrail(input, options) {
    return this.#json('ApplyGuardrail', input, without(input, 'guardrailIdentifier', 'guardrailVersion'), options);
  }

  /** InvokeGuardrailChecks: detect-only checks (content filters, prompt attacks, sensitive
   * information) that need no guardrail resource. */
  async invokeGuardrailChecks(input, options) {
    return this.#json('InvokeGuardrailChecks', input, input, options);
  }

  /** StartAsyncInvoke: starts a long job (video generation) whose results land in S3. Without
   * `clientRequestToken` one is made, once, so every retry is the same request. */
  async startAsyncInvoke(input, options) {
    const request = input?.clientRequestToken ? input : { ...input, clientRequestToken: sync(idempotencyToken) };
    return this.#json('StartAsyncInvoke', request, request, options);
  }

  /** GetAsyncInvoke: one asynchronous invocation's status; times as `Date`s. */
  async getAsyncInvoke(input, options) {
    return asyncInvokeDates(await this.#json('GetAsyncInvoke', input, undefined, options));
  }

  /** ListAsyncInvokes: one page of invocations (`nextToken` for the next; see
   * `paginateListAsyncInvokes`). */
  async listAsyncInvokes(input = {}, options) {
    const query = { ...input };
    for (const k of ['submitTimeAfter', 'submitTimeBefore']) query[k] = queryTime(input?.[k], `input.${k}`);
    const out = await this.#json('ListAsyncInvokes', query, undefined, options);
    if (Array.isArray(out.asyncInvokeSummaries)) out.asyncInvokeSummaries.forEach(asyncInvokeDates);
    return out;
  }

  /** A JSON operation: `body` (an object, or nothing for a GET) encoded with blobs as base64;
   * the answer parsed, with `$metadata`. */
  async #json(operation, input, body, options) {
    const bytes = body === undefined ? new Uint8Array() : utf8.encode(JSON.stringify(body, blobReplacer));
    const r = await withSignal(options, (signal) => this.#send(operation, input, bytes, signal));
    const text = utf8Decoder.decode(r.body);
    return { $metadata: r.$metadata, ...(text ? JSON.parse(text) : {}) };
  }

  /** The AWS SDK's `client.send(new XCommand(input))` is not offered; the methods are. */
  async #stream(operation, input, body, options) {
    // Our own controller, so that `return()` aborts even a read in flight; the caller's
    // signal is forwarded to it.
    const controller = new AbortController();
    trackStream(controller);
    const cancel = () => controller.abort();
    follow(options?.abortSignal, cancel);
    const raw = await this.#send(operation, input, body, controller.signal);
    // `started`: the events iterator has begun, so textStream must read through it.
    return { raw, cancel, modelId: input.modelId, started: false };
  }

  /**
   * InvokeModelWithBidirectionalStream (Nova Sonic) over a WebSocket: `input.body` is an
   * async iterable of `{ chunk: { bytes } }` (one JSON event each), sent as it yields; when it
   * ends the input is ended and the answer goes on until the service closes. Resolves once
   * the socket is open; `body` yields `{ chunk: { bytes } }`. Needs a global `WebSocket`
   * (browsers, workers, Node 22+) and SigV4 credentials (API keys are refused).
   */
  async invokeModelWithBidirectionalStream(input, options) {
    if (!input || typeof input !== 'object') throw new TypeError("InvokeModelWithBidirectionalStream's input must be an object");
    if (typeof input.modelId !== 'string' || !input.modelId) throw new TypeError('input.modelId is required, e.g. "amazon.nova-sonic-v1:0"');
    const source = input.body;
    const iterate = source?.[Symbol.asyncIterator] ?? source?.[Symbol.iterator];
    if (typeof iterate !== 'function') throw new TypeError('input.body must be an async iterable of { chunk: { bytes: Uint8Array } }');
    if (typeof WebSocket === 'undefined') {
      throw new TypeError('InvokeModelWithBidirectionalStream needs a global WebSocket: a browser, a worker, or Node 22 or later');
    }
    const controller = new AbortController();
    trackStream(controller);
    const cancel = () => controller.abort();
    const unfollow = follow(options?.abortSignal, cancel);
    let raw;
    try {
      const { openBidi } = await voice();
      const { endpoint, streamIdleTimeout, allowInsecureEndpoint } = this.#config;
      raw = await this.#call((core, auth) =>
        openBidi(this.#region, endpoint, allowInsecureEndpoint, streamIdleTimeout, core.clockOffset, input.modelId, auth, controller.signal),
      );
      // The core's calls are synchronous; between them, `wait()` resolves when something
      // happens on the socket or a bound passes.
      while (!sync(() => raw.opened())) await raw.wait();
    } catch (e) {
      unfollow();
      throw convert(e);
    }
    // The input's own failure (its iterator threw, or yielded a wrong shape) ends the stream
    // and is what the output throws.
    let inputFailed = false;
    let inputError;
    const fail = (e) => {
      inputFailed = true;
      inputError = e;
      cancel();
    };
    (async () => {
      let it;
      try {
        it = iterate.call(source);
      } catch (e) {
        return fail(e);
      }
      for (;;) {
        let r;
        try {
          r = await it.next();
        } catch (e) {
          return fail(e);
        }
        if (r.done) break;
        const bytes = r.value?.chunk?.bytes;
        if (!(bytes instanceof Uint8Array)) {
          return fail(new TypeError('each event of input.body must be { chunk: { bytes: Uint8Array } }'));
        }
        try {
          // false: the socket's buffer is full (Rust decides): try again shortly.
          while (!sync(() => raw.send(bytes))) await new Promise((r) => setTimeout(r, 20));
        } catch {
          // The stream has ended; its output says why. Let the input go.
          return Promise.resolve().then(() => it.return?.()).catch(() => {});
        }
      }
      try {
        sync(() => raw.end());
      } catch {
        // The stream has ended already; its output says why.
      }
    })();
    return {
      $metadata: { attempts: 1, totalRetryDelay: 0 },
      body: events(
        {
          raw: {
            async nextBatch() {
              for (;;) {
                const batch = sync(() => raw.poll());
                if (batch === undefined || batch.length) return batch ?? [];
                await raw.wait();
              }
            },
            cancel: () => raw.cancel(),
          },
          cancel,
        },
        (bytes) => ({ chunk: { bytes } }),
        (e) => (inputFailed ? inputError : e),
        unfollow,
      ),
    };
  }

  /** Does nothing: there is no connection pool to close (the SDK's `destroy()`). */
  destroy() {}
}

/** A copy of `input` without the path labels. */
function without(input, ...labels) {
  const rest = { ...input };
  for (const k of labels) delete rest[k];
  return rest;
}

/** A timestamp in a query, as the AWS SDK writes it: RFC 3339, `.000` dropped. */
function queryTime(value, what) {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`${what} must be a Date`);
  return date.toISOString().replace('.000Z', 'Z');
}

/** GetAsyncInvoke's and each ListAsyncInvokes summary's times as `Date`s, as the SDK gives them. */
function asyncInvokeDates(o) {
  for (const k of ['submitTime', 'lastModifiedTime', 'endTime']) {
    if (typeof o?.[k] === 'string') o[k] = new Date(o[k]);
  }
  return o;
}

/**
 * The AWS SDK's paginator: an async iterable of ListAsyncInvokes pages, following
 * `nextToken` until there is none (`pageSize` sets `maxResults`; `startingToken` starts
 * later; `stopOnSameToken` stops when a page repeats the token it was asked with).
 */
export async function* paginateListAsyncInvokes(config, input = {}, ...rest) {
  const client = config?.client;
  if (typeof client?.listAsyncInvokes !== 'function') {
    throw new TypeError('Invalid client, expected BedrockRuntime');
  }
  let token = config.startingToken || undefined;
  for (;;) {
    const request = { ...input, nextToken: token };
    if (config.pageSize) request.maxResults = config.pageSize;
    const page = await client.listAsyncInvokes(request, ...rest);
    yield page;
    const previous = token;
    token = page.nextToken;
    if (!token || (config.stopOnSameToken && token === previous)) return undefined;
  }
}

function converseBody(input) {
  if (!input?.modelId) throw new TypeError('input.modelId is required, e.g. "anthropic.claude-3-haiku-20240307-v1:0"');
  const { modelId, ...rest } = input;
  return utf8.encode(JSON.stringify(rest, blobReplacer));
}

/** The async iterable over a raw stream; `break` / `return()` / the signal cancel it.
 * `mapError` may replace the error thrown; `done` runs once the stream is over. */
function events(source, map, mapError = (e) => e, done = () => {}) {
  const { raw, cancel } = source;
  let chain = Promise.resolve();
  let finished = false;
  // Events arrive in batches (all those one network read completed), so the wasm boundary
  // is crossed once per read, not once per event.
  let batch = [];
  let at = 0;
  const step = async () => {
    for (;;) {
      if (finished) return { done: true, value: undefined };
      if (at === batch.length) {
        try {
          batch = await guarded(() => raw.nextBatch());
        } catch (e) {
          finished = true;
          done();
          throw mapError(convert(e));
        }
        at = 0;
        if (batch.length === 0) {
          finished = true;
          done();
          return { done: true, value: undefined };
        }
      }
      const v = batch[at++];
      if (v !== null && v !== undefined) return { done: false, value: map(v) };
    }
  };
  return {
    next() {
      source.started = true;
      const p = chain.then(step);
      chain = p.catch(() => {});
      return p;
    },
    async return() {
      source.started = true;
      finished = true;
      quietly(() => raw.cancel());
      cancel();
      done();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// textStream: any streaming answer as plain text.

/**
 * Plain text pieces of an `invokeModelWithResponseStream` (any model family) or
 * `converseStream` response. `result` resolves at the end with the stop reason, usage,
 * metrics and the assistant `message` to send back.
 */
export function textStream(response, options = {}) {
  if (options === null || typeof options !== 'object') options = {};
  let resolve;
  let reject;
  const result = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  result.catch(() => {});
  async function* pieces() {
    try {
      const r = await response;
      if (r === null || typeof r !== 'object' || (!r.stream && !r.body)) {
        throw new TypeError('textStream needs the response (or its promise) of invokeModelWithResponseStream or converseStream');
      }
      const source = r[RAW];
      let summary;
      if (source && !source.started) {
        // Untouched response of ours: the text is pulled out in Rust, one string per
        // network read, with nothing per event crossing into JavaScript.
        source.started = true;
        summary = yield* rawText(source, String(options?.modelId ?? source.modelId ?? ''));
      } else {
        summary = r?.stream ? yield* converseText(r.stream) : yield* invokeText(r, options?.modelId);
      }
      resolve(summary);
    } catch (e) {
      reject(e);
      throw e;
    } finally {
      resolve(undefined);
    }
  }
  const it = pieces();
  it.result = result;
  return it;
}

async function* rawText({ raw, cancel }, modelId) {
  let ended = false;
  try {
    for (;;) {
      let text;
      try {
        text = await guarded(() => raw.nextText(modelId));
      } catch (e) {
        ended = true;
        throw convert(e);
      }
      if (text === undefined) break;
      if (text) yield text;
    }
    ended = true;
    return summarize(JSON.parse(sync(() => raw.textOutput())));
  } finally {
    // Left early (`break`, `return()`): stop the request.
    if (!ended) {
      quietly(() => raw.cancel());
      cancel();
    }
  }
}

/** The core's output JSON → textStream's result, in the SDK's camelCase (the counts, and
 * their fallback to the invocation metrics, are decided in Rust). */
function summarize(o) {
  const u = o.usage;
  const usage = u && { inputTokens: u.input_tokens, outputTokens: u.output_tokens, totalTokens: u.total_tokens };
  if (usage && u.cache_read_input_tokens != null) usage.cacheReadInputTokens = u.cache_read_input_tokens;
  if (usage && u.cache_write_input_tokens != null) usage.cacheWriteInputTokens = u.cache_write_input_tokens;
  return {
    text: o.text,
    reasoning: o.reasoning || undefined,
    stopReason: o.stop_reason ?? undefined,
    usage,
    metrics: o.metrics ?? (o.latency_ms != null ? { latencyMs: o.latency_ms } : undefined),
    // The assistant message for the next turn, built in Rust; blobs as the SDK's Uint8Arrays.
    message: o.message && reviveBlobs(o.message),
  };
}

async function* invokeText(r, modelId = r[RAW]?.modelId ?? '') {
  const x = sync(() => new Extractor(String(modelId)));
  try {
    for await (const event of r.body) {
      const bytes = event?.chunk?.bytes;
      if (!(bytes instanceof Uint8Array)) {
        throw new TypeError('textStream: each event of the response body must be { chunk: { bytes: Uint8Array } }');
      }
      const text = sync(() => x.chunk(bytes));
      if (text) yield text;
    }
    return summarize(JSON.parse(sync(() => x.output())));
  } finally {
    quietly(() => x.free());
  }
}

/** A ConverseStream iterator already started: each event goes back to Rust, which owns the
 * text extraction in every path. */
async function* converseText(stream) {
  const x = sync(() => new Extractor(''));
  try {
    for await (const e of stream) {
      const type = e && typeof e === 'object' ? Object.keys(e)[0] : undefined;
      if (type === undefined) continue;
      const text = sync(() => x.converseEvent(type, utf8.encode(JSON.stringify(e[type], blobReplacer))));
      if (text) yield text;
    }
    return summarize(JSON.parse(sync(() => x.output())));
  } finally {
    quietly(() => x.free());
  }
}

// ---------------------------------------------------------------------------------------------
// signRequest: for requests you send yourself.

/**
 * The headers that authorize one Bedrock Runtime request you send yourself: SigV4 with
 * `credentials` (signing name `bedrock`; `authorization`, `x-amz-date` and, for temporary
 * credentials, `x-amz-security-token`), or `authorization: Bearer …` with `token`. `url` must
 * be exactly what you pass to `fetch`, and `headers` exactly the headers you send.
 */
export async function signRequest(request, config = {}) {
  if (!request?.url) throw new TypeError('request.url is required, e.g. "https://bedrock-runtime.us-east-1.amazonaws.com/model/…/invoke"');
  if (!config || typeof config.region !== 'string' || !config.region) throw new TypeError('config.region is required, e.g. "us-east-1"');
  const clockOffset = config.clockOffset ?? 0;
  if (typeof clockOffset !== 'number') throw new TypeError('config.clockOffset must be a number of milliseconds');
  const method = request.method ?? 'POST';
  if (typeof method !== 'string') throw new TypeError('request.method must be a string such as "POST"');
  // Copied into a plain object here, so a hostile object fails in JavaScript, not in the core.
  let headers = {};
  try {
    if (request.headers !== undefined) {
      if (request.headers === null || typeof request.headers !== 'object') throw new TypeError();
      headers = Object.fromEntries(Object.entries(request.headers));
    }
  } catch {
    throw new TypeError('request.headers must be a plain object of header names to string values');
  }
  await init();
  let auth;
  if (config.token) {
    const t = typeof config.token === 'function' ? await config.token() : config.token;
    auth = { token: typeof t === 'string' ? t : t?.token };
  } else {
    auth = typeof config.credentials === 'function' ? await config.credentials() : config.credentials;
  }
  const body = request.body === undefined ? new Uint8Array() : bodyBytes(request.body);
  if (auth === null || typeof auth !== 'object') auth = {};
  try {
    return sync(() =>
      authorizeRequest(method, String(request.url), headers, body, auth, config.region, Date.now(), clockOffset, config.allowInsecureEndpoint === true),
    );
  } catch (e) {
    throw convert(e);
  }
}

// ---------------------------------------------------------------------------------------------
// A signing fetch, for the OpenAI- and Anthropic-compatible APIs and any other Bedrock call.

/** Bedrock's request-body limit: a larger body is refused before it is read further. */
const MAX_SIGNED_BODY = 25_000_000;
/** An error body is read for the clock-skew check only up to this size. */
const MAX_SKEW_BODY = 65_536;
/** Auth headers the caller's SDK may have set; ours replace them. */
const REPLACED = ['authorization', 'x-api-key', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];

/** A request body as bytes to sign (fetch's body types; streams read up to the limit). */
async function requestBytes(body) {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return utf8.encode(body);
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return utf8.encode(String(body));
  const tooBig = () => new RangeError(`the request body is over ${MAX_SIGNED_BODY} bytes, Bedrock's limit`);
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    if (body.size > MAX_SIGNED_BODY) throw tooBig();
    return new Uint8Array(await body.arrayBuffer());
  }
  const chunks = [];
  let size = 0;
  const add = (chunk) => {
    const bytes = typeof chunk === 'string' ? utf8.encode(chunk) : new Uint8Array(chunk.buffer ?? chunk, chunk.byteOffset ?? 0, chunk.byteLength);
    size += bytes.length;
    if (size > MAX_SIGNED_BODY) throw tooBig();
    chunks.push(bytes);
  };
  if (typeof body.getReader === 'function') {
    const reader = body.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) add(r.value);
    } catch (e) {
      quietly(() => reader.cancel());
      throw e;
    }
  } else if (typeof body[Symbol.asyncIterator] === 'function') {
    for await (const chunk of body) add(chunk);
  } else {
    throw new TypeError('the request body must be a string, bytes, a Blob, URLSearchParams or a stream (FormData cannot be signed)');
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

/**
 * An error body in Bedrock's shape (`{"message"}`) for the skew check: the OpenAI-compatible
 * (`{"error":{"message",…}}`) and Anthropic-compatible (`{"type":"error","error":{"message",…}}`)
 * routes nest the message.
 */
function errorMessageBody(bytes) {
  try {
    const body = JSON.parse(utf8Decoder.decode(bytes));
    if (typeof body?.message !== 'string' && typeof body?.error?.message === 'string') {
      return utf8.encode(JSON.stringify({ message: body.error.message }));
    }
  } catch {
    // Not JSON: read as it is.
  }
  return bytes;
}

/**
 * A function with `fetch`'s signature that authorizes each request for Bedrock: SigV4 with
 * `credentials` (service `bedrock`, or `bedrock-mantle` for a `bedrock-mantle.*` host; clock
 * skew corrected and the request re-signed once), or `Authorization: Bearer` with `token`.
 * Any auth header the caller set (`authorization`, `x-api-key`) is replaced. It sends through
 * `config.fetch`, or the global `fetch` looked up at each call.
 */
export function createSignedFetch(config = {}) {
  const { region, credentials, token } = config ?? {};
  if (!region || typeof region !== 'string') throw new TypeError('config.region is required, e.g. "us-east-1"');
  if (!credentials && !token) {
    throw new TypeError(
      'pass config.credentials ({ accessKeyId, secretAccessKey, sessionToken? } or an async function returning them) or config.token (a Bedrock API key)',
    );
  }
  if (config.fetch !== undefined && typeof config.fetch !== 'function') throw new TypeError("config.fetch must be a function with fetch's signature");
  if (config.allowInsecureEndpoint !== undefined && typeof config.allowInsecureEndpoint !== 'boolean') {
    throw new TypeError('config.allowInsecureEndpoint must be true or false');
  }
  const getCredentials = credentials && memoize(credentials);
  const getToken = token && memoize(token);
  let clockOffset = 0;
  return async function signedFetch(input, options) {
    const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
    const url = request ? request.url : String(input instanceof URL ? input.href : input);
    const method = String(options?.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = new Headers(options?.headers ?? request?.headers);
    const rawBody = options && 'body' in options ? options.body : request?.body;
    if (typeof rawBody === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    if (typeof URLSearchParams !== 'undefined' && rawBody instanceof URLSearchParams && !headers.has('content-type')) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    }
    const body = method === 'GET' || method === 'HEAD' ? undefined : await requestBytes(rawBody);
    for (const name of REPLACED) headers.delete(name);
    await init();
    let auth;
    if (getToken) {
      const t = await getToken();
      auth = { token: typeof t === 'string' ? t : t?.token };
    } else {
      auth = await getCredentials();
    }
    if (auth === null || typeof auth !== 'object') auth = {};
    const send = () => {
      // Only what every runtime sends unchanged is signed: a browser drops or rewrites some
      // headers (user-agent, …), and a signed header that changes breaks the signature.
      const signed = headers.has('content-type') ? { 'content-type': headers.get('content-type') } : {};
      let added;
      try {
        added = sync(() =>
          authorizeRequest(method, url, signed, body ?? new Uint8Array(), auth, region, Date.now(), clockOffset, config.allowInsecureEndpoint === true),
        );
      } catch (e) {
        throw convert(e);
      }
      const out = new Headers(headers);
      for (const [k, v] of Object.entries(added)) out.set(k, v);
      const f = config.fetch ?? globalThis.fetch;
      return f(url, { ...options, method, headers: out, body, signal: options?.signal ?? request?.signal });
    };
    const sentAt = Date.now();
    const response = await send();
    if (getToken || response.status < 400 || response.status >= 500) return response;
    const length = Number(response.headers.get('content-length'));
    if (!(length > 0 && length <= MAX_SKEW_BODY)) return response;
    const text = errorMessageBody(new Uint8Array(await response.clone().arrayBuffer()));
    const offset = sync(() => skewCorrection(response.status, response.headers.get('x-amzn-errortype') ?? undefined, text, (sentAt + Date.now()) / 2));
    if (offset === undefined) return response;
    clockOffset = offset;
    quietly(() => response.body?.cancel());
    return send();
  };
}

// ---------------------------------------------------------------------------------------------
// Native bodies.

/**
 * The model-native InvokeModel body for `modelId`'s family, as a plain object, from a text chat
 * in Converse's shape: `{ messages, system?, inferenceConfig?: { maxTokens, temperature, topP,
 * topK, stopSequences }, additionalModelRequestFields? }`. `options.streaming` tells families
 * that must be told (Cohere Command) that the answer will be streamed.
 */
export async function buildInvokeBody(modelId, input, options = {}) {
  if (typeof modelId !== 'string' || !modelId) throw new TypeError('modelId is required, e.g. "anthropic.claude-3-haiku-20240307-v1:0"');
  if (!input || typeof input !== 'object') {
    throw new TypeError('input must be { messages, system?, inferenceConfig?, additionalModelRequestFields? }');
  }
  const streaming = options?.streaming ?? false;
  if (typeof streaming !== 'boolean') throw new TypeError('options.streaming must be true or false');
  // Encoded here, so a value JSON cannot hold fails in JavaScript, not in the core.
  const chat = new TextEncoder().encode(JSON.stringify(input));
  await init();
  try {
    return JSON.parse(sync(() => buildBody(modelId, chat, streaming)));
  } catch (e) {
    throw convert(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Cognito identity pools.

/**
 * Credentials from an Amazon Cognito identity pool, as a provider for `credentials`: unsigned
 * GetId + GetCredentialsForIdentity (or, with `classicFlow`, GetOpenIdToken + STS
 * AssumeRoleWithWebIdentity), cached until they are about to expire.
 */
export function fromCognitoIdentityPool(options) {
  if (!options?.identityPoolId) {
    throw new TypeError('identityPoolId is required, e.g. "us-east-1:00000000-0000-0000-0000-000000000000"');
  }
  let identityId = options.identityId;
  return memoize(async () => {
    await init();
    const logins = {};
    for (const [k, v] of Object.entries(options.logins ?? {})) {
      logins[k] = typeof v === 'function' ? await v() : await v;
    }
    try {
      const c = await withSignal(options, (signal) =>
        guarded(() => cognitoCredentials({ ...options, logins, identityId }, signal)),
      );
      identityId = c.identityId;
      return c;
    } catch (e) {
      throw convert(e);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Nova Sonic: a speech-to-speech session over invokeModelWithBidirectionalStream.

/**
 * Opens a Nova Sonic session: sends `sessionStart`, `promptStart` (voice, 24 kHz speech out,
 * tools) and the system prompt, then resolves the session. `sendAudio` takes 16-bit mono PCM
 * at `inputSampleRate` (16 kHz); `sendText` a typed turn; iterate the session for typed events
 * (transcripts, speech as PCM at `outputSampleRate`, tool uses, usage, completion ends).
 */
export async function novaSonic(client, options = {}) {
  if (typeof client?.invokeModelWithBidirectionalStream !== 'function') throw new TypeError('novaSonic needs a BedrockRuntime client');
  const o = options ?? {};
  const { Sonic } = await voice();
  // Rust writes every event and reads every answer (src/bedrock/sonic.rs); this queues the
  // events for the stream and builds the objects of NovaSonicEvent.
  const sonic = sync(() => new Sonic(`prompt-${Date.now().toString(36)}`, o.inputSampleRate));
  const queue = [];
  let wake;
  let inputEnded = false;
  const call = (f) => {
    queue.push(...sync(f));
    wake?.();
  };
  async function* input() {
    for (;;) {
      while (queue.length) yield { chunk: { bytes: queue.shift() } };
      if (inputEnded) return;
      await new Promise((r) => (wake = r));
      wake = undefined;
    }
  }
  call(() =>
    sonic.start(o.maxTokens, o.topP, o.temperature, o.voiceId, o.outputSampleRate, o.tools == null ? undefined : JSON.stringify(o.tools), o.systemPrompt),
  );
  const response = await client.invokeModelWithBidirectionalStream(
    { modelId: o.modelId ?? 'amazon.nova-sonic-v1:0', body: input() },
    { abortSignal: o.abortSignal },
  );
  const output = response.body[Symbol.asyncIterator]();
  const stop = () => {
    quietly(() => sonic.end(true));
    inputEnded = true;
    wake?.();
    return output.return();
  };
  return {
    /** Sends 16-bit little-endian mono PCM at `inputSampleRate`, opening the microphone's content on the first call. */
    sendAudio(pcm) {
      if (!(pcm instanceof Uint8Array)) throw new TypeError('sendAudio takes 16-bit mono PCM as a Uint8Array');
      call(() => sonic.audio(pcm));
    },
    /** Ends the microphone's content (the next `sendAudio` opens a new one). */
    endAudio() {
      call(() => sonic.end(false));
    },
    /** A typed turn (`role` USER by default): answered when it ends. */
    sendText(value, { role = 'USER', interactive = true } = {}) {
      call(() => sonic.text(String(role), String(value), !!interactive));
    },
    /** The result of a `toolUse` event, as text or JSON. */
    sendToolResult(toolUseId, result) {
      call(() => sonic.text('TOOL', typeof result === 'string' ? result : (JSON.stringify(result) ?? 'null'), false, String(toolUseId)));
    },
    /** Ends the input (`promptEnd`, `sessionEnd`); the events go on until the answer is complete. */
    end() {
      call(() => sonic.end(true));
      inputEnded = true;
      wake?.();
    },
    /** Stops at once: the socket is closed and iterating ends with an `AbortError`. */
    close() {
      stop();
    },
    async next() {
      const r = await output.next();
      if (r.done) return r;
      let out;
      try {
        out = JSON.parse(sync(() => sonic.read(r.value.chunk.bytes)));
      } catch (x) {
        // An event that cannot be read ends the session: the error says why.
        stop();
        throw x;
      }
      if (out.type === 'audio') out.audio = sonic.pcm();
      return { done: false, value: out };
    },
    return() {
      return stop();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
