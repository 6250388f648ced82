//! Reading answers: every family's whole and streamed bodies, and key probing.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::json;

use super::*;
use crate::bedrock::{InvocationMetrics, Output, TextDelta, ToolUse, Usage};

use ModelFamily::*;

/// The fast path for Claude text deltas gives exactly what the general path gives, and
/// steps aside for anything it does not fully understand.
#[test]
fn claude_text_deltas_fast_and_general_paths_agree() {
    let chunks = [
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"plain"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"esc \"q\" \n caf\u00e9 \ud83c\udf6b"}}"#,
        r#"{"index":2,"delta":{"text":"reordered","type":"text_delta"},"type":"content_block_delta"}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"with metrics"},"amazon-bedrock-invocationMetrics":{"inputTokenCount":3,"outputTokenCount":4,"invocationLatency":5,"firstByteLatency":6}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","extra":1}}"#,
    ];
    for family in [ClaudeMessages, Unknown] {
        let mut x = OutputReader::new(family);
        let texts: Vec<String> = chunks
            .iter()
            .map(|c| x.chunk(c.as_bytes()).unwrap().text)
            .collect();
        assert_eq!(
            texts,
            [
                "plain",
                "esc \"q\" \n café 🍫",
                "reordered",
                "with metrics",
                "",
                "x"
            ]
        );
        let out = x.output();
        assert_eq!(out.text, "plainesc \"q\" \n café 🍫reorderedwith metricsx");
        assert_eq!(out.reasoning, "hmm");
        assert_eq!(out.metrics.map(|m| m.output_token_count), Some(4));
    }
}

fn body(family: ModelFamily, v: serde_json::Value) -> Output {
    let bytes = serde_json::to_vec(&v).unwrap();
    let out = invoke_body(family, &bytes).unwrap();
    // Key probing reads every documented body the same way.
    assert_eq!(invoke_body(Unknown, &bytes).unwrap(), out, "probing {v}");
    out
}

fn usage(input: u64, output: u64, total: Option<u64>) -> Option<Usage> {
    Some(Usage {
        input_tokens: input,
        output_tokens: output,
        total_tokens: total,
        ..Default::default()
    })
}

#[test]
fn claude_text_completion_body() {
    let out = body(
        ClaudeText,
        json!({"completion": " Hello there.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}),
    );
    assert_eq!(out.text, " Hello there.");
    assert_eq!(out.stop_reason.as_deref(), Some("stop_sequence"));
    assert_eq!(out.stop_sequence.as_deref(), Some("\n\nHuman:"));
    assert_eq!(out.usage, None);
}

#[test]
fn claude_messages_body() {
    let out = body(
        ClaudeMessages,
        json!({
            "id": "msg_bdrk_01", "type": "message", "role": "assistant",
            "model": "claude-3-7-sonnet-20250219",
            "content": [
                {"type": "thinking", "thinking": "Weather needs a tool.", "signature": "c2ln"},
                {"type": "redacted_thinking", "data": "UkVEQUNURUQ="},
                {"type": "text", "text": "Let me check"},
                {"type": "text", "text": " the weather."},
                {"type": "tool_use", "id": "toolu_bdrk_01", "name": "get_weather",
                 "input": {"city": "Paris"}}
            ],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 20,
                      "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4}
        }),
    );
    assert_eq!(out.text, "Let me check the weather.");
    assert_eq!(out.reasoning, "Weather needs a tool.");
    assert_eq!(out.reasoning_signature.as_deref(), Some("c2ln"));
    assert_eq!(out.redacted_reasoning, ["UkVEQUNURUQ="]);
    assert_eq!(
        out.tool_uses,
        [ToolUse {
            id: "toolu_bdrk_01".into(),
            name: "get_weather".into(),
            input: json!({"city": "Paris"}),
            unparsed_input: None,
        }]
    );
    assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(out.stop_sequence, None);
    assert_eq!(
        out.usage,
        Some(Usage {
            input_tokens: 10,
            output_tokens: 20,
            total_tokens: None,
            cache_read_input_tokens: Some(4),
            cache_write_input_tokens: Some(3),
        })
    );
}

#[test]
fn titan_text_body() {
    let out = body(
        TitanText,
        json!({"inputTextTokenCount": 5, "results": [
            {"tokenCount": 7, "outputText": "\nHello!", "completionReason": "FINISH"}
        ]}),
    );
    assert_eq!(out.text, "\nHello!");
    assert_eq!(out.stop_reason.as_deref(), Some("FINISH"));
    assert_eq!(out.usage, usage(5, 7, None));
}

#[test]
fn nova_body() {
    let out = body(
        Nova,
        json!({
            "output": {"message": {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "Capital?", "signature": "s"}}},
                {"text": "Paris."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup", "input": {"q": "Paris"}}}
            ]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7,
                      "cacheReadInputTokenCount": 1, "cacheWriteInputTokenCount": 2},
            "metrics": {"latencyMs": 99}
        }),
    );
    assert_eq!(out.text, "Paris.");
    assert_eq!(out.reasoning, "Capital?");
    assert_eq!(out.reasoning_signature.as_deref(), Some("s"));
    assert_eq!(out.tool_uses[0].id, "tooluse_1");
    assert_eq!(out.tool_uses[0].input, json!({"q": "Paris"}));
    assert_eq!(out.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        out.usage,
        Some(Usage {
            input_tokens: 3,
            output_tokens: 4,
            total_tokens: Some(7),
            cache_read_input_tokens: Some(1),
            cache_write_input_tokens: Some(2),
        })
    );
    assert_eq!(out.latency_ms, Some(99));
}

