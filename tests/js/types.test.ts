// Compiled by `tsc --noEmit` (cargo xtask test): every public member in a typed position.
import init, {
  AccessDeniedException, BedrockRuntime, BedrockRuntimeServiceException, ConflictException,
  InternalServerException, ModelErrorException, ModelNotReadyException, ModelStreamErrorException,
  ModelTimeoutException, ResourceNotFoundException, ServiceQuotaExceededException,
  ServiceUnavailableException, StreamIdleTimeoutError, ThrottlingException, ValidationException,
  buildInvokeBody, fromCognitoIdentityPool, init as namedInit, paginateListAsyncInvokes, signRequest, textStream,
  type ApplyGuardrailResponse, type AsyncInvokeSummary, type CountTokensResponse, type GetAsyncInvokeResponse,
  type InvokeGuardrailChecksResponse, type ListAsyncInvokesResponse, type StartAsyncInvokeResponse,
  type AwsCredentialIdentity, type ChatInput, type ConverseResponse, type ConverseStreamOutput, type InvokeModelResponse,
  type ResponseMetadata, type TextStreamResult, type CognitoIdentityCredentials, type Message,
  novaSonic, WebSocketClosedError, WebSocketHandshakeError, type NovaSonicEvent, type NovaSonicSession,
  type InvokeModelWithBidirectionalStreamResponse, type BidirectionalStreamEvent,
} from 'bedrock-wasm';

export async function voice(client: BedrockRuntime, signal: AbortSignal): Promise<void> {
  async function* input(): AsyncGenerator<BidirectionalStreamEvent> {
    yield { chunk: { bytes: new TextEncoder().encode('{"event":{"sessionStart":{}}}') } };
  }
  const r: InvokeModelWithBidirectionalStreamResponse = await client.invokeModelWithBidirectionalStream(
    { modelId: 'amazon.nova-sonic-v1:0', body: input() },
    { abortSignal: signal },
  );
  for await (const e of r.body) e.chunk.bytes satisfies Uint8Array;
  const session: NovaSonicSession = await novaSonic(client, {
    voiceId: 'matthew', systemPrompt: 'Be brief.', maxTokens: 512, inputSampleRate: 16000, outputSampleRate: 24000,
    tools: [{ toolSpec: { name: 't', inputSchema: { json: { type: 'object' } } } }], abortSignal: signal,
  });
  session.sendAudio(new Uint8Array(3200));
  session.endAudio();
  session.sendText('hi', { role: 'USER', interactive: true });
  for await (const e of session) {
    const event: NovaSonicEvent = e;
    if (event.type === 'transcript') event.text satisfies string;
    if (event.type === 'audio') event.audio satisfies Uint8Array;
    if (event.type === 'toolUse') session.sendToolResult(event.toolUseId, { ok: true });
    if (event.type === 'completionEnd') session.end();
  }
  session.close();
  const errors: Error[] = [new WebSocketClosedError(), new WebSocketHandshakeError()];
  errors.forEach((x) => (x as WebSocketClosedError).closeCode satisfies number | undefined);
}

