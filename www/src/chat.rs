//! The conversation: finished turns, the current one (whose answer streams), and sending.

use leptos::prelude::*;

use crate::attachment::{self, Attachment};
use crate::body::{Exchange, Msg};
use crate::failure::Failure;
use crate::form::{messages, Form, FormError};
use crate::reply::{Frame, Reply};
use crate::runner::{Runner, Task};

/// A finished turn of the conversation.
#[derive(Clone)]
pub struct Turn {
    pub id: usize,
    pub user: String,
    pub attachments: Vec<Attachment>,
    pub text: String,
    pub figures: String,
    pub error: String,
}

/// Each turn as an [`Exchange`].
fn turns(history: &[Turn]) -> Vec<Exchange> {
    history
        .iter()
        .map(|t| Exchange {
            user: t.user.clone(),
            attachments: t.attachments.clone(),
            answer: t.text.clone(),
        })
        .collect()
}

/// The conversation state.
#[derive(Clone, Copy)]
pub struct Chat {
    pub history: RwSignal<Vec<Turn>>,
    /// The current turn's prompt (empty: none yet).
    pub user: RwSignal<String>,
    /// The files sent with the current turn's prompt.
    pub attachments: RwSignal<Vec<Attachment>>,
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
                answer: self.reply.text.get(),
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
        let user = self.user.get_untracked();
        if user.is_empty() {
            return;
        }
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let r = self.reply;
        let turn = Turn {
            id,
            user,
            attachments: self.attachments.get_untracked(),
            text: r.text.get_untracked(),
            figures: r.figures.get_untracked(),
            error: r.error.get_untracked(),
        };
        self.history.update(|h| h.push(turn));
        self.user.set(String::new());
        self.attachments.set(Vec::new());
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
            .map(|e| {
                let id = self.next_id.get_value();
                self.next_id.set_value(id + 1);
                Turn {
                    id,
                    user: e.user,
                    attachments: e.attachments,
                    text: e.answer,
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
        self.reply.clear();
        self.frames.set(Vec::new());
    }

    /// Puts the current turn's prompt back for editing and drops the turn.
    pub fn edit_last(&self, form: Form) {
        form.prompt.set(self.user.get_untracked());
        form.attachments.set(self.attachments.get_untracked());
        self.user.set(String::new());
        self.attachments.set(Vec::new());
        self.reply.clear();
    }

    /// Sends the prompt as a new turn (`retry`: asks the current turn again).
    pub fn send(self, form: Form, streaming: bool, retry: bool) {
        if self.runner.busy_untracked() {
            return;
        }
        let (prompt, files) = if retry {
            (self.user.get_untracked(), self.attachments.get_untracked())
        } else {
            (
                form.prompt.get_untracked(),
                form.attachments.get_untracked(),
            )
        };
        if prompt.trim().is_empty() {
            self.reply
                .error
                .set(Failure::from(FormError::NoPrompt).to_string());
            return;
        }
        let history = self.history.with_untracked(|h| {
            // Retry asks the current turn again: the archived history stays as it is.
            if retry {
                turns(h)
            } else {
                let mut t = turns(h);
                t.extend(self.current());
                t
            }
        });
        let msgs = messages(&history, &prompt, &files);
        // Files the model or Bedrock would refuse are said before anything is archived or
        // sent, so nothing typed or attached is lost (the form's other errors end the turn,
        // from the runner, as before).
        let model_id = form.model_id.get_untracked();
        let api = form
            .settings
            .with_untracked(|s| s.as_ref().ok().map(|s| s.api));
        if let Some(Err(e)) = api.map(|api| attachment::check(&model_id, api, &msgs)) {
            self.reply
                .error
                .set(Failure::from(FormError::Attachment(e)).to_string());
            return;
        }
        if !retry {
            self.archive();
            form.attachments.set(Vec::new());
        }
        self.user.set(prompt);
        self.attachments.set(files);
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
    }

    /// The current turn as it would be archived (none without a prompt).
    fn current(&self) -> Option<Exchange> {
        let user = self.user.get_untracked();
        (!user.is_empty()).then(|| Exchange {
            user,
            attachments: self.attachments.get_untracked(),
            answer: self.reply.text.get_untracked(),
        })
    }
}
