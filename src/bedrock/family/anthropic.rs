//! Anthropic Claude Messages API: `{"anthropic_version","max_tokens","messages","system"}`
//! in; typed stream events (`content_block_delta`, …) and a whole `message` out.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::super::converse::{Blob, ContentBlock, MediaSource};
use super::super::output::{str_at, u64_at, Accumulator, TextDelta, ToolUse, UsagePatch};
use super::super::Error;
use super::input::{put, role, Chat};
use super::{ModelFamily, PathStep, Reader, SamplingDefaults, Spec};

pub(super) const CLAUDE_MESSAGES: Spec = Spec {
    body,
    text_path: &[
        PathStep::OptionalKey("delta"),
        PathStep::OptionalKey("text"),
    ],
    top_k: Some("top_k"),
    sampling: Some(SamplingDefaults {
        temperature: "1",
        top_p: "0.999",
    }),
};

pub(super) const READER: Reader = Reader {
    fits: |v| v.get("type").is_some(),
    read,
    fast: Some(fast_text_delta),
};

fn body(chat: &Chat, _streaming: bool) -> Result<Map<String, Value>, Error> {
    let mut b = Map::new();
    b.insert("anthropic_version".into(), "bedrock-2023-05-31".into());
    b.insert(
        "max_tokens".into(),
        chat.required_max_tokens(ModelFamily::ClaudeMessages)?
            .into(),
    );
    b.insert("messages".into(), messages(chat)?);
    if !chat.system.is_empty() {
        b.insert("system".into(), chat.system.clone().into());
    }
    put(&mut b, "temperature", chat.temperature());
    put(&mut b, "top_p", chat.top_p());
    put(&mut b, "top_k", chat.top_k());
    put(&mut b, "stop_sequences", chat.stop());
    Ok(b)
}

/// `[{role, content}]`: the text as a string, as before; a turn with images or documents as
/// Anthropic's block list, the files first (Anthropic's advice) and the text last.
fn messages(chat: &Chat) -> Result<Value, Error> {
    if chat.turns.iter().all(|t| t.media.is_empty()) {
        return Ok(chat.role_content_messages(false));
    }
    let mut out = Vec::with_capacity(chat.turns.len());
    for (i, t) in chat.turns.iter().enumerate() {
        let content = if t.media.is_empty() {
            Value::String(t.text.clone())
        } else {
            let mut blocks = Vec::with_capacity(t.media.len() + 1);
            for block in &t.media {
                blocks.push(media_block(block, i)?);
            }
            if !t.text.is_empty() {
                blocks.push(json!({"type": "text", "text": t.text}));
            }
            Value::Array(blocks)
        };
        out.push(json!({"role": role(t), "content": content}));
    }
    Ok(Value::Array(out))
}

/// An image or document block in Anthropic's words: images and PDFs as base64, text-like
/// documents as a text source. Other documents (Word, Excel) only go through Converse.
fn media_block(block: &ContentBlock, turn: usize) -> Result<Value, Error> {
    let refuse = |what: &str| {
        Error::input(format!(
            "messages[{turn}] has {what}, which Claude's native body cannot carry: send it with \
             Converse"
        ))
    };
    let (media_type, source) = match block {
        ContentBlock::Image(i) => (format!("image/{}", i.format), &i.source),
        ContentBlock::Document(d) => match d.format.as_deref() {
            Some("pdf") => ("application/pdf".to_owned(), &d.source),
            Some("txt" | "md" | "csv" | "html") => {
                let MediaSource::Bytes(Blob(bytes)) = &d.source else {
                    return Err(refuse("a document that is not inline bytes"));
                };
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| refuse(&format!("document {:?}, not UTF-8 text,", d.name)))?;
                return Ok(json!({
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": text},
                }));
            }
            _ => {
                return Err(refuse(&format!(
                    "document {:?} (PDF and text only)",
                    d.name
                )))
            }
        },
        _ => return Err(refuse("a block other than an image or a document")),
    };
    let MediaSource::Bytes(bytes) = source else {
        return Err(refuse("a file that is not inline bytes"));
    };
    let kind = if matches!(block, ContentBlock::Image(_)) {
        "image"
    } else {
        "document"
    };
    Ok(json!({
        "type": kind,
        "source": {"type": "base64", "media_type": media_type, "data": bytes},
    }))
}

