//! A conversation as a file: JSON in Converse's shape (the model id, the system prompt, the
//! parameters and the `messages`), which imports back, and Markdown to read. Pure, so it is
//! tested natively; the page only downloads and reads files.

use serde_json::{json, Map, Value};

use crate::attachment::Attachment;
use crate::body::{Exchange, ToolResult};
use bedrock_wasm::bedrock::converse::Message;

/// What marks a file as ours (and which version of the shape it is).
const FORMAT: &str = "bedrock-wasm-conversation";

/// An imported file is read only up to this size.
pub const MAX_IMPORT_BYTES: f64 = 50e6;

/// What a conversation file carries besides its turns: the form's fields, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Setup {
    pub model_id: String,
    pub system: String,
    pub max_tokens: String,
    pub temperature: String,
    pub top_p: String,
    pub top_k: String,
    /// One stop sequence per line.
    pub stop: String,
}

/// A conversation read from a file: its setup, the answered turns, and a last prompt
/// without an answer (with its files), if any.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conversation {
    pub setup: Setup,
    pub turns: Vec<Exchange>,
    pub pending: Option<String>,
    pub pending_attachments: Vec<Attachment>,
}

fn number(text: &str) -> Option<Value> {
    let t = text.trim();
    t.parse::<u64>()
        .map(Value::from)
        .ok()
        .or_else(|| t.parse::<f64>().ok().map(Value::from))
}

fn text_message(role: &str, text: &str) -> Value {
    json!({"role": role, "content": [{"text": text}]})
}

/// The user's message: its files as Converse blocks (bytes as base64), its tool results,
/// then the text.
fn user_message(t: &Exchange) -> Value {
    let mut content: Vec<Value> = t.attachments.iter().map(Attachment::to_json).collect();
    for r in &t.tool_results {
        content.push(json!({"toolResult": {"toolUseId": r.id, "content": [{"text": r.text}]}}));
    }
    if !t.user.is_empty() || content.is_empty() {
        content.push(json!({ "text": t.user }));
    }
    json!({"role": "user", "content": content})
}

/// The assistant's message: as the model sent it (reasoning with its signature, tool calls)
/// when the page has it, else its text. Encoded by the serializer requests use, then read
/// back (another instantiation of the message's serializer would weigh on the page).
fn assistant_message(t: &Exchange) -> Value {
    t.message
        .as_ref()
        .and_then(|m| serde_json::to_vec(m).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| text_message("assistant", &t.answer))
}

/// An assistant message of a file, typed, when it carries more than text (tool calls,
/// reasoning) — read by the reader responses use.
fn sent_message(m: &Value) -> Option<Message> {
    let content = m.get("content")?.as_array()?;
    if content.iter().all(|b| b.get("text").is_some()) {
        return None;
    }
    serde_json::from_slice(&serde_json::to_vec(m).ok()?).ok()
}

