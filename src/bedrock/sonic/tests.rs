use serde_json::{json, Value};

use super::*;

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("an input event is JSON")
}

fn parse_all(events: &[Vec<u8>]) -> Vec<Value> {
    events.iter().map(|e| parse(e)).collect()
}

// Input, event by event.

#[test]
fn every_input_event_has_nova_sonics_shape() {
    let tools = Tools::from_json(
        br#"[{"toolSpec":{"name":"w","inputSchema":{"json":{"type":"object"}}}}]"#,
    )
    .unwrap();
    let cases: Vec<(Input, Value)> = vec![
        (
            Input::SessionStart {
                max_tokens: 200,
                top_p: 0.5,
                temperature: 1.0,
            },
            json!({"event":{"sessionStart":{"inferenceConfiguration":{"maxTokens":200,"topP":0.5,"temperature":1.0}}}}),
        ),
        (
            Input::PromptStart {
                prompt: "p",
                voice_id: "tiffany",
                sample_rate: 24_000,
                tools: None,
            },
            json!({"event":{"promptStart":{
                "promptName":"p",
                "textOutputConfiguration":{"mediaType":"text/plain"},
                "audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":24000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64","voiceId":"tiffany"},
            }}}),
        ),
        (
            Input::PromptStart {
                prompt: "p",
                voice_id: "amy",
                sample_rate: 16_000,
                tools: Some(&tools),
            },
            json!({"event":{"promptStart":{
                "promptName":"p",
                "textOutputConfiguration":{"mediaType":"text/plain"},
                "audioOutputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64","voiceId":"amy"},
                "toolUseOutputConfiguration":{"mediaType":"application/json"},
                "toolConfiguration":{"tools":[{"toolSpec":{"name":"w","inputSchema":{"json":"{\"type\":\"object\"}"}}}]},
            }}}),
        ),
        (
            Input::ContentStart {
                prompt: "p",
                content: "c",
                kind: Content::Text {
                    role: Role::System,
                    interactive: false,
                },
            },
            json!({"event":{"contentStart":{"promptName":"p","contentName":"c","type":"TEXT","role":"SYSTEM","interactive":false,"textInputConfiguration":{"mediaType":"text/plain"}}}}),
        ),
        (
            Input::ContentStart {
                prompt: "p",
                content: "c",
                kind: Content::Audio {
                    sample_rate: 16_000,
                },
            },
            json!({"event":{"contentStart":{"promptName":"p","contentName":"c","type":"AUDIO","role":"USER","interactive":true,
                "audioInputConfiguration":{"mediaType":"audio/lpcm","sampleRateHertz":16000,"sampleSizeBits":16,"channelCount":1,"audioType":"SPEECH","encoding":"base64"}}}}),
        ),
        (
            Input::ContentStart {
                prompt: "p",
                content: "c",
                kind: Content::ToolResult {
                    tool_use_id: "t\"1",
                },
            },
            json!({"event":{"contentStart":{"promptName":"p","contentName":"c","type":"TOOL","role":"TOOL","interactive":false,
                "toolResultInputConfiguration":{"toolUseId":"t\"1","type":"TEXT","textInputConfiguration":{"mediaType":"text/plain"}}}}}),
        ),
        (
            Input::TextInput {
                prompt: "p",
                content: "c",
                text: "line\n\"quoted\" \u{1} é",
            },
            json!({"event":{"textInput":{"promptName":"p","contentName":"c","content":"line\n\"quoted\" \u{1} é"}}}),
        ),
        (
            Input::AudioInput {
                prompt: "p",
                content: "c",
                pcm: &[1, 0, 2, 0, 255],
            },
            json!({"event":{"audioInput":{"promptName":"p","contentName":"c","content":"AQACAP8="}}}),
        ),
        (
            Input::ToolResult {
                prompt: "p",
                content: "c",
                result: "{\"sunny\":true}",
            },
            json!({"event":{"toolResult":{"promptName":"p","contentName":"c","content":"{\"sunny\":true}"}}}),
        ),
        (
            Input::ContentEnd {
                prompt: "p",
                content: "c",
            },
            json!({"event":{"contentEnd":{"promptName":"p","contentName":"c"}}}),
        ),
        (
            Input::PromptEnd { prompt: "p" },
            json!({"event":{"promptEnd":{"promptName":"p"}}}),
        ),
        (Input::SessionEnd, json!({"event":{"sessionEnd":{}}})),
    ];
    for (input, expected) in cases {
        let bytes = input.to_json();
        assert_eq!(
            parse(&bytes),
            expected,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        assert_eq!(
            expected["event"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap(),
            input.name()
        );
    }
    // Names are escaped too.
    let odd = Input::PromptEnd {
        prompt: "a\"b\\c\u{7f}\u{0}",
    }
    .to_json();
    assert_eq!(
        parse(&odd)["event"]["promptEnd"]["promptName"],
        "a\"b\\c\u{7f}\u{0}"
    );
}

#[test]
fn a_session_sends_its_events_in_order_with_numbered_contents() {
    let mut s = Session::new("prompt-x", 16_000).unwrap();
    let config = SessionConfig {
        max_tokens: Some(200),
        temperature: Some(0.5),
        voice_id: "tiffany",
        system_prompt: "Be brief.",
        ..SessionConfig::default()
    };
    let start = parse_all(&s.start(&config).unwrap());
    assert_eq!(start.len(), 5);
    assert_eq!(
        start[0]["event"]["sessionStart"]["inferenceConfiguration"],
        json!({"maxTokens": 200, "temperature": 0.5, "topP": 0.9})
    );
    let ps = &start[1]["event"]["promptStart"];
    assert_eq!(ps["promptName"], "prompt-x");
    assert_eq!(ps["audioOutputConfiguration"]["voiceId"], "tiffany");
    assert!(ps.get("toolConfiguration").is_none());
    assert_eq!(start[2]["event"]["contentStart"]["role"], "SYSTEM");
    assert_eq!(
        start[2]["event"]["contentStart"]["contentName"],
        "content-1"
    );
    assert_eq!(start[3]["event"]["textInput"]["content"], "Be brief.");
    assert_eq!(start[4]["event"]["contentEnd"]["contentName"], "content-1");

    // The microphone: opened once, then audio only; ended, a new one opens.
    let first = parse_all(&s.audio(&[1, 0, 2, 0]).unwrap());
    assert_eq!(first[0]["event"]["contentStart"]["type"], "AUDIO");
    assert_eq!(
        first[0]["event"]["contentStart"]["audioInputConfiguration"]["sampleRateHertz"],
        16_000
    );
    assert_eq!(first[1]["event"]["audioInput"]["contentName"], "content-2");
    assert_eq!(s.audio(&[0, 0]).unwrap().len(), 1);
    let end = parse_all(&s.end_audio());
    assert_eq!(
        end,
        [json!({"event":{"contentEnd":{"promptName":"prompt-x","contentName":"content-2"}}})]
    );
    assert!(s.end_audio().is_empty());
    assert_eq!(
        parse_all(&s.audio(&[]).unwrap())[1]["event"]["audioInput"]["contentName"],
        "content-3"
    );

    let text = parse_all(&s.text(Role::User, "hi", true).unwrap());
    assert_eq!(text[0]["event"]["contentStart"]["interactive"], true);
    assert_eq!(
        text[1]["event"]["textInput"],
        json!({"promptName":"prompt-x","contentName":"content-4","content":"hi"})
    );
    let tool = parse_all(&s.tool_result("t1", "{}").unwrap());
    assert_eq!(
        tool[0]["event"]["contentStart"]["toolResultInputConfiguration"]["toolUseId"],
        "t1"
    );
    assert_eq!(tool[1]["event"]["toolResult"]["contentName"], "content-5");

    // The end closes the open microphone content first, once.
    let end = parse_all(&s.end());
    assert_eq!(end[0]["event"]["contentEnd"]["contentName"], "content-3");
    assert_eq!(
        end[1],
        json!({"event":{"promptEnd":{"promptName":"prompt-x"}}})
    );
    assert_eq!(end[2], json!({"event":{"sessionEnd":{}}}));
    assert!(s.is_ended());
    assert!(s.end().is_empty());
    assert_eq!(s.audio(&[0, 0]).unwrap_err(), SonicError::Ended);
    assert_eq!(
        s.text(Role::User, "x", true).unwrap_err(),
        SonicError::Ended
    );
    assert_eq!(s.tool_result("t", "x").unwrap_err(), SonicError::Ended);
    assert_eq!(
        s.start(&SessionConfig::default()).unwrap_err(),
        SonicError::Ended
    );
    assert_eq!(Error::from(SonicError::Ended).name(), "ValidationError");
}

#[test]
fn defaults_and_refused_options() {
    let mut s = Session::new("p", 16_000).unwrap();
    let bare = parse_all(
        &s.start(&SessionConfig {
            system_prompt: " \n",
            ..Default::default()
        })
        .unwrap(),
    );
    assert_eq!(bare.len(), 2);
    assert_eq!(
        bare[0]["event"]["sessionStart"]["inferenceConfiguration"],
        json!({"maxTokens": 1024, "temperature": 0.7, "topP": 0.9})
    );
    assert_eq!(
        bare[1]["event"]["promptStart"]["audioOutputConfiguration"]["voiceId"],
        "matthew"
    );
    assert_eq!(
        bare[1]["event"]["promptStart"]["audioOutputConfiguration"]["sampleRateHertz"],
        24_000
    );

    for rate in [0, 44_100, u32::MAX] {
        assert!(matches!(
            Session::new("p", rate),
            Err(SonicError::Option {
                name: "inputSampleRate",
                ..
            })
        ));
        let config = SessionConfig {
            output_sample_rate: rate,
            ..Default::default()
        };
        assert!(matches!(
            s.clone().start(&config),
            Err(SonicError::Option {
                name: "outputSampleRate",
                ..
            })
        ));
    }
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let config = SessionConfig {
            top_p: Some(bad),
            ..Default::default()
        };
        assert!(matches!(
            s.clone().start(&config),
            Err(SonicError::Option { name: "topP", .. })
        ));
        let config = SessionConfig {
            temperature: Some(bad),
            ..Default::default()
        };
        let e = s.clone().start(&config).unwrap_err();
        assert_eq!(e.to_string(), "temperature must be a finite number");
        assert_eq!(Error::from(e).name(), "ValidationError");
    }
    assert_eq!(Role::from_name("ASSISTANT"), Ok(Role::Assistant));
    assert!(Role::from_name("user").is_err());
}

