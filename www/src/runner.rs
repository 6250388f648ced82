//! Running requests into [`Reply`]s: the one runner Chat and Compare share. It signs in first
//! when Cognito needs it, gets the endpoint's shared client, streams or reads the answer
//! (InvokeModel or Converse), and ends each reply with its figures, "Stopped." or the error.

use bedrock_wasm::bedrock::converse::{Blob, ConverseRequest};
use bedrock_wasm::bedrock::count_tokens::{
    ConverseTokensRequest, CountTokensInput, CountTokensRequest, InvokeModelTokensRequest,
};
use bedrock_wasm::bedrock::{
    invoke_body, ConverseInput, Endpoint, InvokeHeaders, InvokeModelInput, ModelFamily,
    OutputReader,
};
use bedrock_wasm::transport::{BidiStream, Client, ResponseStream};
use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{AbortController, AbortSignal};

use crate::attachment;
use crate::body::Msg;
use crate::catalog;
use crate::choices::{Api, AuthMode};
use crate::clients::Clients;
use crate::creds::Creds;
use crate::failure::Failure;
use crate::figures::{figures, Measured};
use crate::form::{check_body, Form, FormError};
use crate::lazy::{split, SplitLoaderError};
use crate::reply::{Frame, Reply, MAX_FRAMES};

/// One request to make.
pub struct Task {
    pub reply: Reply,
    pub model_id: String,
    pub msgs: Vec<Msg>,
    pub streaming: bool,
    /// The user's edit of the InvokeModel body, sent instead of the form's.
    pub custom_body: Option<String>,
    /// Where a stream's decoded frames go (the inspector), if anywhere.
    pub frames: Option<RwSignal<Vec<Frame>>>,
}

/// What is sent.
pub(crate) enum Payload {
    Invoke(Vec<u8>),
    Converse(Box<ConverseRequest>),
}

/// A request ready to send.
pub(crate) struct Job {
    client: Client,
    model_id: String,
    family: ModelFamily,
    streaming: bool,
    payload: Payload,
}

/// Runs a batch of requests at a time (one for Chat, a pane each for Compare), stoppable as
/// a whole.
#[derive(Clone, Copy)]
pub struct Runner {
    creds: Creds,
    clients: StoredValue<Clients, LocalStorage>,
    abort: StoredValue<Option<AbortController>, LocalStorage>,
    running: RwSignal<usize>,
}

impl Runner {
    /// Runners sharing `clients` share what each endpoint's client learned.
    pub fn new(creds: Creds, clients: StoredValue<Clients, LocalStorage>) -> Self {
        Self {
            creds,
            clients,
            abort: StoredValue::new_local(None),
            running: RwSignal::new(0),
        }
    }

    /// Whether requests are under way (tracked).
    pub fn busy(&self) -> bool {
        self.running.get() > 0
    }

    pub fn busy_untracked(&self) -> bool {
        self.running.get_untracked() > 0
    }

    /// Stops the requests under way, or the identity-pool sign-in they wait for.
    pub fn stop(&self) {
        if self.running.get_untracked() > 0 {
            self.creds.cancel_sign_in();
        }
        self.abort.with_value(|c| {
            if let Some(c) = c {
                c.abort();
            }
        });
    }

    /// Starts `tasks` (each reply busy until it ends); does nothing while a batch runs.
    pub fn start(self, form: Form, tasks: Vec<Task>) {
        if tasks.is_empty() || self.busy_untracked() {
            return;
        }
        let controller = AbortController::new().expect("AbortController is available");
        self.abort.set_value(Some(controller.clone()));
        self.running.set(tasks.len());
        for t in &tasks {
            t.reply.busy.set(true);
        }
        spawn_local(async move {
            // Cognito credentials are fetched or renewed first when needed.
            let ready = self.creds.ready(&form.endpoint.get_untracked()).await;
            for task in tasks {
                let ready = ready.clone();
                let signal = controller.signal();
                spawn_local(async move {
                    let reply = task.reply;
                    let result = match ready {
                        Ok(()) => match send_job(self, form, task, signal).await {
                            Ok(running) => running.await,
                            Err(_) => Err(not_loaded()),
                        },
                        Err(e) => Err(e),
                    };
                    reply.finish(result);
                    self.running.update(|n| *n = n.saturating_sub(1));
                    if self.running.get_untracked() == 0 {
                        self.abort.set_value(None);
                    }
                });
            }
        });
    }