/// A tool result block of a file: its id and its content as text (JSON content as JSON).
fn tool_result(b: &Value) -> Option<ToolResult> {
    let r = b.get("toolResult")?;
    let text = r
        .get("content")?
        .as_array()?
        .iter()
        .map(
            |c| match (c.get("text").and_then(Value::as_str), c.get("json")) {
                (Some(t), _) => t.to_owned(),
                (None, Some(j)) => crate::json::text(j),
                _ => String::new(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n");
    Some(ToolResult {
        id: r.get("toolUseId")?.as_str()?.to_owned(),
        name: String::new(),
        text,
    })
}

/// The conversation as JSON: `{ format, modelId, system, inferenceConfig, topK?, messages }`.
pub fn to_json(setup: &Setup, turns: &[Exchange]) -> String {
    let mut config = Map::new();
    for (key, value) in [
        ("maxTokens", &setup.max_tokens),
        ("temperature", &setup.temperature),
        ("topP", &setup.top_p),
    ] {
        if let Some(n) = number(value) {
            config.insert(key.into(), n);
        }
    }
    let stop: Vec<&str> = setup.stop.lines().filter(|l| !l.is_empty()).collect();
    if !stop.is_empty() {
        config.insert("stopSequences".into(), json!(stop));
    }
    let system: Vec<Value> = Some(setup.system.trim())
        .filter(|s| !s.is_empty())
        .map(|s| json!({ "text": s }))
        .into_iter()
        .collect();
    // Answered turns only, as a request holds them (roles must alternate).
    let mut messages = Vec::new();
    for t in turns.iter().filter(|t| t.answered()) {
        messages.push(user_message(t));
        messages.push(assistant_message(t));
    }
    let mut out = json!({
        "format": FORMAT,
        "version": 1,
        "modelId": setup.model_id,
        "system": system,
        "inferenceConfig": config,
        "messages": messages,
    });
    if let Some(k) = number(&setup.top_k) {
        out["topK"] = k;
    }
    crate::json::pretty(&out)
}

/// The conversation to read: a heading, the system prompt, then each turn.
pub fn to_markdown(setup: &Setup, turns: &[Exchange]) -> String {
    let mut out = format!("# Conversation with {}\n\n", setup.model_id);
    if !setup.system.trim().is_empty() {
        out += &format!("**System:** {}\n\n", setup.system.trim());
    }
    for t in turns.iter().filter(|t| !t.answer.is_empty()) {
        out += "## User\n\n";
        for a in &t.attachments {
            out += &format!("*Attached: {}*\n\n", a.label());
        }
        for r in &t.tool_results {
            out += &format!("*Tool result for {}:* {}\n\n", r.name, r.text);
        }
        out += &format!("{}\n\n## Assistant\n\n{}\n\n", t.user, t.answer);
    }
    out
}

/// Reads a file written by [`to_json`] (or any JSON with Converse's `messages`, text
/// content): what is wrong is said, naming the field.
pub fn from_json(text: &str) -> Result<Conversation, String> {
    let v: Value = crate::json::parse(text).map_err(|e| format!("the file is not JSON ({e})"))?;
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("the file has no \"messages\" list: export a conversation from this page")?;
    let field = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let config = v.get("inferenceConfig").cloned().unwrap_or_default();
    let shown = |n: Option<&Value>| n.map(crate::json::text).unwrap_or_default();
    let system = v
        .get("system")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let stop = config
        .get("stopSequences")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let setup = Setup {
        model_id: field("modelId"),
        system,
        max_tokens: shown(config.get("maxTokens")),
        temperature: shown(config.get("temperature")),
        top_p: shown(config.get("topP")),
        top_k: shown(v.get("topK")),
        stop,
    };
    let mut conversation = Conversation {
        setup,
        ..Default::default()
    };
    let mut prompt: Option<(String, Vec<Attachment>, Vec<ToolResult>)> = None;
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or_default();
        let content = m
            .get("content")
            .and_then(Value::as_array)
            .ok_or(format!("messages[{i}] has no \"content\" list"))?;
        let text: String = content
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect();
        let mut files = Vec::new();
        for (j, b) in content.iter().enumerate() {
            for kind in ["image", "document", "video"] {
                if let Some(v) = b.get(kind) {
                    files.push(Attachment::from_json(kind, v).ok_or(format!(
                        "messages[{i}].content[{j}] is a {kind} this page cannot read back: \
                         it takes a format Bedrock lists, with the bytes inline as base64"
                    ))?);
                }
            }
        }
        let results: Vec<ToolResult> = content.iter().filter_map(tool_result).collect();
        match (role, prompt.take()) {
            ("user", None) => prompt = Some((text, files, results)),
            ("assistant", Some((user, attachments, tool_results))) => {
                conversation.turns.push(Exchange {
                    user,
                    attachments,
                    tool_results,
                    answer: text,
                    message: sent_message(m),
                })
            }
            (role, _) => {
                return Err(format!(
                    "messages[{i}] is {role:?}: messages must alternate user, assistant, starting with user"
                ))
            }
        }
    }
    if let Some((text, files, _)) = prompt {
        conversation.pending = Some(text);
        conversation.pending_attachments = files;
    }
    Ok(conversation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Setup {
        Setup {
            model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
            system: "Be brief.".into(),
            max_tokens: "300".into(),
            temperature: "0.5".into(),
            top_p: String::new(),
            top_k: "40".into(),
            stop: "END\nSTOP".into(),
        }
    }

    fn exchange(user: &str, answer: &str) -> Exchange {
        Exchange {
            user: user.into(),
            answer: answer.into(),
            ..Default::default()
        }
    }

    #[test]
    fn attachments_round_trip_as_converse_blocks_with_base64() {
        let file = |name: &str, bytes: &[u8]| {
            Attachment::new(name, "", bytes.to_vec(), [].into_iter()).unwrap()
        };
        let turn = Exchange {
            attachments: vec![
                file("cat.png", &[0x89, b'P', 0]),
                file("Q3.pdf", b"%PDF"),
                file("c.mp4", b"\0"),
            ],
            ..exchange("What is this?", "A cat and a report.")
        };
        let text = to_json(&setup(), std::slice::from_ref(&turn));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["messages"][0]["content"],
            json!([
                {"image": {"format": "png", "source": {"bytes": "iVAA"}}},
                {"document": {"format": "pdf", "name": "Q3", "source": {"bytes": "JVBERg=="}}},
                {"video": {"format": "mp4", "source": {"bytes": "AA=="}}},
                {"text": "What is this?"},
            ])
        );
        let back = from_json(&text).unwrap();
        let files = &back.turns[0].attachments;
        assert_eq!(files.len(), 3);
        for (a, b) in files.iter().zip(&turn.attachments) {
            assert_eq!((a.media, &a.name, &a.bytes), (b.media, &b.name, &b.bytes));
        }
        assert!(to_markdown(&setup(), &[turn]).contains("*Attached: cat.png · image · 3 bytes*"));
        let pending = r#"{"messages":[{"role":"user","content":[{"image":{"format":"gif","source":{"bytes":"R0lG"}}},{"text":"a"}]}]}"#;
        let c = from_json(pending).unwrap();
        assert_eq!(c.pending_attachments[0].bytes.as_slice(), b"GIF");
        let bad = r#"{"messages":[{"role":"user","content":[{"image":{"format":"tiff","source":{"bytes":"AA=="}}}]}]}"#;
        assert!(from_json(bad)
            .unwrap_err()
            .contains("messages[0].content[0]"));
        let not_base64 = r#"{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"%%"}}}]}]}"#;
        assert!(from_json(not_base64)
            .unwrap_err()
            .contains("messages[0].content[0]"));
    }

    #[test]
    fn json_round_trips_in_converse_shape() {
        let turns = vec![exchange("Hi", "Hello!"), exchange("Name?", "Claude.")];
        // The page's current turn without an answer yet is left out.
        let mut with_current = turns.clone();
        with_current.push(Exchange::default());
        let text = to_json(&setup(), &with_current);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["messages"].as_array().unwrap().len(), 4);
        assert_eq!(
            v["messages"][1],
            json!({"role": "assistant", "content": [{"text": "Hello!"}]})
        );
        assert_eq!(v["system"], json!([{"text": "Be brief."}]));
        assert_eq!(
            v["inferenceConfig"],
            json!({"maxTokens": 300, "temperature": 0.5, "stopSequences": ["END", "STOP"]})
        );
        let back = from_json(&text).unwrap();
        assert_eq!(back.turns, turns);
        assert_eq!(back.setup, setup());
        assert_eq!(back.pending, None);
    }

    #[test]
    fn markdown_reads_as_the_conversation() {
        let md = to_markdown(&setup(), &[exchange("Hi", "Hello!")]);
        assert!(md.starts_with("# Conversation with anthropic.claude-3-5-haiku"));
        assert!(md.contains("**System:** Be brief.\n\n## User\n\nHi\n\n## Assistant\n\nHello!\n"));
    }

    #[test]
    fn a_bad_file_says_what_is_wrong() {
        assert!(from_json("not json").unwrap_err().contains("not JSON"));
        assert!(from_json("{}").unwrap_err().contains("\"messages\""));
        let two_users = r#"{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}"#;
        assert!(from_json(two_users).unwrap_err().contains("messages[1]"));
        let pending = r#"{"messages":[{"role":"user","content":[{"text":"a"}]}]}"#;
        assert_eq!(from_json(pending).unwrap().pending.as_deref(), Some("a"));
    }
}