#[test]
fn tools_are_written_as_nova_sonic_takes_them() {
    // A bare spec, a JSON-text schema and no schema at all.
    let t = Tools::from_json(
        br#"[{"name":"a","description":"d"},{"toolSpec":{"name":"b","inputSchema":{"json":"{\"type\":\"string\"}"}}}]"#,
    )
    .unwrap();
    let event = parse(
        &Input::PromptStart {
            prompt: "p",
            voice_id: "v",
            sample_rate: 24_000,
            tools: Some(&t),
        }
        .to_json(),
    );
    assert_eq!(
        event["event"]["promptStart"]["toolConfiguration"]["tools"],
        json!([
            {"toolSpec":{"name":"a","description":"d","inputSchema":{"json":"{\"type\":\"object\",\"properties\":{}}"}}},
            {"toolSpec":{"name":"b","inputSchema":{"json":"{\"type\":\"string\"}"}}},
        ])
    );
    // An empty list: no tool configuration.
    let none = Tools::from_json(b"[]").unwrap();
    let event = parse(
        &Input::PromptStart {
            prompt: "p",
            voice_id: "v",
            sample_rate: 24_000,
            tools: Some(&none),
        }
        .to_json(),
    );
    assert!(event["event"]["promptStart"]
        .get("toolConfiguration")
        .is_none());
    for bad in [
        &b"{"[..],
        b"{}",
        b"[1]",
        b"[{\"toolSpec\":{}}]",
        b"[{\"toolSpec\":{\"name\":3}}]",
        b"[null]",
    ] {
        let e = Tools::from_json(bad).unwrap_err();
        assert!(matches!(e, SonicError::Tools(_)), "{e:?}");
        assert_eq!(Error::from(e).name(), "ValidationError");
    }
}

