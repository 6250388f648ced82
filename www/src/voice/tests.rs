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
