// bedrock-wasm: Amazon Bedrock Runtime with the AWS SDK's shapes.
// Curated by hand; checked by `tsc --noEmit` against tests/js/types.test.ts.

/** AWS credentials. Temporary credentials need `sessionToken`. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working; a provider is called again 5 minutes before. */
  expiration?: Date;
}

/** Called per request; its answer is cached until 5 minutes before `expiration`. */
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/** A Bedrock API key, sent as `Authorization: Bearer <token>`. */
export interface TokenIdentity {
  token: string;
  expiration?: Date;
}

export interface BedrockRuntimeClientConfig {
  /** e.g. `"us-east-1"`. */
  region: string | (() => Promise<string>);
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A Bedrock API key; used instead of `credentials` when set. */
  token?: string | TokenIdentity | (() => Promise<string | TokenIdentity>);
  /** Default `https://bedrock-runtime.<region>.amazonaws.com`. Plain `http://` only to a
   * loopback host (a local emulator) unless `allowInsecureEndpoint` is set. */
  endpoint?: string | URL | { url: string | URL };
  /** Attempts including the first (default 3, at most 100); `1` disables retries. */
  maxAttempts?: number;
  /** A stream that completes no event for this many ms fails with `StreamIdleTimeoutError`
   * (default 60000; 0 disables the watchdog; at most 2147483647). Bytes that complete no
   * event do not count. Not in the AWS SDK. */
  streamIdleTimeout?: number;
  /** As in the AWS SDK: `requestTimeout` limits the wait for the response headers of each
   * attempt, in ms; past it the request is aborted with a `TimeoutError`. Default 0: no
   * limit, since InvokeModel answers only when generation is done. */
  requestHandler?: { requestTimeout?: number };
  /** Allow credentials and API keys over plain `http://` to hosts that are not loopback
   * (they cross the network in clear). Default false: such an endpoint is refused before
   * anything is sent, with an `InsecureEndpointError`. Not in the AWS SDK. */
  allowInsecureEndpoint?: boolean;
}

export interface ResponseMetadata {
  httpStatusCode?: number;
  /** `x-amzn-RequestId`, when the response lets the page read it. */
  requestId?: string;
  attempts?: number;
  /** Milliseconds spent waiting between attempts. */
  totalRetryDelay?: number;
}

export interface MetadataBearer {
  $metadata: ResponseMetadata;
}

export interface HttpHandlerOptions {
  /** Aborts the request, a retry wait, or a stream mid-way (the connection is closed). */
  abortSignal?: AbortSignal;
}

export type Performance = 'standard' | 'optimized';
export type Trace = 'ENABLED' | 'DISABLED' | 'ENABLED_FULL';

export interface InvokeModelRequest {
  /** A model id, inference profile id or ARN. */
  modelId: string;
  /** The model-native JSON request. */
  body: string | Uint8Array;
  contentType?: string;
  accept?: string;
  trace?: Trace | string;
  guardrailIdentifier?: string;
  guardrailVersion?: string;
  performanceConfigLatency?: Performance | string;
  serviceTier?: string;
}

/** The SDK's `Uint8ArrayBlobAdapter`. */
export interface BlobAdapter extends Uint8Array {
  transformToString(encoding?: string): string;
}

export interface InvokeModelResponse extends MetadataBearer {
  body: BlobAdapter;
  contentType: string | undefined;
  performanceConfigLatency?: string;
  serviceTier?: string;
  /** From the `X-Amzn-Bedrock-*` headers, when readable. Not in the AWS SDK. */
  usage?: { inputTokens?: number; outputTokens?: number; invocationLatency?: number };
}

export type InvokeModelWithResponseStreamRequest = Omit<InvokeModelRequest, 'accept'> & { accept?: string };

export interface ResponseStreamEvent {
  chunk: { bytes: Uint8Array };
}

