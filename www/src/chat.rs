//! The conversation: finished turns, the current one (whose answer streams), and sending.

use leptos::prelude::*;

use crate::attachment::{self, Attachment};
use crate::body::{Exchange, Msg, ToolResult};
use crate::failure::Failure;
use crate::form::{messages, Form, FormError};
use crate::reply::{Frame, Reply};
use crate::runner::{Runner, Task};

/// A finished turn of the conversation: what was sent and answered, and how it went.
#[derive(Clone)]
pub struct Turn {
    pub id: usize,
    pub exchange: Exchange,
    pub figures: String,
    pub error: String,
}

/// Each turn as an [`Exchange`].
fn turns(history: &[Turn]) -> Vec<Exchange> {
    history.iter().map(|t| t.exchange.clone()).collect()
}

/// The conversation state.
#[derive(Clone, Copy)]
pub struct Chat {
    pub history: RwSignal<Vec<Turn>>,
    /// The current turn's prompt (empty: none yet).
    pub user: RwSignal<String>,
    /// The files sent with the current turn's prompt.
    pub attachments: RwSignal<Vec<Attachment>>,
    /// The tool results the current turn sent (instead of, or with, a prompt).
    pub tool_results: RwSignal<Vec<ToolResult>>,
    pub reply: Reply,
    /// The decoded frames of the last streamed answer.
    pub frames: RwSignal<Vec<Frame>>,
    next_id: StoredValue<usize>,
    runner: Runner,
}

impl Chat {
    pub fn new(runner: Runner) -> Self {
        Self {
            history: RwSignal::new(Vec::new()),
            user: RwSignal::new(String::new()),
            attachments: RwSignal::new(Vec::new()),
            tool_results: RwSignal::new(Vec::new()),
            reply: Reply::new(),
            frames: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            runner,
        }
    }

    /// The conversation so far (tracked): each finished turn, and the current one once its
    /// answer is complete (a streaming answer is not part of it until it ends, so the
    /// preview is not rebuilt per token).
    pub fn conversation(&self) -> Vec<Exchange> {
        let mut turns = self.history.with(|h| turns(h));
        if !self.reply.busy.get() {
            turns.push(Exchange {
                user: self.user.get(),
                attachments: self.attachments.get(),
                tool_results: self.tool_results.get(),
                answer: self.reply.text.get(),
                message: self.reply.message.get(),
            });
        }
        turns
    }

    /// CountTokens for `msgs` through this chat's runner (see [`Runner::count_tokens`]).
    pub async fn count_tokens(&self, form: Form, msgs: Vec<Msg>) -> Result<u64, Failure> {
        self.runner.count_tokens(form, msgs).await
    }

    /// Whether an answer is under way (tracked).
    pub fn busy(&self) -> bool {
        self.runner.busy()
    }

    /// Moves the current turn into the history.
    fn archive(&self) {
        let Some(exchange) = self.current() else {
            return;
        };
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let r = self.reply;
        let turn = Turn {
            id,
            exchange,
            figures: r.figures.get_untracked(),
            error: r.error.get_untracked(),
        };
        self.history.update(|h| h.push(turn));
        self.user.set(String::new());
        self.attachments.set(Vec::new());
        self.tool_results.set(Vec::new());
        r.clear();
    }

    /// Stops the answer, or the identity-pool sign-in it waits for.
    pub fn stop(&self) {
        self.runner.stop();
    }

    /// The conversation so far, untracked (see [`conversation`](Self::conversation)).
    pub fn conversation_untracked(&self) -> Vec<Exchange> {
        untrack(|| self.conversation())
    }

    /// Replaces the conversation with `turns` (an imported one), all of them finished.
    pub fn restore(&self, turns: Vec<Exchange>) {
        self.clear();
        let history = turns
            .into_iter()
            .map(|exchange| {
                let id = self.next_id.get_value();
                self.next_id.set_value(id + 1);
                Turn {
                    id,
                    exchange,
                    figures: String::new(),
                    error: String::new(),
                }
            })
            .collect();
        self.history.set(history);
    }

    /// Empties the conversation.
    pub fn clear(&self) {
        self.history.set(Vec::new());
        self.user.set(String::new());
        self.attachments.set(Vec::new());
        self.tool_results.set(Vec::new());
        self.reply.clear();
        self.frames.set(Vec::new());
    }