#[test]
fn llama_body() {
    let out = body(
        Llama,
        json!({"generation": "Hi!", "prompt_token_count": 9,
               "generation_token_count": 2, "stop_reason": "stop"}),
    );
    assert_eq!(out.text, "Hi!");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(out.usage, usage(9, 2, None));
}

#[test]
fn mistral_body() {
    let out = body(
        Mistral,
        json!({"outputs": [{"text": " Bonjour", "stop_reason": "length"}]}),
    );
    assert_eq!(out.text, " Bonjour");
    assert_eq!(out.stop_reason.as_deref(), Some("length"));
}

#[test]
fn mistral_chat_body() {
    let out = body(
        MistralChat,
        json!({
            "id": "cmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {
                "role": "assistant", "content": "Checking.",
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "f", "arguments": "{\"a\":1}"}}]
            }, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}
        }),
    );
    assert_eq!(out.text, "Checking.");
    assert_eq!(
        out.tool_uses,
        [ToolUse {
            id: "call_1".into(),
            name: "f".into(),
            input: json!({"a": 1}),
            unparsed_input: None,
        }]
    );
    assert_eq!(out.stop_reason.as_deref(), Some("tool_calls"));
    assert_eq!(out.usage, usage(5, 6, Some(11)));
}

#[test]
fn cohere_command_body() {
    let out = body(
        CohereCommand,
        json!({"id": "x", "prompt": "Hi", "generations": [
            {"id": "g", "text": " Hi! How can I help you today?", "finish_reason": "COMPLETE"}
        ]}),
    );
    assert_eq!(out.text, " Hi! How can I help you today?");
    assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
}

#[test]
fn cohere_command_r_body() {
    let out = body(
        CohereCommandR,
        json!({
            "response_id": "r", "text": "Hello!", "generation_id": "g",
            "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}],
            "finish_reason": "COMPLETE",
            "meta": {"api_version": {"version": "1"},
                     "billed_units": {"input_tokens": 3, "output_tokens": 2}}
        }),
    );
    assert_eq!(out.text, "Hello!");
    assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
    assert_eq!(out.usage, usage(3, 2, None));
}

