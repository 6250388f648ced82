// bedrock-wasm: Amazon Bedrock Runtime's four calls with the AWS SDK's shapes, over a
// WebAssembly core (SigV4, retries, clock skew, event-stream decoding, idle watchdog).
// This file is the package's browser/bundler entry; `node.js` adds reading the wasm from disk.
import initWasm, { Core, Extractor, authorizeRequest, cognitoCredentials } from './bedrock_wasm.js';

// ---------------------------------------------------------------------------------------------
// Initialisation: every call awaits it; `init()` preloads.

/** @internal Set by `node.js`: where the wasm bytes come from when none are given. */
export const __wasmSource = { get: undefined };
let ready;

/** Loads and instantiates the WebAssembly module once. Optional: the first call does it. */
export function init(source) {
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

const SERVER_FAULTS = ['InternalServerException', 'ServiceUnavailableException'];
const modeled = {};
const exception = (name) =>
  (modeled[name] = {
    [name]: class extends BedrockRuntimeServiceException {
      constructor(options) {
        super({ ...options, name, $fault: options?.$fault ?? (SERVER_FAULTS.includes(name) ? 'server' : 'client') });
      }
    },
  }[name]);

export const AccessDeniedException = exception('AccessDeniedException');
export const ConflictException = exception('ConflictException');
export const InternalServerException = exception('InternalServerException');
export const ModelErrorException = exception('ModelErrorException');
export const ModelNotReadyException = exception('ModelNotReadyException');
export const ModelStreamErrorException = exception('ModelStreamErrorException');
export const ModelTimeoutException = exception('ModelTimeoutException');
export const ResourceNotFoundException = exception('ResourceNotFoundException');
export const ServiceQuotaExceededException = exception('ServiceQuotaExceededException');
export const ServiceUnavailableException = exception('ServiceUnavailableException');
export const ThrottlingException = exception('ThrottlingException');
export const ValidationException = exception('ValidationException');

/** A stream delivered nothing for `streamIdleTimeout` ms and was stopped. */
export class StreamIdleTimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StreamIdleTimeoutError';
  }
}