    /// The shared client for the form's endpoint, authorized as the credentials say now.
    fn client(&self, form: Form) -> Result<Client, Failure> {
        let endpoint = Endpoint::from_parts(
            Some(&form.endpoint.get_untracked()),
            &form.region.get_untracked(),
        )?;
        let auth = self.creds.auth()?;
        self.clients
            .try_update_value(|c| c.client(endpoint, auth))
            // Only once the page is gone.
            .ok_or(Failure::Stopped)
    }

    /// Refuses a Bedrock API key for InvokeModelWithBidirectionalStream, saying what works.
    pub fn check_bidi_auth(&self) -> Result<(), Failure> {
        if self.creds.mode.get_untracked() == AuthMode::ApiKey {
            return Err(Failure::Request {
                message: "Voice needs AWS credentials: Bedrock API keys are not accepted by InvokeModelWithBidirectionalStream. Choose access keys or a Cognito identity pool in the sign-in settings.".into(),
                detail: String::new(),
            });
        }
        Ok(())
    }

    /// Opens an InvokeModelWithBidirectionalStream session (voice mode) for `model_id` with
    /// the endpoint's shared client, signing in first when Cognito needs it. A Bedrock API key
    /// is refused with what to do instead, before connecting.
    pub async fn open_bidi(
        &self,
        form: Form,
        model_id: &str,
        signal: &AbortSignal,
    ) -> Result<BidiStream, Failure> {
        self.check_bidi_auth()?;
        self.creds.ready(&form.endpoint.get_untracked()).await?;
        let client = self.client(form)?;
        Ok(client
            .invoke_model_with_bidirectional_stream(model_id, Some(signal))
            .await?)
    }

    /// CountTokens for the request `msgs` would make now (free). Never signs in: without
    /// credentials ready it fails, and the meter estimates instead.
    pub async fn count_tokens(&self, form: Form, msgs: Vec<Msg>) -> Result<u64, Failure> {
        match count_job(*self, form, msgs).await {
            Ok(counting) => counting.await,
            Err(_) => Err(not_loaded()),
        }
    }

    /// The CountTokens request `msgs` would make now, and the client to send it with.
    fn count_request(
        &self,
        form: Form,
        msgs: &[Msg],
    ) -> Result<(Client, String, CountTokensInput), Failure> {
        let settings = form.settings.get_untracked()?;
        let input = match settings.api {
            Api::Converse => {
                let r = settings.converse_request(msgs);
                CountTokensInput::Converse(ConverseTokensRequest {
                    messages: r.messages,
                    system: r.system,
                    tool_config: r.tool_config,
                    additional_model_request_fields: r.additional_model_request_fields,
                    ..Default::default()
                })
            }
            Api::Invoke => CountTokensInput::InvokeModel(InvokeModelTokensRequest {
                body: Blob(crate::json::text(&settings.native_body(msgs, false)).into_bytes()),
            }),
        };
        let client = self.client(form)?;
        Ok((client, catalog::count_tokens_id(&settings.model_id), input))
    }

    fn job(&self, form: Form, task: &Task) -> Result<Job, Failure> {
        let client = self.client(form)?;
        let settings = form.settings.get_untracked()?.for_model(&task.model_id);
        attachment::check(&settings.model_id, settings.api, &task.msgs)
            .map_err(FormError::Attachment)?;
        let payload = match settings.api {
            Api::Converse => Payload::Converse(Box::new(settings.converse_request(&task.msgs))),
            Api::Invoke => Payload::Invoke(match &task.custom_body {
                Some(text) => {
                    check_body(text)?;
                    // The preview showed files as placeholders: the edit gets them back.
                    attachment::expand(text, &task.msgs).into_bytes()
                }
                None => crate::json::text(&settings.native_body(&task.msgs, task.streaming))
                    .into_bytes(),
            }),
        };
        Ok(Job {
            client,
            family: settings.family(),
            model_id: settings.model_id,
            streaming: task.streaming,
            payload,
        })
    }
}

/// A request under way (see [`send_job`]).
type Running<T> = Pin<Box<dyn Future<Output = Result<T, Failure>>>>;

/// What a request that could not start because the sending code did not arrive says.
fn not_loaded() -> Failure {
    Failure::Request {
        message: "Could not send: the page's file that sends requests did not arrive (offline, or the site was updated). Try again.".into(),
        detail: String::new(),
    }
}