// Output, event by event.

/// Parses and reads `bytes` with `r`; the event is leaked so that the output can outlive it.
fn read_with(r: &mut OutputReader, bytes: &[u8]) -> Result<Output<'static>, SonicError> {
    let event = Box::leak(Box::new(OutputEvent::parse(bytes)?));
    r.read(event)
}

fn read(v: Value) -> Result<Output<'static>, SonicError> {
    read_with(&mut OutputReader::new(), v.to_string().as_bytes())
}

#[test]
fn every_output_event_is_read() {
    assert_eq!(
        read(json!({"event":{"textOutput":{"contentId":"b","role":"USER","content":"hi"}}})),
        Ok(Output::Transcript {
            role: "USER",
            text: "hi",
            final_text: true,
            content_id: Some("b")
        })
    );
    for mark in ["{ \"interrupted\" : true }", "{\"interrupted\":true}"] {
        assert_eq!(
            read(
                json!({"event":{"textOutput":{"role":"ASSISTANT","content":mark,"contentId":"x"}}})
            ),
            Ok(Output::Interrupted {
                content_id: Some("x")
            })
        );
    }
    // Not the mark: text.
    for text in [
        "{\"interrupted\":false}",
        "{\"interrupted\":true,\"x\":1}",
        "{",
        "interrupted",
    ] {
        assert!(
            matches!(
                read(json!({"event":{"textOutput":{"content":text}}})),
                Ok(Output::Transcript { .. })
            ),
            "{text}"
        );
    }
    assert_eq!(
        read(json!({"event":{"audioOutput":{"content":"AQACAA==","contentId":"a"}}})),
        Ok(Output::Audio {
            pcm: vec![1, 0, 2, 0],
            content_id: Some("a")
        })
    );
    assert_eq!(
        read(
            json!({"event":{"toolUse":{"toolUseId":"t","toolName":"w","content":"{\"q\":1}","contentId":"c"}}})
        ),
        Ok(Output::ToolUse {
            tool_use_id: "t",
            tool_name: "w",
            input: "{\"q\":1}",
            content_id: Some("c")
        })
    );
    assert_eq!(
        read(
            json!({"event":{"usageEvent":{"totalInputTokens":3,"totalOutputTokens":4,"totalTokens":7,"details":{"delta":{"input":{"speechTokens":1}}}}}})
        ),
        Ok(Output::Usage {
            input_tokens: 3,
            output_tokens: 4,
            total_tokens: 7,
            details: Some(&json!({"delta":{"input":{"speechTokens":1}}}))
        })
    );
    assert_eq!(
        read(json!({"event":{"usageEvent":{}}})),
        Ok(Output::Usage {
            input_tokens: 0,
            output_tokens: 0,
            total_tokens: 0,
            details: None
        })
    );
    assert_eq!(
        read(json!({"event":{"completionEnd":{"stopReason":"END_TURN","completionId":"x"}}})),
        Ok(Output::CompletionEnd {
            stop_reason: "END_TURN"
        })
    );
    assert_eq!(
        read(json!({"event":{"contentStart":{"contentId":"a","type":"AUDIO","role":"ASSISTANT"}}})),
        Ok(Output::ContentStart {
            content_id: Some("a"),
            kind: "AUDIO",
            role: "ASSISTANT",
            speculative: false,
            body: &json!({"contentId":"a","type":"AUDIO","role":"ASSISTANT"}),
        })
    );
    assert_eq!(
        read(
            json!({"event":{"contentEnd":{"contentId":"a","type":"TEXT","stopReason":"INTERRUPTED"}}})
        ),
        Ok(Output::ContentEnd {
            content_id: Some("a"),
            kind: "TEXT",
            stop_reason: "INTERRUPTED",
            body: &json!({"contentId":"a","type":"TEXT","stopReason":"INTERRUPTED"}),
        })
    );
    assert_eq!(
        read(json!({"event":{"completionStart":{"completionId":"c"}}})),
        Ok(Output::Other {
            name: "completionStart",
            body: &json!({"completionId":"c"})
        })
    );
    assert_eq!(
        read(json!({"event":{"somethingNew":{}}})),
        Ok(Output::Other {
            name: "somethingNew",
            body: &json!({})
        })
    );
}