#[test]
fn jamba_body() {
    let out = body(
        Jamba,
        json!({
            "id": "chatcmpl-1", "model": "jamba-1.5-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there"},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
        }),
    );
    assert_eq!(out.text, "Hi there");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(out.usage, usage(5, 3, Some(8)));
}

/// Feeds chunks to an extractor of `family` and, separately, of `Unknown`; both must agree.
fn stream(family: ModelFamily, chunks: &[serde_json::Value]) -> (Output, Vec<TextDelta>) {
    let mut x = OutputReader::new(family);
    let mut probe = OutputReader::new(Unknown);
    let mut deltas = Vec::new();
    for c in chunks {
        let bytes = serde_json::to_vec(c).unwrap();
        let d = x.chunk(&bytes).unwrap();
        assert_eq!(probe.chunk(&bytes).unwrap(), d, "probing {c}");
        deltas.push(d);
    }
    (x.into_output(), deltas)
}

fn metrics_json() -> serde_json::Value {
    json!({"inputTokenCount": 10, "outputTokenCount": 15,
           "invocationLatency": 1798, "firstByteLatency": 1507})
}

fn metrics() -> InvocationMetrics {
    InvocationMetrics {
        input_token_count: 10,
        output_token_count: 15,
        invocation_latency: 1798,
        first_byte_latency: 1507,
        ..Default::default()
    }
}