export async function everything(signal: AbortSignal): Promise<void> {
  await init();
  await namedInit(new URL('https://example.com/bedrock_wasm_bg.wasm'));
  const creds: AwsCredentialIdentity = { accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't', expiration: new Date() };
  const cognito: () => Promise<CognitoIdentityCredentials> = fromCognitoIdentityPool({
    identityPoolId: 'us-east-1:x', logins: { p: 'tok', q: async () => 'tok' }, classicFlow: true, roleArn: 'arn',
  });
  const clients = [
    new BedrockRuntime({ region: 'us-east-1', credentials: creds }),
    new BedrockRuntime({ region: 'us-east-1', credentials: async () => creds, endpoint: 'http://127.0.0.1:4010', maxAttempts: 1 }),
    new BedrockRuntime({ region: async () => 'eu-west-1', credentials: cognito, streamIdleTimeout: 5000 }),
    new BedrockRuntime({ region: 'us-east-1', token: 'ABSK…' }),
    new BedrockRuntime({ region: 'us-east-1', token: { token: 'ABSK…' } }),
  ];
  const client = clients[0];
  const inv: InvokeModelResponse = await client.invokeModel(
    { modelId: 'm', body: '{}', contentType: 'application/json', accept: 'application/json', trace: 'ENABLED', guardrailIdentifier: 'g', guardrailVersion: '1', performanceConfigLatency: 'optimized' },
    { abortSignal: signal },
  );
  const text: string = inv.body.transformToString();
  const bytes: Uint8Array = inv.body;
  const ct: string | undefined = inv.contentType;
  const meta: ResponseMetadata = inv.$metadata;
  const n: number | undefined = meta.attempts ?? meta.totalRetryDelay ?? meta.httpStatusCode;
  const id: string | undefined = meta.requestId;
  const stream = await client.invokeModelWithResponseStream({ modelId: 'm', body: new Uint8Array() }, { abortSignal: signal });
  for await (const event of stream.body) {
    const b: Uint8Array = event.chunk.bytes;
    void b;
  }
  const conv: ConverseResponse = await client.converse({
    modelId: 'm',
    messages: [{ role: 'user', content: [{ text: 'hi' }, { image: { format: 'png', source: { bytes: new Uint8Array() } } }] }],
    system: [{ text: 'be brief' }],
    inferenceConfig: { maxTokens: 10, temperature: 0.5, topP: 0.9, stopSequences: ['x'] },
    toolConfig: { tools: [{ toolSpec: { name: 't', inputSchema: { json: {} }, strict: true } }, { cachePoint: { type: 'default', ttl: '1h' } }], toolChoice: { auto: {} } },
    outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object"}', name: 'answer' } } }, effort: 'high' },
    aMemberFrom2027: { passes: 'through' },
  });
  const cacheTtl: string | undefined = conv.usage.cacheDetails?.[0]?.ttl;
  void cacheTtl;
  const stop: string = conv.stopReason;
  const total: number = conv.usage.totalTokens + conv.metrics.latencyMs;
  const cs = await client.converseStream({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
  for await (const e of cs.stream) {
    const ev: ConverseStreamOutput = e;
    if ('contentBlockDelta' in ev) void ev.contentBlockDelta.delta;
    if ('messageStop' in ev) void ev.messageStop.stopReason;
    if ('metadata' in ev) void ev.metadata.usage.outputTokens;
  }
  const ts = textStream(client.converseStream({ modelId: 'm', messages: [] }), { modelId: 'm' });
  for await (const piece of ts) {
    const s: string = piece;
    void s;
  }
  const summary: TextStreamResult | undefined = await ts.result;
  void summary?.usage?.outputTokens;
  // The stream becomes the next turn.
  const history: Message[] = [{ role: 'user', content: [{ text: 'hi' }] }];
  if (summary?.message) history.push(summary.message as Message);
  void client.converseStream({ modelId: 'm', messages: history });
  void textStream(stream);
  client.destroy();
  try {
    await client.converse({ modelId: 'm' });
  } catch (e) {
    if (e instanceof ThrottlingException) {
      const fault: 'client' | 'server' = e.$fault;
      const status: number | undefined = e.$metadata.httpStatusCode;
      void [fault, status, e.advice, e.name, e.message];
    }
    if (e instanceof ModelStreamErrorException) void [e.originalStatusCode, e.originalMessage];
    if (e instanceof ModelErrorException) void e.resourceName;
    if (e instanceof StreamIdleTimeoutError) void e.message;
    const classes: (typeof BedrockRuntimeServiceException)[] = [
      AccessDeniedException, ConflictException, InternalServerException, ModelNotReadyException, ModelTimeoutException,
      ResourceNotFoundException, ServiceQuotaExceededException, ServiceUnavailableException, ValidationException,
    ];
    void classes;
  }
  const signed: Record<string, string> = await signRequest(
    { method: 'POST', url: new URL('https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke'), headers: { 'content-type': 'application/json' }, body: '{}' },
    { region: 'us-east-1', credentials: creds, clockOffset: 0 },
  );
  const bearer: Record<string, string> = await signRequest({ url: 'https://x/model/m/converse', body: new Uint8Array() }, { region: 'us-east-1', token: 'key' });
  const chat: ChatInput = {
    messages: [{ role: 'user', content: [{ text: 'hi' }] }, { role: 'assistant', content: [{ text: 'hello' }] }],
    system: [{ text: 'be brief' }],
    inferenceConfig: { maxTokens: 10, temperature: 0.5, topP: 0.9, topK: 40, stopSequences: ['x'] },
    additionalModelRequestFields: { thinking: { type: 'enabled' } },
  };
  const native: Record<string, unknown> = await buildInvokeBody('m', chat, { streaming: true });
  await client.invokeModel({ modelId: 'm', body: JSON.stringify(await buildInvokeBody('m', { messages: [] })) });
  const counted: CountTokensResponse = await client.countTokens(
    { modelId: 'm', input: { converse: { messages: [{ role: 'user', content: [{ text: 'hi' }] }], system: [{ text: 's' }] } } },
    { abortSignal: signal },
  );
  const countedNative: number = (await client.countTokens({ modelId: 'm', input: { invokeModel: { body: '{}' } } })).inputTokens;
  const guarded: ApplyGuardrailResponse = await client.applyGuardrail({
    guardrailIdentifier: 'g', guardrailVersion: 'DRAFT', source: 'INPUT', outputScope: 'FULL',
    content: [{ text: { text: 'hi', qualifiers: ['query'] } }, { image: { format: 'png', source: { bytes: new Uint8Array() } } }],
  });
  const action: string = guarded.action;
  const shown: string | undefined = guarded.outputs[0]?.text;
  const checks: InvokeGuardrailChecksResponse = await client.invokeGuardrailChecks({
    messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    checks: { promptAttack: { categories: [{ category: 'JAILBREAK' }] }, sensitiveInformation: { entities: [{ type: 'EMAIL' }] } },
  });
  void checks.results.sensitiveInformation?.results[0]?.beginOffset;
  const started: StartAsyncInvokeResponse = await client.startAsyncInvoke({
    modelId: 'amazon.nova-reel-v1:1', modelInput: { taskType: 'TEXT_VIDEO' },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://b/p' } }, tags: [{ key: 'k', value: 'v' }],
  });
  const job: GetAsyncInvokeResponse = await client.getAsyncInvoke({ invocationArn: started.invocationArn });
  const submitted: Date = job.submitTime;
  const page: ListAsyncInvokesResponse = await client.listAsyncInvokes({ statusEquals: 'Completed', submitTimeAfter: new Date(), maxResults: 10, sortOrder: 'Ascending' });
  for await (const p of paginateListAsyncInvokes({ client, pageSize: 5 }, { statusEquals: 'InProgress' })) {
    const summaries: AsyncInvokeSummary[] | undefined = p.asyncInvokeSummaries;
    void summaries?.[0]?.endTime;
  }
  void [text, bytes, ct, n, id, stop, total, signed.authorization, bearer, native, counted.inputTokens, countedNative, action, shown, submitted, page.nextToken];
}