#[test]
fn speculative_text_is_not_final_and_is_forgotten_at_its_end() {
    let mut r = OutputReader::new();
    let mut ev = |v: Value| read_with(&mut r, v.to_string().as_bytes()).unwrap();
    let stage = |id: &str, s: &str| json!({"event":{"contentStart":{"contentId":id,"type":"TEXT","additionalModelFields":format!("{{\"generationStage\":\"{s}\"}}")}}});
    let text = |id: &str| json!({"event":{"textOutput":{"contentId":id,"role":"ASSISTANT","content":"x"}}});
    assert!(matches!(
        ev(stage("s", "SPECULATIVE")),
        Output::ContentStart {
            speculative: true,
            ..
        }
    ));
    assert!(matches!(
        ev(stage("f", "FINAL")),
        Output::ContentStart {
            speculative: false,
            ..
        }
    ));
    assert!(matches!(
        ev(text("s")),
        Output::Transcript {
            final_text: false,
            ..
        }
    ));
    assert!(matches!(
        ev(text("f")),
        Output::Transcript {
            final_text: true,
            ..
        }
    ));
    assert!(matches!(
        ev(json!({"event":{"textOutput":{"content":"x"}}})),
        Output::Transcript {
            final_text: true,
            ..
        }
    ));
    ev(json!({"event":{"contentEnd":{"contentId":"s"}}}));
    assert!(matches!(
        ev(text("s")),
        Output::Transcript {
            final_text: true,
            ..
        }
    ));
    // Fields that are not JSON, or not an object: not speculative.
    for fields in ["nope", "[1]", "{\"generationStage\":1}"] {
        assert!(matches!(
            ev(json!({"event":{"contentStart":{"contentId":"q","additionalModelFields":fields}}})),
            Output::ContentStart {
                speculative: false,
                ..
            }
        ));
    }
}