export interface InvokeModelWithResponseStreamResponse extends MetadataBearer {
  /** Chunks as they arrive; `break` cancels the request. Stream exceptions are thrown. */
  body: AsyncIterable<ResponseStreamEvent>;
  contentType: string | undefined;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export interface MediaSource {
  bytes?: Uint8Array;
  s3Location?: { uri: string; bucketOwner?: string };
  text?: string;
}

export type ContentBlock =
  | { text: string }
  | { image: { format: ImageFormat | string; source: MediaSource } }
  | { document: { format?: string; name: string; source: MediaSource; [k: string]: unknown } }
  | { video: { format: string; source: MediaSource } }
  | { toolUse: { toolUseId: string; name: string; input: unknown; type?: string } }
  | { toolResult: { toolUseId: string; content: ToolResultContentBlock[]; status?: 'success' | 'error' } }
  | { reasoningContent: { reasoningText?: { text: string; signature?: string }; redactedContent?: Uint8Array } }
  | { guardContent: unknown }
  | { cachePoint: CachePointBlock }
  | { [member: string]: unknown };

/** A prompt-cache checkpoint; `ttl` `5m` (default) or `1h`. */
export interface CachePointBlock {
  type: 'default';
  ttl?: '5m' | '1h' | (string & {});
}

export type ToolResultContentBlock =
  | { json: unknown }
  | { text: string }
  | { image: { format: string; source: MediaSource } }
  | { document: { format?: string; name: string; source: MediaSource } };

export interface Message {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export type SystemContentBlock = { text: string } | { guardContent: unknown } | { cachePoint: CachePointBlock };

export interface InferenceConfiguration {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface ToolConfiguration {
  tools: Array<
    | { toolSpec: { name: string; description?: string; inputSchema: { json: unknown }; strict?: boolean } }
    | { systemTool: { name: string } }
    | { cachePoint: CachePointBlock }
  >;
  toolChoice?: { auto: {} } | { any: {} } | { tool: { name: string } };
}

export interface ConverseRequest {
  modelId: string;
  messages?: Message[];
  system?: SystemContentBlock[];
  inferenceConfig?: InferenceConfiguration;
  toolConfig?: ToolConfiguration;
  guardrailConfig?: { guardrailIdentifier: string; guardrailVersion: string; trace?: 'enabled' | 'disabled' | 'enabled_full' };
  additionalModelRequestFields?: unknown;
  promptVariables?: Record<string, { text: string }>;
  additionalModelResponseFieldPaths?: string[];
  requestMetadata?: Record<string, string>;
  performanceConfig?: { latency: Performance };
  serviceTier?: { type: string };
  /** Structured output and reasoning effort. */
  outputConfig?: {
    textFormat?: { type: 'json_schema' | (string & {}); structure: { jsonSchema: { schema: string; name?: string; description?: string } } };
    effort?: string;
  };
  /** Members newer than these types pass through unchanged. */
  [member: string]: unknown;
}

export type ConverseStreamRequest = Omit<ConverseRequest, 'guardrailConfig'> & {
  guardrailConfig?: ConverseRequest['guardrailConfig'] & { streamProcessingMode?: 'sync' | 'async' };
};

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
  /** Cache writes by TTL. */
  cacheDetails?: Array<{ ttl: '5m' | '1h' | (string & {}); inputTokens: number }>;
}

export type StopReason =
  | 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'guardrail_intervened' | 'content_filtered'
  | 'model_context_window_exceeded' | (string & {});

export interface ConverseResponse extends MetadataBearer {
  output: { message?: Message };
  stopReason: StopReason;
  usage: TokenUsage;
  metrics: { latencyMs: number };
  additionalModelResponseFields?: unknown;
  trace?: unknown;
  performanceConfig?: { latency: Performance };
  serviceTier?: { type: string };
}

export type ContentBlockDelta =
  | { text: string }
  | { toolUse: { input: string } }
  | { reasoningContent: { text?: string; signature?: string; redactedContent?: Uint8Array } }
  | { citation: unknown }
  | { image: { source?: { bytes?: Uint8Array }; error?: { message: string } } }
  | { toolResult: Array<{ text: string } | { json: unknown }> }
  | { [member: string]: unknown };

/** One ConverseStream event: exactly one member is set. */
export type ConverseStreamOutput =
  | { messageStart: { role: 'assistant' } }
  | { contentBlockStart: { contentBlockIndex: number; start: { toolUse?: { toolUseId: string; name: string } } & Record<string, unknown> } }
  | { contentBlockDelta: { contentBlockIndex: number; delta: ContentBlockDelta } }
  | { contentBlockStop: { contentBlockIndex: number } }
  | { messageStop: { stopReason: StopReason; additionalModelResponseFields?: unknown } }
  | { metadata: { usage: TokenUsage; metrics: { latencyMs: number }; trace?: unknown } };

export interface ConverseStreamResponse extends MetadataBearer {
  /** Events as they arrive; `break` cancels the request. Stream exceptions are thrown. */
  stream: AsyncIterable<ConverseStreamOutput>;
}

// CountTokens.

export interface CountTokensRequest {
  modelId: string;
  input:
    | { invokeModel: { body: Uint8Array | string } }
    | {
        converse: {
          messages?: Message[];
          system?: SystemContentBlock[];
          toolConfig?: ToolConfiguration;
          additionalModelRequestFields?: unknown;
        };
      };
}

export interface CountTokensResponse extends MetadataBearer {
  inputTokens: number;
}

// ApplyGuardrail and InvokeGuardrailChecks.

export type GuardrailContentBlock =
  | { text: { text: string; qualifiers?: Array<'grounding_source' | 'query' | 'guard_content' | (string & {})> } }
  | { image: { format: 'png' | 'jpeg' | (string & {}); source: { bytes: Uint8Array } } };

export interface ApplyGuardrailRequest {
  guardrailIdentifier: string;
  guardrailVersion: string;
  source: 'INPUT' | 'OUTPUT';
  content: GuardrailContentBlock[];
  outputScope?: 'INTERVENTIONS' | 'FULL';
}

export interface ApplyGuardrailResponse extends MetadataBearer {
  usage: Record<string, number>;
  action: 'NONE' | 'GUARDRAIL_INTERVENED' | (string & {});
  actionReason?: string;
  outputs: Array<{ text?: string }>;
  /** Per-policy findings: `topicPolicy`, `contentPolicy`, `wordPolicy`, `sensitiveInformationPolicy`, … */
  assessments: Array<Record<string, unknown>>;
  guardrailCoverage?: {
    textCharacters?: { guarded?: number; total?: number };
    images?: { guarded?: number; total?: number };
  };
}

export interface InvokeGuardrailChecksRequest {
  messages: Array<{ role: 'user' | 'assistant' | (string & {}); content: Array<{ text: string }> }>;
  checks: {
    contentFilter?: { categories: Array<{ category: string }> };
    promptAttack?: { categories: Array<{ category: string }> };
    sensitiveInformation?: { entities: Array<{ type: string }> };
  };
}

export interface InvokeGuardrailChecksResponse extends MetadataBearer {
  results: {
    contentFilter?: { results: Array<{ category: string; severityScore: number }> };
    promptAttack?: { results: Array<{ category: string; severityScore: number }> };
    sensitiveInformation?: {
      results: Array<{
        type: string;
        confidenceScore: number;
        beginOffset: number;
        endOffset: number;
        messageIndex: number;
        contentIndex: number;
      }>;
      truncated?: boolean;
    };
  };
  usage: {
    contentFilter?: { textUnits: number };
    promptAttack?: { textUnits: number };
    sensitiveInformation?: { textUnits: number };
  };
}

// Asynchronous invocation.

export interface AsyncInvokeOutputDataConfig {
  s3OutputDataConfig?: { s3Uri: string; kmsKeyId?: string; bucketOwner?: string };
}

export interface StartAsyncInvokeRequest {
  modelId: string;
  /** The model-native input, a JSON document. */
  modelInput: unknown;
  outputDataConfig: AsyncInvokeOutputDataConfig;
  /** Made (a UUID) when absent, once per call, so retries are idempotent. */
  clientRequestToken?: string;
  tags?: Array<{ key: string; value: string }>;
}

export interface StartAsyncInvokeResponse extends MetadataBearer {
  invocationArn: string;
}

export type AsyncInvokeStatus = 'InProgress' | 'Completed' | 'Failed';

export interface AsyncInvokeSummary {
  invocationArn: string;
  modelArn: string;
  clientRequestToken?: string;
  status?: AsyncInvokeStatus | (string & {});
  failureMessage?: string;
  submitTime: Date;
  lastModifiedTime?: Date;
  endTime?: Date;
  outputDataConfig: AsyncInvokeOutputDataConfig;
}

export interface GetAsyncInvokeRequest {
  invocationArn: string;
}

export interface GetAsyncInvokeResponse extends AsyncInvokeSummary, MetadataBearer {
  status: AsyncInvokeStatus | (string & {});
}

export interface ListAsyncInvokesRequest {
  submitTimeAfter?: Date;
  submitTimeBefore?: Date;
  statusEquals?: AsyncInvokeStatus;
  /** 1 to 1000. */
  maxResults?: number;
  nextToken?: string;
  sortBy?: 'SubmissionTime';
  sortOrder?: 'Ascending' | 'Descending';
}

export interface ListAsyncInvokesResponse extends MetadataBearer {
  nextToken?: string;
  asyncInvokeSummaries?: AsyncInvokeSummary[];
}

/** The AWS SDK's paginator configuration. */
export interface BedrockRuntimePaginationConfiguration {
  client: BedrockRuntime;
  /** Sets `maxResults` of each request. */
  pageSize?: number;
  startingToken?: string;
  /** Stop when a page returns the token it was asked with. */
  stopOnSameToken?: boolean;
}

/** Every page of ListAsyncInvokes, following `nextToken`. */
export function paginateListAsyncInvokes(
  config: BedrockRuntimePaginationConfiguration,
  input: ListAsyncInvokesRequest,
  options?: HttpHandlerOptions,
): AsyncGenerator<ListAsyncInvokesResponse, undefined, unknown>;

// InvokeModelWithBidirectionalStream.

/** One event of a bidirectional stream, either way: one model event (Nova Sonic: one JSON
 * event, `{"event":{…}}`) as bytes. */
export interface BidirectionalStreamEvent {
  chunk: { bytes: Uint8Array };
}

export interface InvokeModelWithBidirectionalStreamRequest {
  /** A bidirectional (speech-to-speech) model, e.g. `"amazon.nova-sonic-v1:0"`. */
  modelId: string;
  /** The input events, sent as they are yielded; when it ends the input is ended (the signed
   * end frame) and the answer goes on until the service closes. Throwing ends the stream
   * with that error. */
  body: AsyncIterable<BidirectionalStreamEvent> | Iterable<BidirectionalStreamEvent>;
}

export interface InvokeModelWithBidirectionalStreamResponse extends MetadataBearer {
  /** The output events as they arrive, until the service closes after the whole answer.
   * `break` closes the socket at once. Stream exceptions (`ValidationException`,
   * `ModelStreamErrorException`, …) are thrown; so are `WebSocketClosedError` (closed before
   * the answer ended), `StreamIdleTimeoutError`, `TimeoutError` (the 8-minute session) and
   * `AbortError`. */
  body: AsyncIterable<BidirectionalStreamEvent>;
}

/** Drop-in for `BedrockRuntime` from `@aws-sdk/client-bedrock-runtime`. */
export class BedrockRuntime {
  constructor(config: BedrockRuntimeClientConfig);
  invokeModel(input: InvokeModelRequest, options?: HttpHandlerOptions): Promise<InvokeModelResponse>;
  invokeModelWithResponseStream(
    input: InvokeModelWithResponseStreamRequest,
    options?: HttpHandlerOptions,
  ): Promise<InvokeModelWithResponseStreamResponse>;
  converse(input: ConverseRequest, options?: HttpHandlerOptions): Promise<ConverseResponse>;
  converseStream(input: ConverseStreamRequest, options?: HttpHandlerOptions): Promise<ConverseStreamResponse>;
  countTokens(input: CountTokensRequest, options?: HttpHandlerOptions): Promise<CountTokensResponse>;
  applyGuardrail(input: ApplyGuardrailRequest, options?: HttpHandlerOptions): Promise<ApplyGuardrailResponse>;
  invokeGuardrailChecks(
    input: InvokeGuardrailChecksRequest,
    options?: HttpHandlerOptions,
  ): Promise<InvokeGuardrailChecksResponse>;
  startAsyncInvoke(input: StartAsyncInvokeRequest, options?: HttpHandlerOptions): Promise<StartAsyncInvokeResponse>;
  getAsyncInvoke(input: GetAsyncInvokeRequest, options?: HttpHandlerOptions): Promise<GetAsyncInvokeResponse>;
  listAsyncInvokes(input?: ListAsyncInvokesRequest, options?: HttpHandlerOptions): Promise<ListAsyncInvokesResponse>;
  /**
   * InvokeModelWithBidirectionalStream (Nova Sonic) over a WebSocket, as the AWS SDK runs it
   * in a browser: resolves once the socket is open. Needs a global `WebSocket` — browsers,
   * workers, Node 22 or later (Node 20.10+ with `--experimental-websocket`) — and SigV4
   * credentials: a client with `token` (an API key) is refused before connecting. A refused
   * handshake rejects with `WebSocketHandshakeError`, which names what to check.
   */
  invokeModelWithBidirectionalStream(
    input: InvokeModelWithBidirectionalStreamRequest,
    options?: HttpHandlerOptions,
  ): Promise<InvokeModelWithBidirectionalStreamResponse>;
  /** No-op, for compatibility with the SDK. */
  destroy(): void;
}

export interface NovaSonicOptions {
  /** Default `"amazon.nova-sonic-v1:0"`. */
  modelId?: string;
  /** Default `"matthew"`. */
  voiceId?: string;
  systemPrompt?: string;
  /** `sessionStart.inferenceConfiguration`: defaults 1024, 0.9, 0.7. */
  maxTokens?: number;
  topP?: number;
  temperature?: number;
  /** The microphone's PCM rate for `sendAudio` (default 16000). */
  inputSampleRate?: 8000 | 16000 | 24000;
  /** The speech's PCM rate in `audio` events (default 24000). */
  outputSampleRate?: 8000 | 16000 | 24000;
  /** Tools the model may ask for (`toolUse` events); `inputSchema.json` as an object or JSON text. */
  tools?: Array<{ toolSpec: { name: string; description?: string; inputSchema?: { json: unknown } } }>;
  abortSignal?: AbortSignal;
}

/** What a Nova Sonic session says, typed. */
export type NovaSonicEvent =
  /** What was heard (`role: 'USER'`) or is being said (`'ASSISTANT'`); `final` false for
   * the speculative text said before the speech, true for the final one. */
  | { type: 'transcript'; role: 'USER' | 'ASSISTANT' | (string & {}); text: string; final: boolean; contentId?: string }
  /** Speech: 16-bit little-endian mono PCM at `outputSampleRate` (24 kHz). */
  | { type: 'audio'; audio: Uint8Array; contentId?: string }
  /** The model asks for a tool: answer with `sendToolResult(toolUseId, result)`. */
  | { type: 'toolUse'; toolUseId: string; toolName: string; input: unknown; contentId?: string }
  /** Session totals so far (and this turn's `details.delta`). */
  | { type: 'usage'; inputTokens: number; outputTokens: number; totalTokens: number; details?: unknown }
  /** The user spoke over the answer (barge-in): stop playing the speech. */
  | { type: 'interrupted' }
  /** The end of one answer. */
  | { type: 'completionEnd'; stopReason: string }
  /** Any other event (`completionStart`, `contentStart`, `contentEnd`, …), as sent. */
  | { type: 'other'; name: string; event: Record<string, unknown> };

export interface NovaSonicSession extends AsyncIterableIterator<NovaSonicEvent> {
  /** 16-bit little-endian mono PCM at `inputSampleRate`; the first call opens the
   * microphone's content. Answers come as the model hears the end of speech. */
  sendAudio(pcm: Uint8Array): void;
  /** Ends the microphone's content. */
  endAudio(): void;
  /** A typed turn (USER by default), answered when it ends; `interactive: false` is history. */
  sendText(text: string, options?: { role?: 'USER' | 'ASSISTANT' | 'SYSTEM'; interactive?: boolean }): void;
  /** Answers a `toolUse` event. */
  sendToolResult(toolUseId: string, result: string | unknown): void;
  /** Ends the input (`promptEnd`, `sessionEnd`); events go on until the answer is complete. */
  end(): void;
  /** Stops at once: the socket is closed; iterating ends with an `AbortError`. */
  close(): void;
}

/**
 * A Nova Sonic speech-to-speech session over `invokeModelWithBidirectionalStream`: sends
 * `sessionStart`, `promptStart` and the system prompt, then resolves once the socket is open.
 * Iterate it for typed events; no protocol knowledge needed.
 */
export function novaSonic(client: BedrockRuntime, options?: NovaSonicOptions): Promise<NovaSonicSession>;

/** What a finished stream said besides its text. */
export interface TextStreamResult {
  text: string;
  reasoning?: string;
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number; totalTokens?: number };
  /** `amazon-bedrock-invocationMetrics` (InvokeModelWithResponseStream) or `{ latencyMs }` (ConverseStream). */
  metrics?: Record<string, number>;
  /**
   * The assistant message the stream makes, ready to push onto `messages` for the next turn:
   * Converse's `Message` for `converseStream` (reasoning with its signature, redacted
   * reasoning as `Uint8Array`, tool uses with their input parsed — kept as the text when it
   * does not parse —, citations, in block order); for `invokeModelWithResponseStream`, the
   * family's native assistant message where it has one (Claude Messages:
   * `{ role: 'assistant', content: [{ type: 'thinking', thinking, signature }, …] }`; Nova:
   * Converse's shape), else absent.
   */
  message?: Message | { role: 'assistant'; content: Record<string, unknown>[] };
}

export interface TextStream extends AsyncGenerator<string, void, undefined> {
  /** Resolves once the stream has ended (`undefined` if it was left early); rejects with its error. */
  result: Promise<TextStreamResult | undefined>;
}

/**
 * The answer's text, piece by piece, for any model family (InvokeModelWithResponseStream) or
 * ConverseStream. Accepts the response or its promise. Leaving the loop cancels the request.
 */
export function textStream(
  response:
    | InvokeModelWithResponseStreamResponse
    | ConverseStreamResponse
    | Promise<InvokeModelWithResponseStreamResponse | ConverseStreamResponse>,
  options?: { modelId?: string },
): TextStream;

export interface SignedFetchConfig {
  /** e.g. `"us-east-1"`. */
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A Bedrock API key, sent as `Authorization: Bearer`; used instead of `credentials` when set. */
  token?: string | TokenIdentity | (() => Promise<string | TokenIdentity>);
  /** Sends the signed request; default: the global `fetch`, looked up at each call. */
  fetch?: typeof fetch;
  /** As for `BedrockRuntime`. */
  allowInsecureEndpoint?: boolean;
}

/**
 * `fetch` that authorizes each request for Bedrock: SigV4 (service `bedrock`, or
 * `bedrock-mantle` for a `bedrock-mantle.*` host; clock skew corrected, re-signed once) or
 * `Authorization: Bearer` with `token`, replacing any auth header the caller set. For the
 * `fetch` option of the `openai` and `@anthropic-ai/sdk` packages (Bedrock's `/openai/v1` and
 * `/anthropic` APIs), or any request you send yourself.
 */
export function createSignedFetch(config: SignedFetchConfig): typeof fetch;

/** A text chat for {@link buildInvokeBody}: Converse's fields, text content only. */
export interface ChatInput {
  messages: { role: 'user' | 'assistant'; content: { text: string }[] }[];
  system?: { text: string }[];
  /** Converse's `inferenceConfig`, plus `topK` (left out for families without it). */
  inferenceConfig?: InferenceConfiguration & { topK?: number };
  /** Added to the body's top level last, as they are. */
  additionalModelRequestFields?: Record<string, unknown>;
}

/**
 * The model-native InvokeModel body for `modelId`'s family, from a text chat. Rejects with an
 * error named `ValidationError` for an id of no known family, no messages, non-text content,
 * or a missing `maxTokens` where the family requires one.
 */
export function buildInvokeBody(
  modelId: string,
  input: ChatInput,
  options?: { streaming?: boolean },
): Promise<Record<string, unknown>>;

export interface SignableRequest {
  /** Default `"POST"`. */
  method?: string;
  /** Exactly the URL passed to `fetch` (the model id percent-encoded as one path segment). */
  url: string | URL;
  /** Exactly the headers that will be sent (not `host` or `content-length`). */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/**
 * The headers that authorize one Bedrock Runtime request you send yourself: SigV4 with
 * `credentials` (signing name `bedrock`: `authorization`, `x-amz-date` and, for temporary
 * credentials, `x-amz-security-token`), or `authorization: Bearer …` with `token`.
 * `clockOffset` (ms) is added to `Date.now()` when signing. Not in the AWS SDK.
 */
export function signRequest(
  request: SignableRequest,
  config: Pick<BedrockRuntimeClientConfig, 'credentials' | 'token' | 'allowInsecureEndpoint'> & {
    region: string;
    /** Within ±86400000 (24 h); a `TypeError` otherwise. */
    clockOffset?: number;
  },
): Promise<Record<string, string>>;

export interface CognitoIdentityPoolOptions {
  /** `"us-east-1:xxxxxxxx-…"`. */
  identityPoolId: string;
  /** Default: the part of `identityPoolId` before `:`. */
  region?: string;
  /** Identity-provider tokens (or functions returning them), e.g. `{ "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCd": idToken }`. */
  logins?: Record<string, string | (() => Promise<string>)>;
  /** Reuse an identity id from an earlier call (skips GetId). */
  identityId?: string;
  accountId?: string;
  /** Basic (classic) flow: GetOpenIdToken + STS AssumeRoleWithWebIdentity with `roleArn`. Needed for guest access to Bedrock. */
  classicFlow?: boolean;
  /** The role to assume (classic flow) or `CustomRoleArn` (enhanced flow). */
  roleArn?: string;
  customRoleArn?: string;
  /** Classic flow: 900…43200. */
  durationSeconds?: number;
  roleSessionName?: string;
  /** Another Cognito Identity endpoint (tests, FIPS). */
  endpoint?: string;
  /** Another STS endpoint. */
  stsEndpoint?: string;
  abortSignal?: AbortSignal;
}

export interface CognitoIdentityCredentials extends AwsCredentialIdentity {
  identityId: string;
}

/** Credentials from an Amazon Cognito identity pool, cached until they are about to expire. */
export function fromCognitoIdentityPool(options: CognitoIdentityPoolOptions): () => Promise<CognitoIdentityCredentials>;

/** Where a wasm file comes from: a URL, a fetch `Response`, its bytes or a compiled module. */
export type WasmSource = string | URL | Request | Response | BufferSource | WebAssembly.Module | Promise<unknown>;

/**
 * Loads the WebAssembly module now (optional: the first call does it). `source` overrides where
 * `bedrock_wasm_bg.wasm` comes from; `voice` where the voice module's `bedrock_wasm_voice_bg.wasm`
 * comes from, which is only loaded by the first `invokeModelWithBidirectionalStream` or
 * `novaSonic` (by default both are next to the JavaScript).
 */
export function init(source?: WasmSource, voice?: WasmSource): Promise<void>;
export default init;

/** Base of every error the service returns. */
export class BedrockRuntimeServiceException extends Error {
  constructor(options: { name?: string; message: string; $fault?: 'client' | 'server'; $metadata?: ResponseMetadata });
  readonly $fault: 'client' | 'server';
  $metadata: ResponseMetadata;
  /** What to do about it, when there is something (not in the AWS SDK). */
  advice?: string;
  /** ModelErrorException, ModelStreamErrorException. */
  originalStatusCode?: number;
  /** ModelStreamErrorException. */
  originalMessage?: string;
  /** ModelErrorException. */
  resourceName?: string;
}
export class AccessDeniedException extends BedrockRuntimeServiceException {}
export class ConflictException extends BedrockRuntimeServiceException {}
export class InternalServerException extends BedrockRuntimeServiceException {}
export class ModelErrorException extends BedrockRuntimeServiceException {}
export class ModelNotReadyException extends BedrockRuntimeServiceException {}
export class ModelStreamErrorException extends BedrockRuntimeServiceException {}
export class ModelTimeoutException extends BedrockRuntimeServiceException {}
export class ResourceNotFoundException extends BedrockRuntimeServiceException {}
export class ServiceQuotaExceededException extends BedrockRuntimeServiceException {}
export class ServiceUnavailableException extends BedrockRuntimeServiceException {}
export class ThrottlingException extends BedrockRuntimeServiceException {}
export class ValidationException extends BedrockRuntimeServiceException {}
/** A stream completed no event for `streamIdleTimeout` ms and was stopped (a bidirectional
 * stream: no message sent or received for that long). */
export class StreamIdleTimeoutError extends Error {}
/** A bidirectional stream's WebSocket was refused before it opened (a browser is not told
 * why): the message names what to check (credentials, region, model access, the clock). */
export class WebSocketHandshakeError extends Error {
  closeCode?: number;
}
/** A bidirectional stream's WebSocket closed before the answer ended: `closeCode` 1006 (the
 * connection was lost), 1011 (an error on the service's side), 1000/1005 in the middle of an
 * event, or any other code. Never a clean end. */
export class WebSocketClosedError extends Error {
  closeCode?: number;
}
/** A bug in bedrock-wasm's core (a panic). The call that hit it and every call in flight
 * reject with it; later calls run on a restarted module. `message` carries the panic message:
 * please report it. */
export class BedrockWasmPanicError extends Error {}