split! {
    send,
    load_send,
    /// Sending and reading an answer (the request built from the form, the endpoint's client,
    /// the library's client calls, signing, the event-stream decoder, the output readers, the
    /// figures) is a chunk of its own, `split_send.wasm`: the page shows and takes a prompt
    /// without it. It is fetched on the first keystroke in the prompt ([`load_send`]), or else
    /// by the first Send or token count (src/lazy.rs).
    pub(crate) fn send_job(
        runner: Runner,
        form: Form,
        task: Task,
        signal: AbortSignal,
    ) -> Result<Running<String>, SplitLoaderError> {
        Ok(Box::pin(async move {
            let job = runner.job(form, &task)?;
            run(job, task.reply, signal, task.frames).await
        }))
    }
}

split! {
    send,
    load_count,
    /// CountTokens (the request built too), in the same chunk as [`send_job`].
    fn count_job(runner: Runner, form: Form, msgs: Vec<Msg>) -> Result<Running<u64>, SplitLoaderError> {
        Ok(Box::pin(async move {
            let (client, model, input) = runner.count_request(form, &msgs)?;
            let out = client
                .count_tokens(&model, &CountTokensRequest { input }, None)
                .await?;
            Ok(out.response.input_tokens)
        }))
    }
}

/// Runs `job`, filling `reply`. Returns the figures; frames of a stream go to `frames`.
async fn run(
    job: Job,
    reply: Reply,
    signal: AbortSignal,
    frames: Option<RwSignal<Vec<Frame>>>,
) -> Result<String, Failure> {
    let Job {
        client,
        model_id,
        family,
        streaming,
        payload,
    } = job;
    let started = js_sys::Date::now();
    let offset_before = client.clock_offset_ms();
    let mut first_token = None;
    let mut headers = InvokeHeaders::default();
    let signal = Some(&signal);
    let (output, meta) = if streaming {
        let (mut stream, family): (ResponseStream, _) = match payload {
            Payload::Converse(request) => {
                let input = ConverseInput {
                    model_id: model_id.clone(),
                    request: *request,
                };
                let s = client.converse_stream(&input, signal).await?;
                (s, ModelFamily::Unknown)
            }
            Payload::Invoke(body) => {
                let input = InvokeModelInput::new(model_id.clone(), body);
                let s = client
                    .invoke_model_with_response_stream(&input, signal)
                    .await?;
                (s, family)
            }
        };
        // Only the typed events are used here (the inspector keeps its own copy of frames).
        stream.meaning_only();
        if frames.is_some() {
            stream.record_frames(MAX_FRAMES);
        }
        let mut extractor = OutputReader::new(family);
        let mut failure = None;
        while let Some(event) = stream.next().await {
            match event.and_then(|e| extractor.event(&e)) {
                Ok(d) => {
                    if !d.text.is_empty() {
                        first_token.get_or_insert_with(js_sys::Date::now);
                        reply.text.update(|t| t.push_str(&d.text));
                    }
                    if !d.reasoning.is_empty() {
                        first_token.get_or_insert_with(js_sys::Date::now);
                        reply.reasoning.update(|t| t.push_str(&d.reasoning));
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(f) = frames {
            let recorded = stream.recorded_frames();
            f.set(recorded.iter().map(Frame::from_message).collect());
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
        // Only a complete answer is sent back as it came (a cut one keeps just its text).
        reply.message.set(extractor.message());
        (extractor.into_output(), stream.metadata().clone())
    } else {
        match payload {
            Payload::Converse(request) => {
                let input = ConverseInput {
                    model_id: model_id.clone(),
                    request: *request,
                };
                let out = client.converse(&input, signal).await?;
                reply.message.set(out.response.output.message.clone());
                (out.response.to_output(), out.metadata)
            }
            Payload::Invoke(body) => {
                let input = InvokeModelInput::new(model_id.clone(), body);
                let out = client.invoke_model(&input, signal).await?;
                headers = InvokeHeaders::read(|name| out.header(name));
                (invoke_body(family, &out.body)?, out.metadata)
            }
        }
    };
    if !streaming {
        reply.show(&output);
    }
    let measured = Measured {
        started,
        first_token,
        ended: js_sys::Date::now(),
        attempts: meta.attempts,
        retry_delay_ms: meta.total_retry_delay_ms,
        skew_ms: client.clock_offset_ms() - offset_before,
        headers,
    };
    Ok(figures(&model_id, &output, &measured))
}