#[test]
fn the_remembered_contents_are_bounded() {
    let mut r = OutputReader::new();
    for i in 0..10_000 {
        let e = json!({"event":{"contentStart":{"contentId":format!("c{i}"),"additionalModelFields":"{\"generationStage\":\"SPECULATIVE\"}"}}});
        read_with(&mut r, e.to_string().as_bytes()).unwrap();
    }
    assert_eq!(r.speculative.len(), MAX_TRACKED_CONTENTS);
    let text =
        |id: &str| json!({"event":{"textOutput":{"contentId":id,"content":"x"}}}).to_string();
    // The newest are remembered, the oldest forgotten.
    assert!(matches!(
        read_with(&mut r, text("c9999").as_bytes()),
        Ok(Output::Transcript {
            final_text: false,
            ..
        })
    ));
    assert!(matches!(
        read_with(&mut r, text("c0").as_bytes()),
        Ok(Output::Transcript {
            final_text: true,
            ..
        })
    ));
}

#[test]
fn hostile_and_malformed_output_gets_typed_errors() {
    let mut r = OutputReader::new();
    let field = |event, field| {
        move |e: Result<Output, SonicError>| {
            assert!(
                matches!(e, Err(SonicError::Field { event: ev, field: f, .. }) if ev == event && f == field),
                "{e:?}"
            );
        }
    };
    // Not JSON, not an event.
    for bytes in [
        &b""[..],
        b"not json",
        b"{\"event\":",
        b"\xff\xfe",
        b"[]",
        b"null",
        b"1",
    ] {
        let e = read_with(&mut r, bytes).unwrap_err();
        assert!(
            matches!(e, SonicError::NotJson(_) | SonicError::NotAnEvent),
            "{e:?}"
        );
        assert_eq!(Error::from(e).name(), "InvalidResponseError");
    }
    for v in [
        json!({}),
        json!({"event":{}}),
        json!({"event":[]}),
        json!({"event":"textOutput"}),
        json!({"event":{"a":{},"b":{}}}),
        json!({"event":{"textOutput":"hi"}}),
        json!({"event":{"textOutput":null}}),
        json!({"event":{"textOutput":{}},"more":1}),
    ] {
        assert_eq!(
            read_with(&mut r, v.to_string().as_bytes()),
            Err(SonicError::NotAnEvent),
            "{v}"
        );
    }
    // Members of the wrong type.
    field("textOutput", "content")(read(json!({"event":{"textOutput":{"content":1}}})));
    field("textOutput", "role")(read(
        json!({"event":{"textOutput":{"content":"x","role":[]}}}),
    ));
    field("textOutput", "contentId")(read(
        json!({"event":{"textOutput":{"content":"x","contentId":{}}}}),
    ));
    field("audioOutput", "content")(read(
        json!({"event":{"audioOutput":{"content":"!!not base64"}}}),
    ));
    field("audioOutput", "content")(read(json!({"event":{"audioOutput":{"content":true}}})));
    field("toolUse", "toolUseId")(read(
        json!({"event":{"toolUse":{"toolName":"w","content":"{}"}}}),
    ));
    field("toolUse", "toolName")(read(
        json!({"event":{"toolUse":{"toolUseId":"t","toolName":5}}}),
    ));
    field("usageEvent", "totalTokens")(read(json!({"event":{"usageEvent":{"totalTokens":-1}}})));
    field("usageEvent", "totalInputTokens")(read(
        json!({"event":{"usageEvent":{"totalInputTokens":1.5}}}),
    ));
    field("usageEvent", "totalOutputTokens")(read(
        json!({"event":{"usageEvent":{"totalOutputTokens":"3"}}}),
    ));
    field("usageEvent", "details")(read(json!({"event":{"usageEvent":{"details":"x"}}})));
    field("completionEnd", "stopReason")(read(json!({"event":{"completionEnd":{"stopReason":0}}})));
    field("contentStart", "additionalModelFields")(read(
        json!({"event":{"contentStart":{"additionalModelFields":{}}}}),
    ));
    field("contentEnd", "type")(read(json!({"event":{"contentEnd":{"type":1}}})));
    // Ids over the bound.
    let long = "x".repeat(MAX_ID_LEN + 1);
    field("contentStart", "contentId")(read(json!({"event":{"contentStart":{"contentId":long}}})));
    field("toolUse", "toolUseId")(read(json!({"event":{"toolUse":{"toolUseId":long}}})));
    assert!(read(json!({"event":{"contentStart":{"contentId":"x".repeat(MAX_ID_LEN)}}})).is_ok());
    // Oversized: refused before it is parsed.
    let big = format!(
        "{{\"event\":{{\"textOutput\":{{\"content\":\"{}\"}}}}}}",
        "a".repeat(MAX_OUTPUT_EVENT_LEN)
    );
    let e = read_with(&mut r, big.as_bytes()).unwrap_err();
    assert_eq!(e, SonicError::TooLarge { len: big.len() });
    assert_eq!(Error::from(e).name(), "InvalidResponseError");
    // Deep nesting: the parser's recursion limit, an error.
    let deep = format!(
        "{{\"event\":{{\"x\":{{\"a\":{}1{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(matches!(
        read_with(&mut r, deep.as_bytes()),
        Err(SonicError::NotJson(_))
    ));
    // Invalid UTF-8 and lone surrogates read as JSON.parse reads them.
    assert_eq!(
        read_with(
            &mut r,
            b"{\"event\":{\"textOutput\":{\"content\":\"a\xffb\\ud800\"}}}"
        ),
        Ok(Output::Transcript {
            role: "",
            text: "a\u{fffd}b\u{fffd}",
            final_text: true,
            content_id: None
        })
    );
    // The reader still works after errors.
    assert!(matches!(
        read(json!({"event":{"completionEnd":{}}})),
        Ok(Output::CompletionEnd { .. })
    ));
}

