use super::*;

fn tone(rate: f64, freq: f64, secs: f64, amp: f32) -> Vec<f32> {
    (0..(rate * secs) as usize)
        .map(|n| amp * (2.0 * std::f64::consts::PI * freq * n as f64 / rate).sin() as f32)
        .collect()
}

#[test]
fn nova_sonic_ids_are_speech_models() {
    for id in [
        "amazon.nova-sonic-v1:0",
        "amazon.nova-2-sonic-v1:0",
        "us.amazon.nova-sonic-v1:0",
        "emulator-fault:ws-close@3:amazon.nova-sonic-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-sonic-v1:0",
    ] {
        assert!(is_speech_model(id), "{id}");
    }
    for id in ["amazon.nova-lite-v1:0", "anthropic.claude-v2", ""] {
        assert!(!is_speech_model(id), "{id}");
    }
}

#[test]
fn resampling_48k_and_44k_gives_16k_samples_in_any_framing() {
    for rate in [48_000.0, 44_100.0, 16_000.0, 8_000.0] {
        let input = tone(rate, 440.0, 1.0, 0.5);
        let whole = Resampler::new(rate, 16_000.0).process(&input);
        // Within a couple of samples of 16,000 (the filter's and interpolation's edge).
        assert!(
            (whole.len() as i64 - 16_000).abs() <= 3,
            "{rate}: {}",
            whole.len()
        );
        // Frames of 128 (an AudioWorklet's) give the same samples.
        let mut r = Resampler::new(rate, 16_000.0);
        let framed: Vec<f32> = input.chunks(128).flat_map(|c| r.process(c)).collect();
        assert_eq!(framed.len(), whole.len(), "{rate}");
        for (a, b) in framed.iter().zip(&whole) {
            assert!((a - b).abs() < 1e-5);
        }
        // A 440 Hz tone keeps its level.
        let p = peak(&whole[100..]);
        assert!(p > 0.45 && p <= 0.5 + 1e-4, "{rate}: peak {p}");
    }
}

#[test]
fn the_low_pass_removes_what_16k_cannot_hold() {
    // 16 kHz at 48 kHz (it would alias to silence or worse): the moving average of 3
    // samples is one period, which cancels it; 12 kHz keeps a third.
    let mut r = Resampler::new(48_000.0, 16_000.0);
    let out = r.process(&tone(48_000.0, 16_000.0, 0.1, 1.0));
    assert!(peak(&out[10..]) < 0.01, "{}", peak(&out[10..]));
    let out = Resampler::new(48_000.0, 16_000.0).process(&tone(48_000.0, 12_000.0, 0.1, 1.0));
    assert!(peak(&out[10..]) < 0.34, "{}", peak(&out[10..]));
    // A step keeps its level.
    let out = Resampler::new(48_000.0, 16_000.0).process(&[0.5; 4800]);
    assert!(out.iter().all(|s| (s - 0.5).abs() < 1e-6));
}

#[test]
fn pcm16_clamps_and_round_trips() {
    assert_eq!(
        to_pcm16(&[0.0, 1.0, -1.0, 2.0, -2.0, f32::NAN, 0.5]),
        [0i16, 32767, -32767, 32767, -32767, 0, 16384]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        from_pcm16(&[0x00, 0x80, 0xff, 0x7f, 0x00]),
        [-1.0, 32767.0 / 32768.0]
    );
    let samples = [0.25f32, -0.75, 0.0];
    for (a, b) in from_pcm16(&to_pcm16(&samples)).iter().zip(samples) {
        assert!((a - b).abs() < 1.0 / 16384.0);
    }
}