/** The core's plain `Error` (named after the AWS exception) → the matching class. */
function convert(e) {
  if (!(e instanceof Error) || e instanceof BedrockRuntimeServiceException) return e;
  const Class = modeled[e.name];
  if (Class || e.$fault) {
    const { name, message, $fault, $metadata } = e;
    const out = new (Class ?? BedrockRuntimeServiceException)({ ...e, name, message, $fault, $metadata });
    out.stack = e.stack;
    return out;
  }
  if (e.name === 'StreamIdleTimeoutError') return new StreamIdleTimeoutError(e.message);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Credentials and tokens.

const REFRESH_BEFORE_MS = 5 * 60 * 1000;

/** Static credentials, or a provider called per request and cached until near `expiration`. */
function memoize(source) {
  if (typeof source !== 'function') return async () => source;
  let cached;
  let pending;
  return async () => {
    const exp = cached?.expiration;
    if (exp && new Date(exp).getTime() - Date.now() > REFRESH_BEFORE_MS) return cached;
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

/** A ConverseStream event's JSON → the SDK's object. Only events that can hold a blob are
 * walked (a text delta, nearly every event, cannot). */
const parseEvent = (json) =>
  json.includes('"bytes"') || json.includes('"redactedContent"') ? reviveBlobs(JSON.parse(json)) : JSON.parse(json);

/** The SDK's `Uint8ArrayBlobAdapter`: a `Uint8Array` with `transformToString()`. */
class BlobAdapter extends Uint8Array {
  transformToString(encoding = 'utf-8') {
    return new TextDecoder(encoding).decode(this);
  }
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

/** Drop-in for `BedrockRuntime` from `@aws-sdk/client-bedrock-runtime` (the four calls). */
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
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new TypeError('config.maxAttempts must be a whole number ≥ 1 (1 disables retries)');
    }
    this.#config = {
      region,
      endpoint: endpoint === undefined ? undefined : String(endpoint?.url ?? endpoint),
      maxAttempts,
      streamIdleTimeout: config.streamIdleTimeout ?? 60_000,
    };
    this.#credentials = credentials && memoize(credentials);
    this.#token = token && memoize(token);
  }

  async #send(operation, input, body, signal) {
    if (!input || typeof input !== 'object') throw new TypeError('input must be an object with modelId');
    await init();
    let auth;
    if (this.#token) {
      const t = await this.#token();
      auth = { token: typeof t === 'string' ? t : t?.token };
    } else {
      auth = await this.#credentials();
    }
    if (!this.#core) {
      const { region, endpoint, maxAttempts, streamIdleTimeout } = this.#config;
      const r = typeof region === 'function' ? await region() : region;
      this.#core = new Core(r, endpoint, maxAttempts, streamIdleTimeout);
    }
    try {
      return await this.#core.send(operation, input, body, auth, signal);
    } catch (e) {
      throw convert(e);
    }
  }

  /** InvokeModel: the model-native answer at once. */
  async invokeModel(input, options) {
    const r = await this.#send(0, input, bodyBytes(input?.body), options?.abortSignal);
    const h = r.headers;
    const out = {
      $metadata: r.$metadata,
      body: new BlobAdapter(r.body.buffer, r.body.byteOffset, r.body.length),
      contentType: r.contentType,
    };
    if (h['x-amzn-bedrock-performanceconfig-latency']) {
      out.performanceConfigLatency = h['x-amzn-bedrock-performanceconfig-latency'];
    }
    if (h['x-amzn-bedrock-service-tier']) out.serviceTier = h['x-amzn-bedrock-service-tier'];
    const n = (k) => (h[k] === undefined ? undefined : Number(h[k]));
    if (h['x-amzn-bedrock-input-token-count'] !== undefined) {
      out.usage = {
        inputTokens: n('x-amzn-bedrock-input-token-count'),
        outputTokens: n('x-amzn-bedrock-output-token-count'),
        invocationLatency: n('x-amzn-bedrock-invocation-latency'),
      };
    }
    return out;
  }

  /** InvokeModelWithResponseStream: `body` yields `{ chunk: { bytes } }` as each arrives. */
  async invokeModelWithResponseStream(input, options) {
    const source = await this.#stream(1, input, bodyBytes(input?.body), options);
    return {
      $metadata: source.raw.metadata,
      body: events(source, (bytes) => ({ chunk: { bytes } })),
      contentType: source.raw.contentType,
      [RAW]: source,
    };
  }

  /** Converse: one answer in the unified message format. */
  async converse(input, options) {
    const r = await this.#send(2, input, converseBody(input), options?.abortSignal);
    const out = reviveBlobs(JSON.parse(new TextDecoder().decode(r.body)));
    return { $metadata: r.$metadata, ...out };
  }

  /** ConverseStream: `stream` yields `{ messageStart } | { contentBlockDelta } | …`. */
  async converseStream(input, options) {
    const source = await this.#stream(3, input, converseBody(input), options);
    return {
      $metadata: source.raw.metadata,
      stream: events(source, parseEvent),
      [RAW]: source,
    };
  }

  /** The AWS SDK's `client.send(new XCommand(input))` is not offered; the methods are. */
  async #stream(operation, input, body, options) {
    // Our own controller, so that `return()` aborts even a read in flight; the caller's
    // signal is forwarded to it.
    const controller = new AbortController();
    const signal = options?.abortSignal;
    const cancel = () => controller.abort();
    if (signal?.aborted) cancel();
    signal?.addEventListener?.('abort', cancel, { once: true });
    const raw = await this.#send(operation, input, body, controller.signal);
    // `started`: the events iterator has begun, so textStream must read through it.
    return { raw, cancel, modelId: input.modelId, started: false };
  }

  /** Does nothing: there is no connection pool to close (the SDK's `destroy()`). */
  destroy() {}
}

function converseBody(input) {
  if (!input?.modelId) throw new TypeError('input.modelId is required, e.g. "anthropic.claude-3-haiku-20240307-v1:0"');
  const { modelId, ...rest } = input;
  return utf8.encode(JSON.stringify(rest, blobReplacer));
}

