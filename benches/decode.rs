//! The native decode ceiling: bytes → frames → events → text for a 10,000-frame stream,
//! fed in 4 KiB and 64 KiB pieces. `cargo xtask bench` writes the streams and reads the
//! results; run alone with BENCH_STREAMS_DIR pointing at its output.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::PathBuf;

    use bedrock_wasm::bedrock::{ModelFamily, OutputReader, ResponseStreamDecoder};
    use bedrock_wasm::sign::{sign_request, Credentials};
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

    fn streams_dir() -> PathBuf {
        std::env::var_os("BENCH_STREAMS_DIR")
            .map(PathBuf::from)
            .expect("BENCH_STREAMS_DIR (cargo xtask bench sets it)")
    }

    /// Decodes the whole stream and returns the text length, so nothing is optimised away.
    fn decode(bytes: &[u8], piece: usize, family: ModelFamily) -> usize {
        let mut decoder = ResponseStreamDecoder::new();
        let mut extractor = OutputReader::new(family);
        let mut text = 0;
        for chunk in bytes.chunks(piece) {
            decoder.push(chunk);
            while let Some(event) = decoder.next_event().expect("valid stream") {
                text += extractor.event(&event).expect("valid event").text.len();
            }
        }
        decoder.finish().expect("complete stream");
        text
    }

    fn bench_decode(c: &mut Criterion) {
        for (name, family) in [
            ("claude-messages", ModelFamily::ClaudeMessages),
            ("converse-stream", ModelFamily::ClaudeMessages),
        ] {
            let bytes = std::fs::read(streams_dir().join(format!("{name}.eventstream"))).unwrap();
            let mut group = c.benchmark_group(format!("decode/{name}"));
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.sample_size(20);
            for piece in [4096, 65536] {
                group.bench_with_input(BenchmarkId::from_parameter(piece), &piece, |b, &piece| {
                    b.iter(|| decode(&bytes, piece, family))
                });
            }
            group.finish();
        }
    }

    fn bench_sign(c: &mut Criterion) {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("token".into()),
        );
        let body = br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":256}}"#;
        let url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_736_942_400);
        c.bench_function("sign/converse-stream", |b| {
            b.iter(|| sign_request("POST", url, &headers, body, &creds, "us-east-1", time).unwrap())
        });
    }

    criterion_group!(benches, bench_decode, bench_sign);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

// Benchmarks are native only; wasm32 builds (clippy --all-targets) get an empty main.
#[cfg(target_arch = "wasm32")]
fn main() {}
