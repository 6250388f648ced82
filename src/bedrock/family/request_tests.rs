//! Request bodies: each family's native body for a lone prompt and for a chat with every
//! parameter. The expected bodies are what the playground built before the builders moved
//! here, so a change in any family's body shows up as a difference.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use serde_json::{json, Value};

use super::{ChatInferenceConfig, ChatInput, ModelFamily, PathStep, SamplingDefaults};
use crate::bedrock::converse::{ContentBlock, Message, SystemContentBlock};
use crate::bedrock::{Error, ErrorKind};

use ModelFamily::*;

/// "Hi", 100 tokens, nothing else.
fn lone() -> ChatInput {
    ChatInput {
        messages: vec![Message::user("Hi")],
        inference_config: ChatInferenceConfig {
            max_tokens: Some(100),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Three turns, a system prompt that needs trimming, and every parameter.
fn chat() -> ChatInput {
    ChatInput {
        messages: vec![
            Message::user("Hi"),
            Message::assistant(" Hello!"),
            Message::user("Name?"),
        ],
        system: vec![SystemContentBlock::Text(" Be brief. ".into())],
        inference_config: ChatInferenceConfig {
            max_tokens: Some(300),
            temperature: Some(0.5),
            top_p: Some(0.9),
            top_k: Some(40),
            stop_sequences: vec!["END".into()],
        },
        additional_model_request_fields: None,
    }
}

/// `family`'s bodies for [`lone`], [`chat`] streamed, and [`chat`] not streamed.
fn check(family: ModelFamily, lone_body: &str, chat_body: &str, chat_whole_body: &str) {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(
        family.request_body(&lone(), true).unwrap(),
        parse(lone_body),
        "{family} lone"
    );
    assert_eq!(
        family.request_body(&chat(), true).unwrap(),
        parse(chat_body),
        "{family} chat"
    );
    assert_eq!(
        family.request_body(&chat(), false).unwrap(),
        parse(chat_whole_body),
        "{family} chat, not streamed"
    );
}

#[test]
fn claude_text_bodies() {
    check(
        ClaudeText,
        r#"{"max_tokens_to_sample":100,"prompt":"\n\nHuman: Hi\n\nAssistant:"}"#,
        r#"{"max_tokens_to_sample":300,"prompt":"Be brief.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Name?\n\nAssistant:","stop_sequences":["END"],"temperature":0.5,"top_k":40,"top_p":0.9}"#,
        r#"{"max_tokens_to_sample":300,"prompt":"Be brief.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Name?\n\nAssistant:","stop_sequences":["END"],"temperature":0.5,"top_k":40,"top_p":0.9}"#,
    );
}

#[test]
fn claude_messages_bodies() {
    check(
        ClaudeMessages,
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"content":"Hi","role":"user"}]}"#,
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"messages":[{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop_sequences":["END"],"system":"Be brief.","temperature":0.5,"top_k":40,"top_p":0.9}"#,
        r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"messages":[{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop_sequences":["END"],"system":"Be brief.","temperature":0.5,"top_k":40,"top_p":0.9}"#,
    );
}

#[test]
fn titan_text_bodies() {
    check(
        TitanText,
        r#"{"inputText":"Hi","textGenerationConfig":{"maxTokenCount":100}}"#,
        r#"{"inputText":"Be brief.\nUser: Hi\nBot:  Hello!\nUser: Name?\nBot:","textGenerationConfig":{"maxTokenCount":300,"stopSequences":["END"],"temperature":0.5,"topP":0.9}}"#,
        r#"{"inputText":"Be brief.\nUser: Hi\nBot:  Hello!\nUser: Name?\nBot:","textGenerationConfig":{"maxTokenCount":300,"stopSequences":["END"],"temperature":0.5,"topP":0.9}}"#,
    );
}

#[test]
fn nova_bodies() {
    check(
        Nova,
        r#"{"inferenceConfig":{"max_new_tokens":100},"messages":[{"content":[{"text":"Hi"}],"role":"user"}]}"#,
        r#"{"inferenceConfig":{"max_new_tokens":300,"stopSequences":["END"],"temperature":0.5,"top_k":40,"top_p":0.9},"messages":[{"content":[{"text":"Hi"}],"role":"user"},{"content":[{"text":" Hello!"}],"role":"assistant"},{"content":[{"text":"Name?"}],"role":"user"}],"system":[{"text":"Be brief."}]}"#,
        r#"{"inferenceConfig":{"max_new_tokens":300,"stopSequences":["END"],"temperature":0.5,"top_k":40,"top_p":0.9},"messages":[{"content":[{"text":"Hi"}],"role":"user"},{"content":[{"text":" Hello!"}],"role":"assistant"},{"content":[{"text":"Name?"}],"role":"user"}],"system":[{"text":"Be brief."}]}"#,
    );
}

#[test]
fn llama_bodies() {
    check(
        Llama,
        r#"{"max_gen_len":100,"prompt":"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"}"#,
        r#"{"max_gen_len":300,"prompt":"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nName?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n","temperature":0.5,"top_p":0.9}"#,
        r#"{"max_gen_len":300,"prompt":"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nName?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n","temperature":0.5,"top_p":0.9}"#,
    );
}

#[test]
fn mistral_bodies() {
    check(
        Mistral,
        r#"{"max_tokens":100,"prompt":"<s>[INST] Hi [/INST]"}"#,
        r#"{"max_tokens":300,"prompt":"<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Name? [/INST]","stop":["END"],"temperature":0.5,"top_k":40,"top_p":0.9}"#,
        r#"{"max_tokens":300,"prompt":"<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Name? [/INST]","stop":["END"],"temperature":0.5,"top_k":40,"top_p":0.9}"#,
    );
}

#[test]
fn mistral_chat_bodies() {
    check(
        MistralChat,
        r#"{"max_tokens":100,"messages":[{"content":"Hi","role":"user"}]}"#,
        r#"{"max_tokens":300,"messages":[{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop":["END"],"temperature":0.5,"top_p":0.9}"#,
        r#"{"max_tokens":300,"messages":[{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop":["END"],"temperature":0.5,"top_p":0.9}"#,
    );
}

#[test]
fn cohere_command_bodies() {
    check(
        CohereCommand,
        r#"{"max_tokens":100,"prompt":"Hi","stream":true}"#,
        r#"{"k":40,"max_tokens":300,"p":0.9,"prompt":"Be brief.\nUser: Hi\nChatbot:  Hello!\nUser: Name?\nChatbot:","stop_sequences":["END"],"stream":true,"temperature":0.5}"#,
        r#"{"k":40,"max_tokens":300,"p":0.9,"prompt":"Be brief.\nUser: Hi\nChatbot:  Hello!\nUser: Name?\nChatbot:","stop_sequences":["END"],"temperature":0.5}"#,
    );
}

#[test]
fn cohere_command_r_bodies() {
    check(
        CohereCommandR,
        r#"{"max_tokens":100,"message":"Hi"}"#,
        r#"{"chat_history":[{"message":"Hi","role":"USER"},{"message":" Hello!","role":"CHATBOT"}],"k":40,"max_tokens":300,"message":"Name?","p":0.9,"preamble":"Be brief.","stop_sequences":["END"],"temperature":0.5}"#,
        r#"{"chat_history":[{"message":"Hi","role":"USER"},{"message":" Hello!","role":"CHATBOT"}],"k":40,"max_tokens":300,"message":"Name?","p":0.9,"preamble":"Be brief.","stop_sequences":["END"],"temperature":0.5}"#,
    );
}

#[test]
fn jamba_bodies() {
    check(
        Jamba,
        r#"{"max_tokens":100,"messages":[{"content":"Hi","role":"user"}]}"#,
        r#"{"max_tokens":300,"messages":[{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop":["END"],"temperature":0.5,"top_p":0.9}"#,
        r#"{"max_tokens":300,"messages":[{"content":"Be brief.","role":"system"},{"content":"Hi","role":"user"},{"content":" Hello!","role":"assistant"},{"content":"Name?","role":"user"}],"stop":["END"],"temperature":0.5,"top_p":0.9}"#,
    );
}

/// The top-k names and default sampling the playground showed before they moved here.
#[test]
fn top_k_names_and_sampling_defaults() {
    let cases = [
        (ClaudeText, Some("top_k"), "1", "0.999"),
        (ClaudeMessages, Some("top_k"), "1", "0.999"),
        (TitanText, None, "0.7", "0.9"),
        (Nova, Some("top_k"), "0.7", "0.9"),
        (Llama, None, "0.5", "0.9"),
        (Mistral, Some("top_k"), "0.5", "0.9"),
        (MistralChat, None, "0.5", "0.9"),
        (CohereCommand, Some("k"), "0.9", "0.75"),
        (CohereCommandR, Some("k"), "0.9", "0.75"),
        (Jamba, None, "1", "1"),
    ];
    for (family, top_k, temperature, top_p) in cases {
        assert_eq!(family.top_k_parameter(), top_k, "{family}");
        assert_eq!(
            family.sampling_defaults(),
            Some(SamplingDefaults { temperature, top_p }),
            "{family}"
        );
        for text in [temperature, top_p] {
            let n: f64 = text.parse().unwrap();
            assert!((0.0..=1.0).contains(&n), "{family}: {text}");
        }
    }
    assert_eq!(Unknown.top_k_parameter(), None);
    assert_eq!(Unknown.sampling_defaults(), None);
    assert_eq!(Unknown.stream_text_path(), None);
}

#[test]
fn additional_fields_are_added_last_and_override() {
    let mut input = lone();
    input.additional_model_request_fields = Some(
        json!({"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048})
            .as_object()
            .unwrap()
            .clone(),
    );
    let body = ClaudeMessages.request_body(&input, true).unwrap();
    assert_eq!(body["thinking"]["budget_tokens"], 1024);
    assert_eq!(body["max_tokens"], 2048);
}

#[test]
fn system_text_blocks_are_joined_and_a_blank_system_is_none() {
    let mut input = lone();
    input.system = vec![
        SystemContentBlock::Text("One.".into()),
        SystemContentBlock::Text("Two.".into()),
    ];
    let body = ClaudeMessages.request_body(&input, true).unwrap();
    assert_eq!(body["system"], "One.\nTwo.");
    input.system = vec![SystemContentBlock::Text("  ".into())];
    let body = ClaudeMessages.request_body(&input, true).unwrap();
    assert!(body.get("system").is_none());
    // And Titan then sends the lone prompt as is.
    assert_eq!(
        TitanText.request_body(&input, true).unwrap()["inputText"],
        "Hi"
    );
}

#[test]
fn inputs_without_a_native_body_are_errors_that_say_what_to_do() {
    let expect = |family: ModelFamily, input: &ChatInput, says: &str| match family
        .request_body(input, true)
        .as_ref()
        .map_err(Error::kind)
    {
        Err(ErrorKind::Input(m)) => assert!(m.contains(says), "{m:?} lacks {says:?}"),
        other => panic!("{family}: {other:?}"),
    };
    expect(Unknown, &lone(), "known model family");
    let mut empty = lone();
    empty.messages.clear();
    expect(Nova, &empty, "at least one");
    let mut role = lone();
    role.messages[0].role = "system".into();
    expect(Llama, &role, "\"user\" or \"assistant\"");
    let mut image = lone();
    image.messages[0].content.push(ContentBlock::Other(
        json!({"image": {}}).as_object().unwrap().clone(),
    ));
    expect(Jamba, &image, "Converse");
    let mut system = lone();
    system.system = vec![SystemContentBlock::Other(
        json!({"cachePoint": {"type": "default"}})
            .as_object()
            .unwrap()
            .clone(),
    )];
    expect(Mistral, &system, "text only");
    let mut no_cap = lone();
    no_cap.inference_config.max_tokens = None;
    expect(ClaudeText, &no_cap, "maxTokens is required");
    expect(ClaudeMessages, &no_cap, "maxTokens is required");
    // Families whose bodies need no cap leave it to the model.
    assert!(Llama
        .request_body(&no_cap, true)
        .unwrap()
        .get("max_gen_len")
        .is_none());
}

#[test]
fn chat_input_reads_converse_json() {
    let input = ChatInput::from_json(
        br#"{"messages": [{"role": "user", "content": [{"text": "Hi"}, {"image": {}}]}],
             "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
             "inferenceConfig": {"maxTokens": 10, "temperature": 0.2, "topP": 0.8, "topK": 5,
                                 "stopSequences": ["x"]},
             "additionalModelRequestFields": {"a": 1}}"#,
    )
    .unwrap();
    assert_eq!(
        input.messages[0].content,
        [
            ContentBlock::Text("Hi".into()),
            ContentBlock::Other(json!({"image": {}}).as_object().unwrap().clone())
        ]
    );
    assert_eq!(
        input.system[0],
        SystemContentBlock::Text("Be brief.".into())
    );
    assert!(matches!(input.system[1], SystemContentBlock::Other(_)));
    assert_eq!(
        input.inference_config,
        ChatInferenceConfig {
            max_tokens: Some(10),
            temperature: Some(0.2),
            top_p: Some(0.8),
            top_k: Some(5),
            stop_sequences: vec!["x".into()],
        }
    );
    assert_eq!(input.additional_model_request_fields.unwrap()["a"], 1);
    // `null` is absent, as `undefined` is in JavaScript.
    let input = ChatInput::from_json(
        br#"{"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "system": null,
             "inferenceConfig": {"maxTokens": null}}"#,
    )
    .unwrap();
    assert_eq!(
        input,
        ChatInput {
            messages: vec![Message::user("Hi")],
            ..Default::default()
        }
    );
}

#[test]
fn chat_input_json_errors_name_the_field() {
    let cases: [(&[u8], &str); 11] = [
        (b"{", "not JSON"),
        (b"[]", "the chat must be an object"),
        (br#"{"prompt": "Hi"}"#, "unknown field \"prompt\""),
        (br#"{"messages": {}}"#, "messages must be an array"),
        (br#"{"messages": [1]}"#, "messages[0] must be an object"),
        (br#"{"messages": [{"content": []}]}"#, "messages[0].role"),
        (
            br#"{"messages": [{"role": "user", "content": "Hi"}]}"#,
            "messages[0].content must be an array",
        ),
        (
            br#"{"inferenceConfig": {"maxTokens": -1}}"#,
            "inferenceConfig.maxTokens must be a whole number",
        ),
        (
            br#"{"inferenceConfig": {"topK": 4294967296}}"#,
            "inferenceConfig.topK must be a whole number",
        ),
        (
            br#"{"inferenceConfig": {"topP": "high"}}"#,
            "inferenceConfig.topP must be a number",
        ),
        (
            br#"{"inferenceConfig": {"stopSequences": [1]}}"#,
            "inferenceConfig.stopSequences must be strings",
        ),
    ];
    for (json, says) in cases {
        match ChatInput::from_json(json).as_ref().map_err(Error::kind) {
            Err(ErrorKind::Input(m)) => assert!(m.contains(says), "{m:?} lacks {says:?}"),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(json)),
        }
    }
    let e = ChatInput::from_json(br#"{"inferenceConfig": {"maxTokenz": 1}}"#).unwrap_err();
    assert!(
        e.to_string()
            .contains("inferenceConfig.maxTokenz is unknown"),
        "{e}"
    );
}

#[test]
fn stream_text_paths() {
    use PathStep::*;
    assert_eq!(
        ClaudeText.stream_text_path(),
        Some(&[OptionalKey("completion")][..])
    );
    assert_eq!(
        Jamba.stream_text_path(),
        Some(
            &[
                Key("choices"),
                Index(0),
                Key("delta"),
                OptionalKey("content")
            ][..]
        )
    );
}

#[test]
fn claude_messages_carries_images_and_documents_and_other_families_refuse_them() {
    use crate::bedrock::media::{content_block, media_type};
    let file = |name: &str, bytes: &[u8]| {
        content_block(
            media_type(name, "").unwrap(),
            &crate::bedrock::media::document_name(name),
            bytes.to_vec(),
        )
    };
    let mut input = chat();
    let first = &mut input.messages[0].content;
    first.insert(0, file("cat.png", &[0x89, b'P']));
    first.insert(1, file("r.pdf", b"%PDF"));
    first.insert(2, file("notes.md", "# Hé".as_bytes()));
    let body = ClaudeMessages.request_body(&input, true).unwrap();
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVA="}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERg=="}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "# Hé"}},
                {"type": "text", "text": "Hi"},
            ]},
            {"role": "assistant", "content": " Hello!"},
            {"role": "user", "content": "Name?"},
        ])
    );
    let expect_input = |family: ModelFamily, input: &ChatInput, says: &str| match family
        .request_body(input, true)
        .as_ref()
        .map_err(Error::kind)
    {
        Err(ErrorKind::Input(m)) => assert!(m.contains(says), "{family}: {m:?} lacks {says:?}"),
        other => panic!("{family}: {other:?}"),
    };
    for family in [
        ClaudeText,
        TitanText,
        Nova,
        Llama,
        Mistral,
        MistralChat,
        CohereCommand,
        CohereCommandR,
        Jamba,
    ] {
        expect_input(family, &input, "send it with Converse");
    }
    // Word files and text that is not UTF-8 only go through Converse.
    let mut word = lone();
    word.messages[0].content.push(file("plan.docx", b"PK"));
    expect_input(ClaudeMessages, &word, "\"plan\" (PDF and text only)");
    let mut latin1 = lone();
    latin1.messages[0].content.push(file("old.txt", &[0xe9]));
    expect_input(ClaudeMessages, &latin1, "not UTF-8");
    let mut video = lone();
    video.messages[0].content.push(file("clip.mp4", b"\0"));
    expect_input(ClaudeMessages, &video, "Converse");
}