    /// Puts the current turn's prompt back for editing and drops the turn.
    pub fn edit_last(&self, form: Form) {
        form.prompt.set(self.user.get_untracked());
        form.attachments.set(self.attachments.get_untracked());
        self.user.set(String::new());
        self.attachments.set(Vec::new());
        self.tool_results.set(Vec::new());
        self.reply.clear();
    }

    /// Sends the prompt as a new turn (`retry`: asks the current turn again).
    pub fn send(self, form: Form, streaming: bool, retry: bool) {
        if self.runner.busy_untracked() {
            return;
        }
        if retry {
            // Nothing to ask again (the Retry button is disabled then; this keeps a stray
            // call from sending an empty prompt).
            if !untrack(|| self.has_turn()) {
                return;
            }
            let turn = (
                self.user.get_untracked(),
                self.attachments.get_untracked(),
                self.tool_results.get_untracked(),
            );
            self.start(form, streaming, true, turn);
            return;
        }
        let prompt = form.prompt.get_untracked();
        if prompt.trim().is_empty() {
            self.reply
                .error
                .set(Failure::from(FormError::NoPrompt).to_string());
            return;
        }
        let files = form.attachments.get_untracked();
        if self.start(form, streaming, false, (prompt, files, Vec::new())) {
            form.attachments.set(Vec::new());
        }
    }

    /// Answers the model's tool calls with `results` (streaming), as a new turn.
    pub fn send_tool_results(self, form: Form, results: Vec<ToolResult>) {
        if self.runner.busy_untracked() || results.is_empty() {
            return;
        }
        self.start(form, true, false, (String::new(), Vec::new(), results));
    }

    /// Starts a turn of `prompt`, `files` and tool `results` after the history (and, unless
    /// `retry`, after the current turn, which is archived). `false` when refused before
    /// anything changed: the files the model or Bedrock would refuse are said first, so
    /// nothing typed or attached is lost (the form's other errors end the turn, from the
    /// runner).
    fn start(
        self,
        form: Form,
        streaming: bool,
        retry: bool,
        (prompt, files, results): (String, Vec<Attachment>, Vec<ToolResult>),
    ) -> bool {
        let history = self.history.with_untracked(|h| {
            let mut t = turns(h);
            if !retry {
                t.extend(self.current());
            }
            t
        });
        let mut msgs = messages(&history, &prompt, &files);
        if let Some(last) = msgs.last_mut() {
            last.tool_results.extend(results.iter().cloned());
        }
        let model_id = form.model_id.get_untracked();
        let api = form
            .settings
            .with_untracked(|s| s.as_ref().ok().map(|s| s.api));
        if let Some(Err(e)) = api.map(|api| attachment::check(&model_id, api, &msgs)) {
            self.reply
                .error
                .set(Failure::from(FormError::Attachment(e)).to_string());
            return false;
        }
        if !retry {
            self.archive();
        }
        self.user.set(prompt);
        self.attachments.set(files);
        self.tool_results.set(results);
        self.reply.clear();
        self.frames.set(Vec::new());
        let task = Task {
            reply: self.reply,
            model_id,
            msgs,
            streaming,
            custom_body: form.custom_body.get_untracked(),
            frames: Some(self.frames),
        };
        self.runner.start(form, vec![task]);
        // The answer is saved as soon as it ends: the code that writes it comes meanwhile.
        crate::components::conversation_file::preload_export();
        true
    }

    /// Whether there is a current turn (tracked): a prompt or tool results were sent.
    pub fn has_turn(&self) -> bool {
        !self.user.with(String::is_empty) || !self.tool_results.with(Vec::is_empty)
    }

    /// The current turn as it would be archived (none before anything was sent).
    fn current(&self) -> Option<Exchange> {
        if !untrack(|| self.has_turn()) {
            return None;
        }
        Some(Exchange {
            user: self.user.get_untracked(),
            attachments: self.attachments.get_untracked(),
            tool_results: self.tool_results.get_untracked(),
            answer: self.reply.text.get_untracked(),
            message: self.reply.message.get_untracked(),
        })
    }
}
