//! Requests from the form: a model-native InvokeModel body per family, or a Converse request,
//! from the conversation and the parameters.

use bedrock_wasm::bedrock::converse::{
    ConverseRequest, InferenceConfig, Message, SystemContentBlock,
};
use bedrock_wasm::bedrock::ModelFamily;
use serde_json::{json, Map, Value};

/// The parameters, already parsed; `None` means the model's default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pub max_tokens: u32,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub stop: Vec<String>,
    pub system: String,
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub user: bool,
    pub text: String,
}

/// Whether the family takes a top-k parameter in its native body.
pub fn has_top_k(family: ModelFamily) -> bool {
    use ModelFamily::*;
    matches!(
        family,
        ClaudeText | ClaudeMessages | Nova | Mistral | CohereCommand | CohereCommandR
    )
}

/// The model's default temperature / top-p, shown as placeholders.
pub fn defaults(family: ModelFamily) -> (&'static str, &'static str) {
    use ModelFamily::*;
    match family {
        ClaudeText | ClaudeMessages => ("1", "0.999"),
        TitanText => ("0.7", "0.9"),
        Nova => ("0.7", "0.9"),
        Llama => ("0.5", "0.9"),
        Mistral | MistralChat => ("0.5", "0.9"),
        CohereCommand | CohereCommandR => ("0.9", "0.75"),
        _ => ("1", "1"),
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

fn role(m: &Msg) -> &'static str {
    if m.user {
        "user"
    } else {
        "assistant"
    }
}

/// Chat messages as `[{role, content: text}]`, with an optional leading system message.
fn chat(msgs: &[Msg], system: Option<&str>) -> Value {
    let mut out: Vec<Value> = Vec::new();
    if let Some(s) = system.filter(|s| !s.is_empty()) {
        out.push(json!({"role": "system", "content": s}));
    }
    out.extend(
        msgs.iter()
            .map(|m| json!({"role": role(m), "content": m.text})),
    );
    Value::Array(out)
}

/// A text transcript: `user`/`assistant` lines wrapped by the given markers.
fn transcript(msgs: &[Msg], user: &str, assistant: &str, end: &str) -> String {
    let mut s = String::new();
    for m in msgs {
        if m.user {
            s += &format!("{user}{}{end}", m.text);
        } else {
            s += &format!("{assistant}{}{end}", m.text);
        }
    }
    s
}

/// A plain-text chat prompt for models without a chat template (Titan, Cohere Command):
/// the system prompt on its own line, `User:`/`<bot>:` turns, and an open `<bot>:` turn.
fn plain_chat(system: &str, msgs: &[Msg], bot: &str) -> String {
    let mut t = if system.is_empty() {
        String::new()
    } else {
        format!("{system}\n")
    };
    t += &transcript(msgs, "User: ", &format!("{bot}: "), "\n");
    t + bot + ":"
}

/// The model-native JSON body for InvokeModel / InvokeModelWithResponseStream.
pub fn native(family: ModelFamily, p: &Params, msgs: &[Msg], streaming: bool) -> Value {
    use ModelFamily::*;
    let temp = p.temperature.map(Value::from);
    let top_p = p.top_p.map(Value::from);
    let top_k = p.top_k.map(Value::from);
    let stop = (!p.stop.is_empty()).then(|| json!(p.stop));
    let system = p.system.trim();
    let last_user = msgs.len() == 1 && msgs[0].user && system.is_empty();
    let mut b = Map::new();
    match family {
        ClaudeText => {
            let mut prompt = String::from(system);
            for m in msgs {
                if m.user {
                    prompt += &format!("\n\nHuman: {}", m.text);
                } else {
                    prompt += &format!("\n\nAssistant: {}", m.text.trim_start());
                }
            }
            prompt += "\n\nAssistant:";
            b.insert("prompt".into(), prompt.into());
            b.insert("max_tokens_to_sample".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "top_p", top_p);
            put(&mut b, "top_k", top_k);
            put(&mut b, "stop_sequences", stop);
        }
        TitanText => {
            let text = if last_user {
                msgs[0].text.clone()
            } else {
                plain_chat(system, msgs, "Bot")
            };
            let mut cfg = Map::new();
            cfg.insert("maxTokenCount".into(), p.max_tokens.into());
            put(&mut cfg, "temperature", temp);
            put(&mut cfg, "topP", top_p);
            put(&mut cfg, "stopSequences", stop);
            b.insert("inputText".into(), text.into());
            b.insert("textGenerationConfig".into(), cfg.into());
        }
        Nova => {
            let messages: Vec<Value> = msgs
                .iter()
                .map(|m| json!({"role": role(m), "content": [{"text": m.text}]}))
                .collect();
            b.insert("messages".into(), messages.into());
            if !system.is_empty() {
                b.insert("system".into(), json!([{ "text": system }]));
            }
            let mut cfg = Map::new();
            cfg.insert("max_new_tokens".into(), p.max_tokens.into());
            put(&mut cfg, "temperature", temp);
            put(&mut cfg, "top_p", top_p);
            put(&mut cfg, "top_k", top_k);
            put(&mut cfg, "stopSequences", stop);
            b.insert("inferenceConfig".into(), cfg.into());
        }
        Llama => {
            let h = |r: &str| format!("<|start_header_id|>{r}<|end_header_id|>\n\n");
            let mut prompt = String::from("<|begin_of_text|>");
            if !system.is_empty() {
                prompt += &format!("{}{system}<|eot_id|>", h("system"));
            }
            prompt += &transcript(msgs, &h("user"), &h("assistant"), "<|eot_id|>");
            prompt += &h("assistant");
            b.insert("prompt".into(), prompt.into());
            b.insert("max_gen_len".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "top_p", top_p);
        }
        Mistral => {
            let mut prompt = String::from("<s>");
            for (i, m) in msgs.iter().enumerate() {
                if m.user {
                    let sys = if i == 0 && !system.is_empty() {
                        format!("{system}\n\n")
                    } else {
                        String::new()
                    };
                    prompt += &format!("[INST] {sys}{} [/INST]", m.text);
                } else {
                    prompt += &format!("{}</s>", m.text);
                }
            }
            b.insert("prompt".into(), prompt.into());
            b.insert("max_tokens".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "top_p", top_p);
            put(&mut b, "top_k", top_k);
            put(&mut b, "stop", stop);
        }
        CohereCommand => {
            let prompt = if last_user {
                msgs[0].text.clone()
            } else {
                plain_chat(system, msgs, "Chatbot")
            };
            b.insert("prompt".into(), prompt.into());
            b.insert("max_tokens".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "p", top_p);
            put(&mut b, "k", top_k);
            put(&mut b, "stop_sequences", stop);
            if streaming {
                b.insert("stream".into(), true.into());
            }
        }
        CohereCommandR => {
            let (last, before) = msgs
                .split_last()
                .map_or((None, &[][..]), |(l, b)| (Some(l), b));
            let history: Vec<Value> = before
                .iter()
                .map(|m| json!({"role": if m.user {"USER"} else {"CHATBOT"}, "message": m.text}))
                .collect();
            b.insert(
                "message".into(),
                last.map(|m| m.text.clone()).unwrap_or_default().into(),
            );
            if !history.is_empty() {
                b.insert("chat_history".into(), history.into());
            }
            if !system.is_empty() {
                b.insert("preamble".into(), system.into());
            }
            b.insert("max_tokens".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "p", top_p);
            put(&mut b, "k", top_k);
            put(&mut b, "stop_sequences", stop);
        }
        MistralChat | Jamba => {
            b.insert("messages".into(), chat(msgs, Some(system)));
            b.insert("max_tokens".into(), p.max_tokens.into());
            put(&mut b, "temperature", temp);
            put(&mut b, "top_p", top_p);
            put(&mut b, "stop", stop);
        }
        // Claude Messages, and the Messages shape for ids the catalog cannot place.
        _ => {
            b.insert("anthropic_version".into(), "bedrock-2023-05-31".into());
            b.insert("max_tokens".into(), p.max_tokens.into());
            b.insert("messages".into(), chat(msgs, None));
            if !system.is_empty() {
                b.insert("system".into(), system.into());
            }
            put(&mut b, "temperature", temp);
            put(&mut b, "top_p", top_p);
            put(&mut b, "top_k", top_k);
            put(&mut b, "stop_sequences", stop);
        }
    }
    Value::Object(b)
}

/// The Converse / ConverseStream request body.
pub fn converse(family: ModelFamily, p: &Params, msgs: &[Msg]) -> ConverseRequest {
    let messages = msgs
        .iter()
        .map(|m| {
            if m.user {
                Message::user(m.text.clone())
            } else {
                Message::assistant(m.text.clone())
            }
        })
        .collect();
    let system = p.system.trim();
    let mut req = ConverseRequest {
        messages,
        inference_config: Some(InferenceConfig {
            max_tokens: Some(p.max_tokens),
            temperature: p.temperature,
            top_p: p.top_p,
            stop_sequences: p.stop.clone(),
            extra: Map::new(),
        }),
        ..Default::default()
    };
    if !system.is_empty() {
        req.system = vec![SystemContentBlock::Text(system.into())];
    }
    if let Some(k) = p.top_k.filter(|_| has_top_k(family)) {
        let key = match family {
            ModelFamily::CohereCommand | ModelFamily::CohereCommandR => "k",
            _ => "top_k",
        };
        req.additional_model_request_fields = Some(json!({ key: k }));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_claude_text_turn_is_the_seed_body() {
        let p = Params {
            max_tokens: 200,
            ..Default::default()
        };
        let msgs = [Msg {
            user: true,
            text: "Hi".into(),
        }];
        assert_eq!(
            native(ModelFamily::ClaudeText, &p, &msgs, true),
            json!({"prompt": "\n\nHuman: Hi\n\nAssistant:", "max_tokens_to_sample": 200})
        );
    }
}