/** The async iterable over a raw stream; `break` / `return()` / the signal cancel it. */
function events(source, map) {
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
          batch = await raw.nextBatch();
        } catch (e) {
          finished = true;
          throw convert(e);
        }
        at = 0;
        if (batch.length === 0) {
          finished = true;
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
      raw.cancel();
      cancel();
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
 * `converseStream` response. `result` resolves at the end with the stop reason, usage and
 * metrics.
 */
export function textStream(response, options = {}) {
  let resolve;
  let reject;
  const result = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  result.catch(() => {});
  async function* pieces() {
    try {
      const r = await response;
      const source = r[RAW];
      let summary;
      if (source && !source.started) {
        // Untouched response of ours: the text is pulled out in Rust, one string per
        // network read, with nothing per event crossing into JavaScript.
        source.started = true;
        summary = yield* rawText(source, options.modelId ?? source.modelId ?? '');
      } else {
        summary = r.stream ? yield* converseText(r.stream) : yield* invokeText(r, options.modelId);
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
        text = await raw.nextText(modelId);
      } catch (e) {
        ended = true;
        throw convert(e);
      }
      if (text === undefined) break;
      if (text) yield text;
    }
    ended = true;
    return summarize(JSON.parse(raw.textOutput()));
  } finally {
    // Left early (`break`, `return()`): stop the request.
    if (!ended) {
      raw.cancel();
      cancel();
    }
  }
}

/** The core's output JSON → textStream's result, in the SDK's camelCase. */
function summarize(o) {
  // Families that state no usage in their chunks still get it from the invocation metrics.
  const m = o.metrics;
  const u = o.usage ?? (m && { input_tokens: m.inputTokenCount, output_tokens: m.outputTokenCount });
  const usage = u && {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    totalTokens: u.total_tokens ?? u.input_tokens + u.output_tokens,
  };
  if (usage && u.cache_read_input_tokens != null) usage.cacheReadInputTokens = u.cache_read_input_tokens;
  if (usage && u.cache_write_input_tokens != null) usage.cacheWriteInputTokens = u.cache_write_input_tokens;
  return {
    text: o.text,
    reasoning: o.reasoning || undefined,
    stopReason: o.stop_reason ?? undefined,
    usage,
    metrics: o.metrics ?? (o.latency_ms != null ? { latencyMs: o.latency_ms } : undefined),
  };
}

async function* invokeText(r, modelId = r[RAW]?.modelId ?? '') {
  const x = new Extractor(modelId);
  try {
    for await (const { chunk } of r.body) {
      const text = x.chunk(chunk.bytes);
      if (text) yield text;
    }
    return summarize(JSON.parse(x.output()));
  } finally {
    x.free();
  }
}

async function* converseText(stream) {
  const out = { text: '', reasoning: undefined, stopReason: undefined, usage: undefined, metrics: undefined };
  for await (const e of stream) {
    const d = e.contentBlockDelta?.delta;
    if (typeof d?.text === 'string' && d.text) {
      out.text += d.text;
      yield d.text;
    } else if (d?.reasoningContent?.text) {
      out.reasoning = (out.reasoning ?? '') + d.reasoningContent.text;
    }
    if (e.messageStop) out.stopReason = e.messageStop.stopReason;
    if (e.metadata) {
      out.usage = e.metadata.usage;
      out.metrics = e.metadata.metrics;
    }
  }
  return out;
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
  if (!config.region) throw new TypeError('config.region is required, e.g. "us-east-1"');
  await init();
  let auth;
  if (config.token) {
    const t = typeof config.token === 'function' ? await config.token() : config.token;
    auth = { token: typeof t === 'string' ? t : t?.token };
  } else {
    auth = typeof config.credentials === 'function' ? await config.credentials() : config.credentials;
  }
  const body = request.body === undefined ? new Uint8Array() : bodyBytes(request.body);
  const now = Date.now() + (config.clockOffset ?? 0);
  return authorizeRequest(request.method ?? 'POST', String(request.url), request.headers ?? {}, body, auth ?? {}, config.region, now);
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
      const c = await cognitoCredentials({ ...options, logins, identityId }, options.abortSignal);
      identityId = c.identityId;
      return c;
    } catch (e) {
      throw convert(e);
    }
  });
}
