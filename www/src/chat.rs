//! The conversation: finished turns, the current one (whose answer streams), and sending.

use leptos::prelude::*;

use crate::body::Msg;
use crate::failure::Failure;
use crate::form::{messages, Form, FormError};
use crate::reply::{Frame, Reply};
use crate::runner::{Runner, Task};

/// A finished turn of the conversation.
#[derive(Clone)]
pub struct Turn {
    pub id: usize,
    pub user: String,
    pub text: String,
    pub figures: String,
    pub error: String,
}

/// Each turn as `(prompt, answer)`.
fn turns(history: &[Turn]) -> Vec<(String, String)> {
    history
        .iter()
        .map(|t| (t.user.clone(), t.text.clone()))
        .collect()
}

/// The conversation state.
#[derive(Clone, Copy)]
pub struct Chat {
    pub history: RwSignal<Vec<Turn>>,
    /// The current turn's prompt (empty: none yet).
    pub user: RwSignal<String>,
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
            reply: Reply::new(),
            frames: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            runner,
        }
    }

    /// The conversation so far (tracked): each finished turn `(prompt, answer)`, and the
    /// current one once its answer is complete (a streaming answer is not part of it until
    /// it ends, so the preview is not rebuilt per token).
    pub fn conversation(&self) -> Vec<(String, String)> {
        let mut turns = self.history.with(|h| turns(h));
        if !self.reply.busy.get() {
            turns.push((self.user.get(), self.reply.text.get()));
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
            text: r.text.get_untracked(),
            figures: r.figures.get_untracked(),
            error: r.error.get_untracked(),
        };
        self.history.update(|h| h.push(turn));
        self.user.set(String::new());
        r.clear();
    }

    /// Stops the answer, or the identity-pool sign-in it waits for.
    pub fn stop(&self) {
        self.runner.stop();
    }

    /// The conversation so far, untracked (see [`conversation`](Self::conversation)).
    pub fn conversation_untracked(&self) -> Vec<(String, String)> {
        untrack(|| self.conversation())
    }

    /// Replaces the conversation with `turns` (an imported one), all of them finished.
    pub fn restore(&self, turns: Vec<(String, String)>) {
        self.clear();
        let history = turns
            .into_iter()
            .map(|(user, text)| {
                let id = self.next_id.get_value();
                self.next_id.set_value(id + 1);
                Turn {
                    id,
                    user,
                    text,
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
        self.reply.clear();
        self.frames.set(Vec::new());
    }

    /// Puts the current turn's prompt back for editing and drops the turn.
    pub fn edit_last(&self, form: Form) {
        form.prompt.set(self.user.get_untracked());
        self.user.set(String::new());
        self.reply.clear();
    }

    /// Sends the prompt as a new turn (`retry`: asks the current turn again).
    pub fn send(self, form: Form, streaming: bool, retry: bool) {
        if self.runner.busy_untracked() {
            return;
        }
        let prompt = if retry {
            self.user.get_untracked()
        } else {
            form.prompt.get_untracked()
        };
        if prompt.trim().is_empty() {
            self.reply
                .error
                .set(Failure::from(FormError::NoPrompt).to_string());
            return;
        }
        if !retry {
            self.archive();
        }
        let msgs = messages(&self.history.with_untracked(|h| turns(h)), &prompt);
        self.user.set(prompt);
        self.reply.clear();
        self.frames.set(Vec::new());
        let task = Task {
            reply: self.reply,
            model_id: form.model_id.get_untracked(),
            msgs,
            streaming,
            custom_body: form.custom_body.get_untracked(),
            frames: Some(self.frames),
        };
        self.runner.start(form, vec![task]);
    }
}