#[test]
fn random_bytes_never_panic() {
    // A small deterministic generator: no dependency, the same inputs every run.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"event\"",
        b":",
        b",",
        b"\"textOutput\"",
        b"\"audioOutput\"",
        b"\"content\"",
        b"\"contentId\"",
        b"\"usageEvent\"",
        b"\"totalTokens\"",
        b"1",
        b"-1",
        b"1e400",
        b"\"AQ==\"",
        b"\"\\ud800\"",
        b"null",
        b"true",
        b"\xff",
        b"\"contentStart\"",
        b"\"additionalModelFields\"",
        b"\"{\\\"generationStage\\\":\\\"SPECULATIVE\\\"}\"",
    ];
    let mut r = OutputReader::new();
    for _ in 0..20_000 {
        let n = (next() % 24) as usize;
        let mut bytes = Vec::new();
        for _ in 0..n {
            bytes.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let _ = read_with(&mut r, &bytes);
    }
}

#[test]
fn what_the_emulator_answers_reads_back() {
    // Output events of the shapes the emulator (and Nova Sonic) send, in order.
    let ids = json!({"sessionId":"s","promptName":"p","completionId":"c"});
    let with = |extra: Value| {
        let mut m = ids.as_object().unwrap().clone();
        m.extend(extra.as_object().unwrap().clone());
        Value::Object(m)
    };
    let events = [
        json!({"event":{"completionStart":with(json!({}))}}),
        json!({"event":{"contentStart":with(json!({"contentId":"1","type":"TEXT","role":"ASSISTANT","additionalModelFields":"{\"generationStage\":\"SPECULATIVE\"}"}))}}),
        json!({"event":{"textOutput":with(json!({"contentId":"1","role":"ASSISTANT","content":"Hi."}))}}),
        json!({"event":{"contentEnd":with(json!({"contentId":"1","type":"TEXT","stopReason":"PARTIAL_TURN"}))}}),
        json!({"event":{"audioOutput":with(json!({"contentId":"2","content":"AAA="}))}}),
        json!({"event":{"contentStart":with(json!({"contentId":"3","type":"TEXT","role":"ASSISTANT","additionalModelFields":"{\"generationStage\":\"FINAL\"}"}))}}),
        json!({"event":{"textOutput":with(json!({"contentId":"3","role":"ASSISTANT","content":"Hi."}))}}),
        json!({"event":{"completionEnd":with(json!({"stopReason":"END_TURN"}))}}),
    ];
    let mut r = OutputReader::new();
    let out: Vec<Output> = events
        .iter()
        .map(|e| read_with(&mut r, e.to_string().as_bytes()).unwrap())
        .collect();
    assert!(matches!(&out[0], Output::Other { name, .. } if *name == "completionStart"));
    assert!(matches!(
        &out[2],
        Output::Transcript {
            final_text: false,
            ..
        }
    ));
    assert!(matches!(&out[4], Output::Audio { pcm, .. } if pcm == &[0, 0]));
    assert!(matches!(
        &out[6],
        Output::Transcript {
            final_text: true,
            ..
        }
    ));
    assert_eq!(
        out[7],
        Output::CompletionEnd {
            stop_reason: "END_TURN"
        }
    );
}