#[test]
fn claude_text_completion_stream() {
    let (out, deltas) = stream(
        ClaudeText,
        &[
            json!({"completion": " Hello", "stop_reason": null, "stop": null}),
            json!({"completion": ",", "stop_reason": null, "stop": null}),
            json!({"completion": " world.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:",
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(deltas[1].text, ",");
    assert_eq!(deltas[1].stop_reason, None);
    assert_eq!(out.text, " Hello, world.");
    assert_eq!(out.stop_reason.as_deref(), Some("stop_sequence"));
    assert_eq!(out.stop_sequence.as_deref(), Some("\n\nHuman:"));
    assert_eq!(out.metrics, Some(metrics()));
    assert_eq!(deltas[2].metrics, Some(metrics()));
}

#[test]
fn claude_messages_stream_keeps_thinking_and_tool_input_apart() {
    let (out, deltas) = stream(
        ClaudeMessages,
        &[
            json!({"type": "message_start", "message": {"id": "msg_bdrk_1", "type": "message",
                "role": "assistant", "content": [], "stop_reason": null,
                "usage": {"input_tokens": 42, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 100, "output_tokens": 1}}}),
            json!({"type": "ping"}),
            json!({"type": "content_block_start", "index": 0,
                   "content_block": {"type": "thinking", "thinking": ""}}),
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "thinking_delta", "thinking": "The user wants"}}),
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "thinking_delta", "thinking": " weather."}}),
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1,
                   "content_block": {"type": "redacted_thinking", "data": "RW5jcnlwdGVk"}}),
            json!({"type": "content_block_stop", "index": 1}),
            json!({"type": "content_block_start", "index": 2,
                   "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 2,
                   "delta": {"type": "text_delta", "text": "Checking"}}),
            json!({"type": "content_block_delta", "index": 2,
                   "delta": {"type": "citations_delta", "citation": {"type": "char_location"}}}),
            json!({"type": "content_block_delta", "index": 2,
                   "delta": {"type": "text_delta", "text": "."}}),
            json!({"type": "content_block_stop", "index": 2}),
            json!({"type": "content_block_start", "index": 3, "content_block":
                   {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
            json!({"type": "content_block_delta", "index": 3,
                   "delta": {"type": "input_json_delta", "partial_json": ""}}),
            json!({"type": "content_block_delta", "index": 3,
                   "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
            json!({"type": "content_block_delta", "index": 3,
                   "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
            json!({"type": "content_block_stop", "index": 3}),
            // A tool without input fragments: its start input stands.
            json!({"type": "content_block_start", "index": 4, "content_block":
                   {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}}}),
            json!({"type": "content_block_stop", "index": 4}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                   "usage": {"output_tokens": 57}}),
            json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Checking.");
    assert_eq!(out.reasoning, "The user wants weather.");
    assert_eq!(out.reasoning_signature.as_deref(), Some("EqQBCgIYAhIM"));
    assert_eq!(out.redacted_reasoning, ["RW5jcnlwdGVk"]);
    assert_eq!(
        out.tool_uses,
        [
            ToolUse {
                id: "toolu_1".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
                unparsed_input: None,
            },
            ToolUse {
                id: "toolu_2".into(),
                name: "now".into(),
                input: json!({}),
                unparsed_input: None,
            },
        ]
    );
    assert!(deltas[1].is_empty(), "ping adds nothing");
    assert!(deltas[17].tool_uses_completed.is_empty());
    assert_eq!(
        deltas[18].tool_uses_completed.len(),
        1,
        "complete at its stop"
    );
    assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(
        out.usage,
        Some(Usage {
            input_tokens: 42,
            output_tokens: 57,
            total_tokens: None,
            cache_read_input_tokens: Some(100),
            cache_write_input_tokens: Some(0),
        })
    );
    assert_eq!(out.metrics, Some(metrics()));
}

#[test]
fn invalid_tool_input_is_delivered_unparsed_and_the_stream_goes_on() {
    let mut x = OutputReader::new(ClaudeMessages);
    for c in [
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "Sure."}}),
        json!({"type": "content_block_start", "index": 1, "content_block":
               {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1,
               "delta": {"type": "input_json_delta", "partial_json": "{\"a\": "}}),
    ] {
        x.chunk(&serde_json::to_vec(&c).unwrap()).unwrap();
    }
    // Cut off by max_tokens: the call arrives, its input kept as the text sent.
    let stop = br#"{"type":"content_block_stop","index":1}"#;
    let d = x.chunk(stop).unwrap();
    assert_eq!(d.tool_uses_completed.len(), 1);
    let end = br#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}"#;
    x.chunk(end).unwrap();
    let out = x.output();
    assert_eq!(out.text, "Sure.");
    let call = &out.tool_uses[0];
    assert_eq!((call.id.as_str(), call.name.as_str()), ("toolu_1", "f"));
    assert_eq!(call.input, Value::Null);
    assert_eq!(call.unparsed_input.as_deref(), Some("{\"a\": "));
    assert_eq!(out.stop_reason.as_deref(), Some("max_tokens"));
    assert_eq!(out.usage.unwrap().output_tokens, 9);
}

/// Open tool blocks are bounded: a stream that opens 1,025 without closing any gets a typed
/// error (not unbounded memory and quadratic searches); up to the bound, and with blocks that
/// close, any number of calls arrives, and the text before the error stays readable.
#[test]
fn open_tool_blocks_are_bounded() {
    let start = |i: usize| {
        serde_json::to_vec(
            &json!({"type": "content_block_start", "index": i, "content_block":
            {"type": "tool_use", "id": format!("t{i}"), "name": "f", "input": {}}}),
        )
        .unwrap()
    };
    let mut x = OutputReader::new(ClaudeMessages);
    x.chunk(
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
    )
    .unwrap();
    for i in 1..=crate::bedrock::output::MAX_OPEN_TOOL_BLOCKS {
        x.chunk(&start(i)).unwrap();
    }
    let e = x.chunk(&start(5000)).unwrap_err();
    assert!(
        matches!(e.kind(), crate::bedrock::ErrorKind::ResponseShape(_)),
        "{e}"
    );
    assert!(e.to_string().contains("1024 tool-use blocks"), "{e}");
    // A fragment for a block that never started opens one too, so it is bounded the same way.
    let frag = br#"{"type":"content_block_delta","index":7000,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#;
    assert!(x.chunk(frag).is_err());
    assert_eq!(x.output().text, "Hi");

    // Closed blocks free their place: 3,000 calls one after another are all delivered.
    let mut x = OutputReader::new(ClaudeMessages);
    for i in 0..3000 {
        x.chunk(&start(i)).unwrap();
        let stop = format!(r#"{{"type":"content_block_stop","index":{i}}}"#);
        assert_eq!(
            x.chunk(stop.as_bytes()).unwrap().tool_uses_completed.len(),
            1
        );
    }
    assert_eq!(x.output().tool_uses.len(), 3000);
    assert_eq!(x.output().tool_uses[2999].id, "t2999");
}

#[test]
fn titan_stream() {
    let (out, _) = stream(
        TitanText,
        &[
            json!({"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": null,
                   "completionReason": null, "inputTextTokenCount": 13}),
            json!({"outputText": " world", "index": 0, "totalOutputTextTokenCount": 4,
                   "completionReason": "FINISH", "inputTextTokenCount": null,
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Hello world");
    assert_eq!(out.stop_reason.as_deref(), Some("FINISH"));
    assert_eq!(out.usage, usage(13, 4, None));
}

#[test]
fn nova_stream_with_tool_use() {
    let (out, deltas) = stream(
        Nova,
        &[
            json!({"messageStart": {"role": "assistant"}}),
            json!({"contentBlockDelta": {"delta": {"text": "Looking"}, "contentBlockIndex": 0}}),
            json!({"contentBlockStop": {"contentBlockIndex": 0}}),
            json!({"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t1", "name": "get"}},
                   "contentBlockIndex": 1}}),
            json!({"contentBlockDelta": {"delta": {"toolUse": {"input": "{\"city\":"}},
                   "contentBlockIndex": 1}}),
            json!({"contentBlockDelta": {"delta": {"toolUse": {"input": "\"Paris\"}"}},
                   "contentBlockIndex": 1}}),
            json!({"contentBlockStop": {"contentBlockIndex": 1}}),
            json!({"messageStop": {"stopReason": "tool_use"}}),
            json!({"metadata": {"usage": {"inputTokens": 5, "outputTokens": 9,
                   "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
                   "metrics": {}, "trace": {}},
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Looking");
    assert_eq!(out.tool_uses[0].input, json!({"city": "Paris"}));
    assert_eq!(deltas[6].tool_uses_completed.len(), 1);
    assert_eq!(out.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(out.usage.unwrap().output_tokens, 9);
    assert_eq!(out.usage.unwrap().cache_read_input_tokens, Some(0));
    assert_eq!(out.latency_ms, None);
    assert_eq!(out.metrics, Some(metrics()));
}

#[test]
fn llama_stream() {
    let (out, deltas) = stream(
        Llama,
        &[
            json!({"generation": "", "prompt_token_count": 10, "generation_token_count": 1, "stop_reason": null}),
            json!({"generation": " Hello", "prompt_token_count": null, "generation_token_count": 2, "stop_reason": null}),
            json!({"generation": ".", "prompt_token_count": null, "generation_token_count": 3, "stop_reason": "stop",
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, " Hello.");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(deltas[1].usage, usage(10, 2, None));
    assert_eq!(out.usage, usage(10, 3, None));
}

#[test]
fn mistral_stream() {
    let (out, _) = stream(
        Mistral,
        &[
            json!({"outputs": [{"text": " Bon", "stop_reason": null}]}),
            json!({"outputs": [{"text": "jour", "stop_reason": "stop"}],
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, " Bonjour");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(out.metrics, Some(metrics()));
}

#[test]
fn mistral_chat_stream() {
    // The one public capture streams `message`, not `delta`, with `stop_reason`.
    let (out, _) = stream(
        MistralChat,
        &[
            json!({"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0,
                   "message": {"role": null, "content": "Hello", "tool_calls": null},
                   "stop_reason": null}]}),
            json!({"id": "x", "choices": [{"index": 0,
                   "message": {"role": null, "content": " there"}, "stop_reason": "stop"}],
                   "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Hello there");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(out.usage, usage(7, 2, Some(9)));
    assert!(out.tool_uses.is_empty());
}

#[test]
fn cohere_command_streams() {
    // Not streamed (`stream` absent from the request): one chunk, as in the AWS example.
    let (out, _) = stream(
        CohereCommand,
        &[
            json!({"generations": [{"finish_reason": "COMPLETE", "id": "g",
                                  "text": " Hi! How can I help you today?"}],
                 "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, " Hi! How can I help you today?");
    assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
    // `stream: true`: pieces, then a final chunk that repeats the whole answer.
    let (out, _) = stream(
        CohereCommand,
        &[
            json!({"text": " Hello", "is_finished": false}),
            json!({"text": ", world.", "is_finished": false}),
            json!({"is_finished": true, "finish_reason": "COMPLETE", "response": {
                "id": "r", "prompt": "Hello",
                "generations": [{"id": "g", "text": " Hello, world.", "finish_reason": "COMPLETE"}]},
                "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, " Hello, world.");
    assert_eq!(out.stop_reason.as_deref(), Some("COMPLETE"));
    assert_eq!(out.metrics, Some(metrics()));
}

#[test]
fn cohere_command_r_stream() {
    let (out, _) = stream(
        CohereCommandR,
        &[
            json!({"is_finished": false, "event_type": "stream-start", "generation_id": "g"}),
            json!({"is_finished": false, "event_type": "text-generation", "text": "Machine"}),
            json!({"is_finished": false, "event_type": "text-generation", "text": " learning"}),
            json!({"is_finished": true, "event_type": "stream-end", "finish_reason": "MAX_TOKENS",
                   "response": {"response_id": "r", "text": "Machine learning",
                                "finish_reason": "MAX_TOKENS",
                                "meta": {"billed_units": {"input_tokens": 6, "output_tokens": 2}}},
                   "amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Machine learning");
    assert_eq!(out.stop_reason.as_deref(), Some("MAX_TOKENS"));
    assert_eq!(out.usage, usage(6, 2, None));
}

#[test]
fn jamba_stream_with_a_separate_metering_chunk() {
    let (out, deltas) = stream(
        Jamba,
        &[
            json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                   "finish_reason": null}], "usage": null}),
            json!({"id": "c", "choices": [{"index": 0, "delta": {"content": "Hi"},
                   "finish_reason": null}]}),
            json!({"id": "c", "choices": [{"index": 0, "delta": {"content": " there"},
                   "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}),
            json!({"amazon-bedrock-invocationMetrics": metrics_json()}),
        ],
    );
    assert_eq!(out.text, "Hi there");
    assert_eq!(out.stop_reason.as_deref(), Some("stop"));
    assert_eq!(out.usage, usage(5, 2, Some(7)));
    assert_eq!(
        deltas[3],
        TextDelta {
            metrics: Some(metrics()),
            ..Default::default()
        }
    );
    // The one real frame in BEDROCK.md Appendix B has `message` instead of `delta`.
    let (out, _) = stream(
        Jamba,
        &[
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "I"},
                              "stop_reason": null}]}),
        ],
    );
    assert_eq!(out.text, "I");
}

#[test]
fn key_probing_order() {
    // One chunk per shape, read with no family.
    let cases = [
        (
            json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": "a"}}),
            "a",
        ),
        (
            json!({"contentBlockDelta": {"delta": {"text": "b"}, "contentBlockIndex": 0}}),
            "b",
        ),
        (json!({"outputText": "c", "completionReason": null}), "c"),
        (json!({"generation": "d", "stop_reason": null}), "d"),
        (
            json!({"outputs": [{"text": "e", "stop_reason": null}]}),
            "e",
        ),
        (
            json!({"choices": [{"index": 0, "delta": {"content": "f"}}]}),
            "f",
        ),
        (
            json!({"event_type": "text-generation", "text": "g", "is_finished": false}),
            "g",
        ),
        (json!({"text": "h", "is_finished": false}), "h"),
        (json!({"generations": [{"text": "i"}]}), "i"),
        (json!({"completion": "j", "stop_reason": null}), "j"),
    ];
    let mut x = OutputReader::new(Unknown);
    for (chunk, text) in cases {
        let d = x.chunk(&serde_json::to_vec(&chunk).unwrap()).unwrap();
        assert_eq!(d.text, text, "{chunk}");
    }
    assert_eq!(x.output().text, "abcdefghij");
    // Earlier keys win: an Anthropic event that also had a `completion` key.
    let d = x
        .chunk(br#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"k"},"completion":"no"}"#)
        .unwrap();
    assert_eq!(d.text, "k");
    // Only metrics, or nothing known: no error, nothing added but the metrics.
    let d = x.chunk(br#"{"somethingNew":{"text":"no"}}"#).unwrap();
    assert!(d.is_empty());
}

#[test]
fn a_known_family_falls_back_to_probing_for_a_chunk_without_its_keys() {
    let mut x = OutputReader::new(Mistral);
    let d = x
        .chunk(br#"{"choices":[{"index":0,"message":{"content":"chat"},"stop_reason":"stop"}]}"#)
        .unwrap();
    assert_eq!(d.text, "chat");
    assert_eq!(d.stop_reason.as_deref(), Some("stop"));
}

#[test]
fn not_json_or_not_an_object_is_an_error() {
    let mut x = OutputReader::new(ClaudeMessages);
    for bad in [&b"not json"[..], b"[1,2]", b"\"text\"", b""] {
        assert!(matches!(
            x.chunk(bad).as_ref().map_err(Error::kind),
            Err(crate::bedrock::ErrorKind::ResponseShape(_))
        ));
    }
    assert!(invoke_body(Unknown, b"{").is_err());
}

#[test]
fn invocation_metrics_with_cache_counts_and_missing_fields() {
    let d = OutputReader::new(Unknown)
        .chunk(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4,"cacheReadInputTokenCount":5,"cacheWriteInputTokenCount":6,"newField":7}}"#)
        .unwrap();
    assert_eq!(
        d.metrics,
        Some(InvocationMetrics {
            input_token_count: 1,
            output_token_count: 2,
            invocation_latency: 3,
            first_byte_latency: 4,
            cache_read_input_token_count: Some(5),
            cache_write_input_token_count: Some(6),
        })
    );
    let d = OutputReader::new(Unknown)
        .chunk(br#"{"amazon-bedrock-invocationMetrics":{"inputTokenCount":1}}"#)
        .unwrap();
    assert_eq!(d.metrics.unwrap().input_token_count, 1);
    assert_eq!(d.metrics.unwrap().cache_read_input_token_count, None);
}

#[test]
fn text_chunk_still_reads_any_chunk_or_body() {
    let c = TextChunk::from_model_json(
        br#"{"completion":" Hi","stop_reason":"max_tokens","stop":null}"#,
    )
    .unwrap();
    assert_eq!(c.text, " Hi");
    assert_eq!(c.stop_reason.as_deref(), Some("max_tokens"));
    let c = TextChunk::from_model_json(
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Yo"}}"#,
    )
    .unwrap();
    assert_eq!(c.text, "Yo");
    let c = TextChunk::from_model_json(
        br#"{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":3}}"#,
    )
    .unwrap();
    assert_eq!(c.stop_reason.as_deref(), Some("stop_sequence"));
    assert_eq!(c.stop_sequence.as_deref(), Some("END"));
    let c = TextChunk::from_model_json(
        br#"{"type":"message","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"stop_reason":"end_turn","stop_sequence":null}"#,
    )
    .unwrap();
    assert_eq!(c.text, "AB");
    assert_eq!(c.stop_reason.as_deref(), Some("end_turn"));
    let c = TextChunk::from_model_json(br#"{"generation":"x","stop_reason":null}"#).unwrap();
    assert_eq!(c.text, "x");
}