#[test]
fn playback_schedules_back_to_back_and_barge_in_clears() {
    let mut p = Playback::default();
    assert!(!p.playing(0.0));
    assert_eq!(p.schedule(1.0, 0.2), 1.0 + LEAD_SECS);
    assert_eq!(p.schedule(1.1, 0.2), 1.0 + LEAD_SECS + 0.2);
    assert!(p.playing(1.3));
    assert!(!p.playing(1.5));
    // Late: starts now (plus the lead), never in the past.
    assert_eq!(p.schedule(5.0, 0.1), 5.0 + LEAD_SECS);
    assert!((p.scheduled_ms - 500.0).abs() < 1e-9);
    p.interrupt();
    assert!(!p.playing(5.1));
    assert_eq!(p.schedule(5.1, 0.1), 5.1 + LEAD_SECS);
    assert!((p.scheduled_ms - 600.0).abs() < 1e-9);
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn the_session_events_have_nova_sonics_shapes() {
    let mut s = Session::new("x");
    let inference = Inference {
        max_tokens: Some(200),
        temperature: Some(0.5),
        top_p: None,
    };
    let start: Vec<Value> = s
        .start(inference, "tiffany", "Be brief.")
        .iter()
        .map(|e| parse(e))
        .collect();
    assert_eq!(start.len(), 5);
    let config = &start[0]["event"]["sessionStart"]["inferenceConfiguration"];
    assert_eq!(
        *config,
        json!({"maxTokens": 200, "temperature": 0.5, "topP": 0.9})
    );
    let ps = &start[1]["event"]["promptStart"];
    assert_eq!(ps["promptName"], "prompt-x");
    assert_eq!(ps["audioOutputConfiguration"]["sampleRateHertz"], 24_000);
    assert_eq!(ps["audioOutputConfiguration"]["voiceId"], "tiffany");
    assert_eq!(ps["audioOutputConfiguration"]["mediaType"], "audio/lpcm");
    assert_eq!(start[2]["event"]["contentStart"]["role"], "SYSTEM");
    assert_eq!(start[3]["event"]["textInput"]["content"], "Be brief.");
    assert_eq!(start[4]["event"]["contentEnd"]["contentName"], "content-1");
    // No system prompt: no SYSTEM content.
    let bare = Session::new("y").start(Inference::default(), "matthew", " ");
    assert_eq!(bare.len(), 2);
    assert_eq!(
        parse(&bare[0])["event"]["sessionStart"]["inferenceConfiguration"],
        json!({"maxTokens": 1024, "temperature": 0.7, "topP": 0.9})
    );

    let first: Vec<Value> = s.audio(&[1, 0, 2, 0]).iter().map(|e| parse(e)).collect();
    assert_eq!(first.len(), 2);
    let cs = &first[0]["event"]["contentStart"];
    assert_eq!(
        (cs["type"].as_str(), cs["role"].as_str()),
        (Some("AUDIO"), Some("USER"))
    );
    assert_eq!(cs["audioInputConfiguration"]["sampleRateHertz"], 16_000);
    assert_eq!(cs["audioInputConfiguration"]["encoding"], "base64");
    assert_eq!(first[1]["event"]["audioInput"]["content"], "AQACAA==");
    assert_eq!(first[1]["event"]["audioInput"]["contentName"], "content-2");
    assert_eq!(s.audio(&[0, 0]).len(), 1);

    let end: Vec<Value> = s.end().iter().map(|e| parse(e)).collect();
    assert_eq!(end[0]["event"]["contentEnd"]["contentName"], "content-2");
    assert_eq!(end[1]["event"]["promptEnd"]["promptName"], "prompt-x");
    assert_eq!(end[2], json!({"event": {"sessionEnd": {}}}));
}

#[test]
fn output_events_are_read() {
    let ev = |v: Value| read_output(v.to_string().as_bytes());
    assert_eq!(
        ev(
            json!({"event":{"contentStart":{"contentId":"a","additionalModelFields":"{\"generationStage\":\"SPECULATIVE\"}"}}})
        ),
        Output::ContentStart {
            id: "a".into(),
            final_text: false
        }
    );
    assert_eq!(
        ev(
            json!({"event":{"contentStart":{"contentId":"b","additionalModelFields":"{\"generationStage\":\"FINAL\"}"}}})
        ),
        Output::ContentStart {
            id: "b".into(),
            final_text: true
        }
    );
    assert_eq!(
        ev(json!({"event":{"textOutput":{"contentId":"b","role":"USER","content":"hi"}}})),
        Output::Text {
            role: "USER".into(),
            text: "hi".into(),
            content: "b".into()
        }
    );
    assert_eq!(
        ev(
            json!({"event":{"textOutput":{"role":"ASSISTANT","content":"{ \"interrupted\" : true }"}}})
        ),
        Output::Interrupted
    );
    assert_eq!(
        ev(json!({"event":{"audioOutput":{"content":"AQACAA=="}}})),
        Output::Audio(vec![1, 0, 2, 0])
    );
    assert_eq!(
        ev(json!({"event":{"completionEnd":{}}})),
        Output::CompletionEnd
    );
    assert_eq!(ev(json!({"event":{"usageEvent":{}}})), Output::Other);
    assert_eq!(read_output(b"not json"), Output::Other);
}