/// The chunk nearly every Claude Messages token comes in,
/// `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}`, read
/// without building a JSON tree (the general path spends most of its time there). Any other
/// key fails it, so such a chunk takes the general path and nothing is missed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnthropicTextDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    index: u64,
    #[serde(borrow)]
    delta: AnthropicTextDeltaBody<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnthropicTextDeltaBody<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

fn fast_text_delta(bytes: &[u8], acc: &mut Accumulator, d: &mut TextDelta) -> bool {
    if let Some((index, text)) = exact_text_delta(bytes) {
        acc.text(d, &text);
        acc.msg.claude_text(index, &text);
        return true;
    }
    match serde_json::from_slice::<AnthropicTextDelta>(bytes) {
        Ok(c) if c.kind == "content_block_delta" && c.delta.kind == "text_delta" => {
            acc.text(d, &c.delta.text);
            acc.msg.claude_text(c.index, &c.delta.text);
            true
        }
        _ => false,
    }
}

/// The text delta written exactly as Bedrock writes it,
/// `{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"…"}}`, read
/// by a scanner: the serde path above costs a sixth of `textStream`'s time on the Claude
/// stream, this a fraction of that. JSON's escapes are decoded; anything else — another key
/// or order, whitespace, a lone surrogate, a raw control character, a number JSON would
/// refuse — is `None` and goes to the paths that say what it means.
fn exact_text_delta(bytes: &[u8]) -> Option<(u64, Cow<'_, str>)> {
    let rest = bytes.strip_prefix(br#"{"type":"content_block_delta","index":"#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || (digits > 1 && rest[0] == b'0') {
        return None;
    }
    let index = rest[..digits]
        .iter()
        .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
    let rest = rest[digits..].strip_prefix(br#","delta":{"type":"text_delta","text":""#)?;
    let text = rest.strip_suffix(br#""}}"#)?;
    Some((index, super::super::json::string_body(text)?))
}

fn anthropic_usage(u: &Value) -> UsagePatch {
    UsagePatch {
        input: u64_at(u, "input_tokens"),
        output: u64_at(u, "output_tokens"),
        total: None,
        cache_read: u64_at(u, "cache_read_input_tokens"),
        cache_write: u64_at(u, "cache_creation_input_tokens"),
    }
}

/// Claude Messages: stream events by `type`, and the whole `message`.
fn read(v: &Value, acc: &mut Accumulator, d: &mut TextDelta) -> Result<(), Error> {
    acc.msg.claude(v);
    let index = u64_at(v, "index").unwrap_or(0);
    match str_at(v, "type").unwrap_or_default() {
        "message_start" => {
            if let Some(u) = v.get("message").and_then(|m| m.get("usage")) {
                acc.usage(d, anthropic_usage(u));
            }
        }
        "content_block_start" => {
            let block = v.get("content_block").unwrap_or(&Value::Null);
            match str_at(block, "type").unwrap_or_default() {
                "text" => acc.text(d, str_at(block, "text").unwrap_or_default()),
                "thinking" => acc.reasoning(d, str_at(block, "thinking").unwrap_or_default()),
                "redacted_thinking" => acc.redacted(str_at(block, "data").unwrap_or_default()),
                "tool_use" | "server_tool_use" => acc.tool_start(
                    index,
                    str_at(block, "id").unwrap_or_default(),
                    str_at(block, "name").unwrap_or_default(),
                    block.get("input").cloned(),
                )?,
                _ => {}
            }
        }
        "content_block_delta" => {
            let delta = v.get("delta").unwrap_or(&Value::Null);
            match str_at(delta, "type").unwrap_or_default() {
                "text_delta" => acc.text(d, str_at(delta, "text").unwrap_or_default()),
                "input_json_delta" => {
                    acc.tool_input(index, str_at(delta, "partial_json").unwrap_or_default())?
                }
                "thinking_delta" => acc.reasoning(d, str_at(delta, "thinking").unwrap_or_default()),
                "signature_delta" => acc.signature(str_at(delta, "signature").unwrap_or_default()),
                _ => {}
            }
        }
        "content_block_stop" => acc.block_stop(d, index)?,
        "message_delta" => {
            if let Some(delta) = v.get("delta") {
                acc.stop(
                    d,
                    str_at(delta, "stop_reason"),
                    str_at(delta, "stop_sequence"),
                );
            }
            if let Some(u) = v.get("usage") {
                acc.usage(d, anthropic_usage(u));
            }
        }
        // A whole InvokeModel answer.
        "message" => {
            for block in v
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match str_at(block, "type").unwrap_or_default() {
                    "text" => acc.text(d, str_at(block, "text").unwrap_or_default()),
                    "thinking" => {
                        acc.reasoning(d, str_at(block, "thinking").unwrap_or_default());
                        if let Some(s) = str_at(block, "signature") {
                            acc.signature(s);
                        }
                    }
                    "redacted_thinking" => acc.redacted(str_at(block, "data").unwrap_or_default()),
                    "tool_use" | "server_tool_use" => acc.tool_use(
                        d,
                        ToolUse {
                            id: str_at(block, "id").unwrap_or_default().to_owned(),
                            name: str_at(block, "name").unwrap_or_default().to_owned(),
                            input: block.get("input").cloned().unwrap_or(Value::Null),
                            unparsed_input: None,
                        },
                    ),
                    _ => {}
                }
            }
            acc.stop(d, str_at(v, "stop_reason"), str_at(v, "stop_sequence"));
            if let Some(u) = v.get("usage") {
                acc.usage(d, anthropic_usage(u));
            }
        }
        // message_stop (its metrics are read for every family), ping, and anything newer.
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// What serde_json makes of the same chunk, when it is the exact shape.
    fn by_serde(bytes: &[u8]) -> Option<(u64, String)> {
        let c: AnthropicTextDelta = serde_json::from_slice(bytes).ok()?;
        (c.kind == "content_block_delta" && c.delta.kind == "text_delta")
            .then(|| (c.index, c.delta.text.into_owned()))
    }

    fn chunk(index: &str, text_json: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"text_delta","text":{text_json}}}}}"#
        )
        .into_bytes()
    }

    /// The scanner reads exactly what serde_json reads, escapes included, and refuses (to
    /// the general paths) whatever it does not fully understand.
    #[test]
    fn the_scanner_agrees_with_serde_json() {
        let texts = [
            r#""plain""#,
            r#""""#,
            r#""esc \"q\" \\ \/ \b\f\n\r\t caf\u00e9 \ud83c\udf6b \u0000 é 🍫""#,
            r#""ends with a backslash \\""#,
            r#""ends with a quote \"""#,
            r#""\"}}""#,
        ];
        for t in texts {
            let c = chunk("3", t);
            let expected = by_serde(&c).unwrap();
            let got = exact_text_delta(&c).unwrap();
            assert_eq!((got.0, got.1.into_owned()), expected, "{t}");
        }
        let refused: [&[u8]; 12] = [
            &chunk("01", r#""x""#),
            &chunk("-1", r#""x""#),
            &chunk("1.0", r#""x""#),
            &chunk("99999999999999999999", r#""x""#),
            &chunk("0", r#""lone \ud83d surrogate""#),
            &chunk("0", r#""lone \udc00 low""#),
            &chunk("0", r#""bad \x escape""#),
            &chunk("0", "\"raw \n newline\""),
            &chunk("0", r#""short \u12""#),
            &chunk("0", r#""a" "b""#),
            br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"} }"#,
            br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","extra":1}}"#,
        ];
        for c in refused {
            assert_eq!(exact_text_delta(c), None, "{}", String::from_utf8_lossy(c));
        }
        assert_eq!(exact_text_delta(b"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xff\"}}"), None);
    }

    /// 20,000 random texts (every escape serde_json writes, non-ASCII, surrogates) written
    /// by serde_json and read back by the scanner; and as many random byte strings that are
    /// nearly the shape: whenever the scanner answers, serde_json answers the same.
    #[test]
    fn random_texts_and_near_misses() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = [
            'a', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', 'é', '🍫', '\u{2028}', ' ',
        ];
        for _ in 0..10_000 {
            let len = (next() % 12) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let index = next() % 1000;
            let c = chunk(&index.to_string(), &serde_json::to_string(&text).unwrap());
            let got = exact_text_delta(&c).unwrap();
            assert_eq!((got.0, got.1.as_ref()), (index, text.as_str()));
        }
        let base = chunk("7", r#""a\"b\\c\u00e9\ud83c\udf6b""#);
        let bytes: &[u8] = b"\\\"u0dDfF9{}: ,a\x01\xff";
        for _ in 0..10_000 {
            let mut c = base.clone();
            for _ in 0..(1 + next() % 3) {
                let at = (next() as usize) % c.len();
                c[at] = bytes[(next() as usize) % bytes.len()];
            }
            if let Some((i, t)) = exact_text_delta(&c) {
                assert_eq!(
                    Some((i, t.into_owned())),
                    by_serde(&c),
                    "{}",
                    String::from_utf8_lossy(&c)
                );
            }
        }
    }
}
