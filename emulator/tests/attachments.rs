//! Attachments (images, documents, videos): Converse and native Claude validation, every limit
//! at and one past its bound, which models take what, the `Received …` answer lines (whole
//! and streamed) and the input tokens they add.

mod common;

use base64::Engine as _;
use bedrock_emulator::{
    answer_for, converse_answer, invoke_answer, DOCUMENT_NAME_MESSAGE, DOCUMENT_TEXT_MESSAGE,
    DUPLICATE_NAME_MESSAGE, MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, MAX_NATIVE_IMAGE_BASE64,
};
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CLAUDE: &str = "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha16(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// A PNG header (signature and IHDR) of `w` × `h`, padded with zeros to `len` bytes.
fn png(w: u32, h: u32, len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend([8, 6, 0, 0, 0]);
    b.resize(len.max(b.len()), 0);
    b
}

fn image(format: &str, bytes: &[u8]) -> Value {
    json!({"image": {"format": format, "source": {"bytes": b64(bytes)}}})
}

fn document(format: &str, name: &str, bytes: &[u8]) -> Value {
    json!({"document": {"format": format, "name": name, "source": {"bytes": b64(bytes)}}})
}

fn video(format: &str, bytes: &[u8]) -> Value {
    json!({"video": {"format": format, "source": {"bytes": b64(bytes)}}})
}

/// A Converse body: one user message with `text` then `blocks`.
fn one(text: &str, blocks: &[Value]) -> Value {
    let mut content = vec![json!({"text": text})];
    content.extend(blocks.iter().cloned());
    json!({"messages": [{"role": "user", "content": content}]})
}

fn converse(model: &str, body: &Value) -> Result<String, String> {
    converse_answer(model, &serde_json::to_vec(body).unwrap()).map(|a| a.text())
}

async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn refusal(model: &str, body: &Value) -> String {
    converse(model, body).unwrap_err()
}

#[test]
fn converse_answer_starts_with_a_line_per_attachment() {
    let img = png(640, 480, 1234);
    let pdf = b"%PDF-1.7 a small document".to_vec();
    let clip = vec![7u8; 5000];
    let body = one(
        "Describe these.",
        &[
            image("png", &img),
            document("pdf", "Quarterly report (v2)", &pdf),
            video("mp4", &clip),
        ],
    );
    let text = converse(NOVA, &body).unwrap();
    let lines = format!(
        "Received image png 1234 bytes sha256 {}.\nReceived document \"Quarterly report (v2)\" pdf {} bytes sha256 {}.\nReceived video mp4 5000 bytes sha256 {}.\n",
        sha16(&img),
        pdf.len(),
        sha16(&pdf),
        sha16(&clip)
    );
    assert_eq!(
        text,
        lines + &answer_for("Describe these.", 4096, &[]).text()
    );
    // The usual answer, unchanged, when the attachments are in the history only.
    let history = json!({"messages": [
        {"role": "user", "content": [{"text": "Look"}, image("png", &img)]},
        {"role": "assistant", "content": [{"text": "A picture."}]},
        {"role": "user", "content": [{"text": "What is your name?"}]}
    ]});
    assert_eq!(converse(CLAUDE, &history).unwrap(), " My name is Claude.");
    // maxTokens cuts the lines and the answer as one.
    let mut short = one("Hi", &[image("gif", b"GIF89a")]);
    short["inferenceConfig"] = json!({"maxTokens": 3});
    assert_eq!(converse(CLAUDE, &short).unwrap(), "Received image gif");
}

#[test]
fn input_tokens_grow_with_attachments() {
    let base = converse_answer(CLAUDE, &serde_json::to_vec(&one("a b c", &[])).unwrap())
        .unwrap()
        .input_tokens;
    assert_eq!(base, 3 + 4);
    let with = |blocks: &[Value]| {
        converse_answer(CLAUDE, &serde_json::to_vec(&one("a b c", blocks)).unwrap())
            .unwrap()
            .input_tokens
    };
    // Images ⌈bytes / 750⌉, documents ⌈bytes / 4⌉ (at least 1 each).
    assert_eq!(with(&[image("png", &[1; 750])]), base + 1);
    assert_eq!(with(&[image("png", &[1; 751])]), base + 2);
    assert_eq!(with(&[image("jpeg", &[1])]), base + 1);
    assert_eq!(
        with(&[document("txt", "notes", &[b'x'; 4001])]),
        base + 1001
    );
    assert_eq!(
        with(&[image("png", &[1; 7500]), document("md", "a", b"hello")]),
        base + 10 + 2
    );
    // Nova: a video ⌈bytes / 750⌉, an S3 object 1000.
    let nova = |blocks: &[Value]| {
        converse_answer(NOVA, &serde_json::to_vec(&one("a b c", blocks)).unwrap())
            .unwrap()
            .input_tokens
    };
    assert_eq!(nova(&[video("mkv", &[0; 1501])]), base + 3);
    assert_eq!(
        nova(&[
            json!({"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://my-bucket/clip.mp4"}}}})
        ]),
        base + 1000
    );
}

#[test]
fn formats_and_sources() {
    for f in ["png", "jpeg", "gif", "webp"] {
        assert!(converse(CLAUDE, &one("x", &[image(f, b"data")]))
            .unwrap()
            .starts_with(&format!("Received image {f} 4 bytes")));
    }
    for f in [
        "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
    ] {
        assert!(converse(CLAUDE, &one("x", &[document(f, "d", b"data")]))
            .unwrap()
            .starts_with(&format!("Received document \"d\" {f} 4 bytes")));
    }
    for f in [
        "mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp",
    ] {
        assert!(converse(NOVA, &one("x", &[video(f, b"data")]))
            .unwrap()
            .starts_with(&format!("Received video {f} 4 bytes")));
    }
    assert_eq!(
        refusal(CLAUDE, &one("x", &[image("jpg", b"data")])),
        "1 validation error detected: Value 'jpg' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"
    );
    assert_eq!(
        refusal(CLAUDE, &one("x", &[document("pages", "d", b"data")])),
        "1 validation error detected: Value 'pages' at 'messages.1.member.content.2.member.document.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"
    );
    assert_eq!(
        refusal(NOVA, &one("x", &[video("3gp", b"data")])),
        "1 validation error detected: Value '3gp' at 'messages.1.member.content.2.member.video.format' failed to satisfy constraint: Member must satisfy enum value set: [mkv, mov, mp4, webm, flv, mpeg, mpg, wmv, three_gp]"
    );
    assert_eq!(
        refusal(CLAUDE, &one("x", &[json!({"image": {"source": {"bytes": "AA=="}}})])),
        "1 validation error detected: Value null at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        refusal(CLAUDE, &one("x", &[json!({"image": {"format": "png"}})])),
        "1 validation error detected: Value null at 'messages.1.member.content.2.member.image.source' failed to satisfy constraint: Member must not be null"
    );
    // A document's format is optional.
    assert!(converse(
        CLAUDE,
        &one(
            "x",
            &[json!({"document": {"name": "d", "source": {"bytes": "aGk="}}})]
        )
    )
    .unwrap()
    .starts_with("Received document \"d\" - 2 bytes"));
    // The source is a union: exactly one known member.
    for source in [
        json!({}),
        json!({"bytes": "AA==", "s3Location": {"uri": "s3://bkt/x"}}),
        json!({"url": "https://x"}),
    ] {
        let m = refusal(
            CLAUDE,
            &one(
                "x",
                &[json!({"image": {"format": "png", "source": source}})],
            ),
        );
        assert!(
            m.contains("at 'messages.1.member.content.2.member.image.source' failed to satisfy constraint: Member must have exactly one member set, one of [bytes, s3Location]"),
            "{m}"
        );
    }
    // Bad base64, and empty bytes.
    for (bytes, rule) in [
        ("@@@", "Value '@@@' at 'messages.1.member.content.2.member.image.source.bytes' failed to satisfy constraint: Member must be base64-encoded bytes (a blob)"),
        ("AAA", "Member must be base64-encoded bytes (a blob)"),
        ("", "Value '' at 'messages.1.member.content.2.member.image.source.bytes' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ] {
        let m = refusal(CLAUDE, &one("x", &[json!({"image": {"format": "png", "source": {"bytes": bytes}}})]));
        assert!(m.contains(rule), "{m}");
    }
    // S3 locations: Nova only, and a valid s3:// URI.
    let s3 = |uri: &str| json!({"image": {"format": "png", "source": {"s3Location": {"uri": uri, "bucketOwner": "123456789012"}}}});
    assert!(converse(NOVA, &one("x", &[s3("s3://my-bucket/cat.png")]))
        .unwrap()
        .starts_with("Received image png s3://my-bucket/cat.png.\n"));
    assert_eq!(
        refusal(CLAUDE, &one("x", &[s3("s3://my-bucket/cat.png")])),
        "This model doesn't support Amazon S3 locations for images. Send the image at messages.0.content.1 as bytes and try again."
    );
    assert!(refusal(NOVA, &one("x", &[s3("https://my-bucket/cat.png")]))
        .contains("image.source.s3Location.uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://"));
}

#[test]
fn document_sources_names_and_text() {
    // `text` and `content` sources need citations.
    let text_doc = |citations: bool, format: &str| json!({"document": {"format": format, "name": "notes", "source": {"text": "The sky is blue."}, "citations": {"enabled": citations}}});
    assert_eq!(
        refusal(CLAUDE, &one("x", &[text_doc(false, "txt")])),
        "DocumentSource object at messages.0.content.1.document.source must set one of the following keys: bytes, s3Location."
    );
    assert_eq!(
        converse(CLAUDE, &one("x", &[text_doc(true, "txt")]))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
        format!(
            "Received document \"notes\" txt 16 bytes sha256 {}.",
            sha16(b"The sky is blue.")
        )
    );
    assert_eq!(
        refusal(CLAUDE, &one("x", &[text_doc(true, "docx")])),
        "Unsupported document format. Only txt and pdf formats are supported when citations are enabled"
    );
    let content = json!({"document": {"format": "txt", "name": "parts", "source": {"content": [{"text": "ab"}, {"text": "cd"}]}, "citations": {"enabled": true}}});
    assert!(converse(CLAUDE, &one("x", &[content]))
        .unwrap()
        .starts_with(&format!(
            "Received document \"parts\" txt 4 bytes sha256 {}.",
            sha16(b"abcd")
        )));
    // Names.
    for bad in ["report.pdf", "a  b", "a/b", "tab\there", "café", "it's"] {
        assert_eq!(
            refusal(CLAUDE, &one("x", &[document("pdf", bad, b"x")])),
            DOCUMENT_NAME_MESSAGE,
            "{bad}"
        );
    }
    assert!(converse(
        CLAUDE,
        &one("x", &[document("pdf", &"n".repeat(200), b"x")])
    )
    .is_ok());
    assert!(refusal(CLAUDE, &one("x", &[document("pdf", &"n".repeat(201), b"x")]))
        .contains("at 'messages.1.member.content.2.member.document.name' failed to satisfy constraint: Member must have length less than or equal to 200"));
    assert!(refusal(CLAUDE, &one("x", &[document("pdf", "", b"x")]))
        .contains("Member must have length greater than or equal to 1"));
    assert!(refusal(CLAUDE, &one("x", &[json!({"document": {"format": "pdf", "source": {"bytes": "AA=="}}})]))
        .contains("Value null at 'messages.1.member.content.2.member.document.name' failed to satisfy constraint: Member must not be null"));
    // Duplicate names, in one message or across the history.
    assert_eq!(
        refusal(
            CLAUDE,
            &one(
                "x",
                &[document("pdf", "Same", b"1"), document("txt", "Same", b"2")]
            )
        ),
        DUPLICATE_NAME_MESSAGE
    );
    let history = json!({"messages": [
        {"role": "user", "content": [{"text": "a"}, document("pdf", "Same", b"1")]},
        {"role": "assistant", "content": [{"text": "ok"}]},
        {"role": "user", "content": [{"text": "b"}, document("pdf", "Same", b"1")]}
    ]});
    assert_eq!(refusal(CLAUDE, &history), DUPLICATE_NAME_MESSAGE);
    assert!(converse(
        CLAUDE,
        &one(
            "x",
            &[document("pdf", "Same", b"1"), document("pdf", "same", b"1")]
        )
    )
    .is_ok());
    // A message with a document needs a text block.
    let alone = json!({"messages": [{"role": "user", "content": [document("pdf", "d", b"1")]}]});
    assert_eq!(refusal(CLAUDE, &alone), DOCUMENT_TEXT_MESSAGE);
}

#[test]
fn sizes_and_dimensions_at_and_past_the_bound() {
    let at = converse(
        CLAUDE,
        &one("x", &[image("png", &vec![0; MAX_IMAGE_BYTES])]),
    )
    .unwrap();
    assert!(at.starts_with("Received image png 3932160 bytes"));
    assert_eq!(
        refusal(CLAUDE, &one("x", &[image("png", &vec![0; MAX_IMAGE_BYTES + 1])])),
        "The image at messages.0.content.1 is 3932161 bytes, which exceeds the maximum image size of 3.75 MB (3932160 bytes). Reduce the image size and try again."
    );
    assert!(converse(
        CLAUDE,
        &one("x", &[document("pdf", "big", &vec![0; MAX_DOCUMENT_BYTES])])
    )
    .is_ok());
    assert_eq!(
        refusal(CLAUDE, &one("x", &[document("pdf", "big", &vec![0; MAX_DOCUMENT_BYTES + 1])])),
        "The document at messages.0.content.1 is 4718593 bytes, which exceeds the maximum document size of 4.5 MB (4718592 bytes). Reduce the document size and try again."
    );
    for (w, h) in [(8000, 8000), (1, 8000), (8000, 1)] {
        assert!(converse(CLAUDE, &one("x", &[image("png", &png(w, h, 64))])).is_ok());
    }
    for (w, h) in [(8001, 10), (10, 8001)] {
        assert_eq!(
            refusal(CLAUDE, &one("x", &[image("png", &png(w, h, 64))])),
            "The model returned the following errors: messages.0.content.1.image.source.bytes: At least one of the image dimensions exceed max allowed size: 8000 pixels"
        );
    }
}

/// A conversation of three user turns whose attachments are spread over the history.
fn spread(blocks: Vec<Value>) -> Value {
    let third = blocks.len() / 3;
    let mut rest = blocks;
    let last = rest.split_off(2 * third);
    let middle = rest.split_off(third);
    let turn = |b: Vec<Value>| {
        let mut content = vec![json!({"text": "look"})];
        content.extend(b);
        json!({"role": "user", "content": content})
    };
    json!({"messages": [
        turn(rest), {"role": "assistant", "content": [{"text": "ok"}]},
        turn(middle), {"role": "assistant", "content": [{"text": "ok"}]},
        turn(last)
    ]})
}

#[test]
fn counts_over_the_whole_history() {
    let images = |n: usize| {
        (0..n)
            .map(|i| image("png", &[i as u8 + 1]))
            .collect::<Vec<_>>()
    };
    let docs = |n: usize| {
        (0..n)
            .map(|i| document("txt", &format!("doc {i}"), b"x"))
            .collect::<Vec<_>>()
    };
    assert!(converse(NOVA, &spread(images(20))).is_ok());
    assert_eq!(
        refusal(NOVA, &spread(images(21))),
        "Too many images: the request has 21, and a request can include up to 20. Remove images and try again."
    );
    assert!(converse(NOVA, &spread(docs(5))).is_ok());
    assert_eq!(
        refusal(NOVA, &spread(docs(6))),
        "Too many documents: the request has 6, and a request can include up to 5. Remove documents and try again."
    );
    assert!(converse(NOVA, &spread(vec![video("mp4", b"v")])).is_ok());
    assert_eq!(
        refusal(NOVA, &spread(vec![video("mp4", b"v"), video("mp4", b"w")])),
        "Too many videos: the request has 2, and a request can include only 1. Remove videos and try again."
    );
    // Claude: also 20 images and documents together, in Anthropic's words.
    assert!(converse(CLAUDE, &spread(images(20))).is_ok());
    assert_eq!(
        refusal(CLAUDE, &spread(images(21))),
        "The model returned the following errors: too many images and documents: 21 + 0 > 20"
    );
    let mut mixed = images(15);
    mixed.extend(docs(5));
    assert!(converse(CLAUDE, &spread(mixed.clone())).is_ok());
    mixed.push(image("png", b"one more"));
    assert_eq!(
        refusal(CLAUDE, &spread(mixed)),
        "The model returned the following errors: too many images and documents: 16 + 5 > 20"
    );
    // Images inside tool results count, and are reported.
    let tool = json!({"messages": [
        {"role": "user", "content": [{"text": "shoot"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "camera", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "a photo"}, image("webp", b"RIFF")]}}]}
    ]});
    assert!(converse(CLAUDE, &tool).unwrap().starts_with(&format!(
        "Received image webp 4 bytes sha256 {}.\n",
        sha16(b"RIFF")
    )));
    let mut twenty_one = spread(images(20));
    twenty_one["messages"][3]["content"] =
        json!([{"toolUse": {"toolUseId": "t", "name": "camera", "input": {}}}]);
    twenty_one["messages"][4]["content"]
        .as_array_mut()
        .unwrap()
        .push(json!({"toolResult": {"toolUseId": "t", "content": [image("png", b"x")]}}));
    assert!(refusal(NOVA, &twenty_one).starts_with("Too many images: the request has 21"));
}

#[test]
fn models_that_refuse_attachments() {
    for (model, block, kind) in [
        ("amazon.titan-text-express-v1", image("png", b"x"), "image"),
        ("amazon.nova-micro-v1:0", image("png", b"x"), "image"),
        (
            "amazon.nova-micro-v1:0",
            document("pdf", "d", b"x"),
            "document",
        ),
        (
            "amazon.titan-text-premier-v1:0",
            document("pdf", "d", b"x"),
            "document",
        ),
        (
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            image("png", b"x"),
            "image",
        ),
        ("anthropic.claude-v2", image("png", b"x"), "image"),
        (CLAUDE, video("mp4", b"x"), "video"),
        ("meta.llama3-8b-instruct-v1:0", image("png", b"x"), "image"),
        (
            "mistral.mistral-large-2407-v1:0",
            image("png", b"x"),
            "image",
        ),
        ("cohere.command-r-v1:0", image("png", b"x"), "image"),
        (
            "cohere.command-text-v14",
            document("pdf", "d", b"x"),
            "document",
        ),
        (
            "ai21.jamba-instruct-v1:0",
            document("pdf", "d", b"x"),
            "document",
        ),
        ("ai21.jamba-1-5-mini-v1:0", image("png", b"x"), "image"),
    ] {
        assert_eq!(
            refusal(model, &one("x", &[block])),
            format!("This model doesn't support {kind} content. Remove the {kind} at messages.0.content.1 or use a model that accepts {kind}s, and try again."),
            "{model}"
        );
    }
    for (model, block) in [
        ("meta.llama3-2-11b-instruct-v1:0", image("png", b"x")),
        (
            "us.meta.llama4-scout-17b-instruct-v1:0",
            image("jpeg", b"x"),
        ),
        ("mistral.pixtral-large-2502-v1:0", image("png", b"x")),
        (
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            document("pdf", "d", b"x"),
        ),
        ("amazon.titan-text-express-v1", document("txt", "d", b"x")),
        ("us.amazon.nova-premier-v1:0", video("mov", b"x")),
        ("amazon.nova-2-lite-v1:0", image("png", b"x")),
    ] {
        assert!(converse(model, &one("x", &[block])).is_ok(), "{model}");
    }
    // Only user messages carry attachments.
    let assistant = json!({"messages": [
        {"role": "user", "content": [{"text": "draw"}]},
        {"role": "assistant", "content": [{"text": "here"}, image("png", b"x")]},
        {"role": "user", "content": [{"text": "thanks"}]}
    ]});
    assert_eq!(
        refusal(CLAUDE, &assistant),
        "Only user messages can include images, documents and videos: the image at messages.1.content.1 is in an assistant message."
    );
}

fn claude_body(content: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": content}]
    }))
    .unwrap()
}

fn native_image(media_type: &str, data: &str) -> Value {
    json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
}

#[test]
fn native_claude_blocks() {
    let model = "anthropic.claude-3-haiku-20240307-v1:0";
    let img = png(100, 50, 300);
    let pdf = b"%PDF-1.4 tiny".to_vec();
    let body = claude_body(json!([
        native_image("image/png", &b64(&img)),
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(&pdf)}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes."}, "title": "Notes"},
        {"type": "text", "text": "What is in these?"}
    ]));
    let a = invoke_answer(model, &body).unwrap();
    let lines = format!(
        "Received image png 300 bytes sha256 {}.\nReceived document pdf {} bytes sha256 {}.\nReceived document txt 12 bytes sha256 {}.\n",
        sha16(&img),
        pdf.len(),
        sha16(&pdf),
        sha16(b"Plain notes.")
    );
    let plain = answer_for("What is in these?", 4096, &[]);
    assert_eq!(a.text(), lines + &plain.text());
    assert_eq!(a.input_tokens, plain.input_tokens + 1 + 4 + 3);
    // Without attachments, the answer is as before.
    assert_eq!(
        invoke_answer(
            model,
            &claude_body(json!([{"type": "text", "text": "What is your name?"}]))
        )
        .unwrap()
        .text(),
        " My name is Claude."
    );
    let err = |content: Value| invoke_answer(model, &claude_body(content)).unwrap_err();
    assert_eq!(
        err(json!([{"type": "text", "text": "x"}, native_image("image/bmp", "AA==")])),
        "messages.0.content.1.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
    );
    for t in ["image/jpeg", "image/png", "image/gif", "image/webp"] {
        assert!(invoke_answer(model, &claude_body(json!([native_image(t, "AA==")]))).is_ok());
    }
    assert_eq!(
        err(json!([native_image("image/png", "not base64!")])),
        "messages.0.content.0.image.source.base64.data: Invalid base64 data"
    );
    assert_eq!(
        err(json!([native_image("image/png", "")])),
        "messages.0.content.0.image.source.base64.data: Invalid base64 data"
    );
    assert_eq!(
        err(json!([{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}])),
        "messages.0.content.0.image.source.base64.data: Field required"
    );
    assert_eq!(
        err(json!([{"type": "image", "source": {"type": "base64", "data": "AA=="}}])),
        "messages.0.content.0.image.source.base64.media_type: Field required"
    );
    assert_eq!(
        err(json!([{"type": "image"}])),
        "messages.0.content.0.image.source: Field required"
    );
    assert_eq!(
        err(json!([{"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}])),
        "messages.0.content.0.image.source: Input tag 'url' found using 'type' does not match any of the expected tags: 'base64'"
    );
    assert_eq!(
        err(json!([{"type": "image", "source": {"media_type": "image/png", "data": "AA=="}}])),
        "messages.0.content.0.image.source: Unable to extract tag using discriminator 'type'"
    );
    assert_eq!(
        err(
            json!([{"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": "AA=="}}])
        ),
        "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'"
    );
    assert_eq!(
        err(
            json!([{"type": "document", "source": {"type": "text", "media_type": "application/pdf", "data": "x"}}])
        ),
        "messages.0.content.0.document.source.text.media_type: Input should be 'text/plain'"
    );
    assert_eq!(
        err(json!([{"type": "document", "source": {"type": "content", "content": []}}])),
        "messages.0.content.0.document.source: Input tag 'content' found using 'type' does not match any of the expected tags: 'base64', 'text'"
    );
    // The base64 text of an image: at most 5 MB.
    let at = "A".repeat(MAX_NATIVE_IMAGE_BASE64);
    assert!(invoke_answer(model, &claude_body(json!([native_image("image/png", &at)]))).is_ok());
    let past = "A".repeat(MAX_NATIVE_IMAGE_BASE64 + 4);
    assert_eq!(
        err(json!([native_image("image/png", &past)])),
        "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"
    );
    assert!(invoke_answer(
        model,
        &claude_body(json!([native_image(
            "image/png",
            &b64(&png(8000, 8000, 40))
        )]))
    )
    .is_ok());
    assert_eq!(
        err(json!([native_image("image/png", &b64(&png(8001, 1, 40)))])),
        "messages.0.content.0.image.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels"
    );
    // 20 images and documents over the whole body.
    let many = |n: usize| {
        let mut blocks: Vec<Value> = (0..n).map(|_| native_image("image/gif", "R0lG")).collect();
        blocks.push(json!({"type": "text", "text": "x"}));
        Value::Array(blocks)
    };
    assert!(invoke_answer(model, &claude_body(many(20))).is_ok());
    assert_eq!(err(many(21)), "too many images and documents: 21 + 0 > 20");
    let history = serde_json::to_vec(&json!({
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
        "messages": [
            {"role": "user", "content": many(11)},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": many(10)}
        ]
    }))
    .unwrap();
    assert_eq!(
        invoke_answer(model, &history).unwrap_err(),
        "too many images and documents: 21 + 0 > 20"
    );
}

#[tokio::test]
async fn over_http_whole_streamed_and_counted() {
    let server = TestServer::start(0).await;
    let img = png(32, 32, 2000);
    let body = one("Describe it.", &[image("png", &img)]);
    let want = converse_answer(CLAUDE, &serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(want.text().starts_with(&format!(
        "Received image png 2000 bytes sha256 {}.\n",
        sha16(&img)
    )));
    let v = json_of(server.call(CLAUDE, "converse", &body).await).await;
    assert_eq!(v["output"]["message"]["content"][0]["text"], want.text());
    assert_eq!(v["usage"]["inputTokens"], want.input_tokens);
    assert_eq!(want.input_tokens, 2 + 4 + 3);
    // ConverseStream: the deltas add up to the same text.
    let frames_ = frames(server.call(CLAUDE, "converse-stream", &body).await).await;
    let text: String = frames_
        .iter()
        .filter(|m| m.str_header(":event-type") == Some("contentBlockDelta"))
        .map(|m| payload(m)["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, want.text());
    // CountTokens says the same.
    let count = server
        .post_json(
            &model_path(CLAUDE, "count-tokens"),
            &json!({"input": {"converse": body}}),
        )
        .await;
    assert_eq!(count.status(), 200);
    assert_eq!(json_of(count).await["inputTokens"], want.input_tokens);
    // Native Claude, streamed, and counted.
    let native = claude_body(
        json!([native_image("image/png", &b64(&img)), {"type": "text", "text": "Describe it."}]),
    );
    let want = invoke_answer(CLAUDE, &native).unwrap();
    let frames_ = frames(
        server
            .post_signed(
                &model_path(CLAUDE, "invoke-with-response-stream"),
                native.clone(),
                &Signing::default(),
            )
            .await,
    )
    .await;
    let text: String = frames_
        .iter()
        .map(chunk_json)
        .filter(|c| c["type"] == "content_block_delta")
        .map(|c| c["delta"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, want.text());
    let count = server
        .post_json(
            &model_path(CLAUDE, "count-tokens"),
            &json!({"input": {"invokeModel": {"body": b64(&native)}}}),
        )
        .await;
    assert_eq!(json_of(count).await["inputTokens"], want.input_tokens);
    // Refusals are 400 ValidationException, on both Converse operations.
    for op in ["converse", "converse-stream"] {
        let response = server
            .call(
                "amazon.titan-text-express-v1",
                op,
                &one("x", &[image("png", b"x")]),
            )
            .await;
        assert!(expect_error(response, 400, "ValidationException")
            .await
            .starts_with("This model doesn't support image content."));
    }
}

#[tokio::test]
async fn hostile_attachments_are_refused_without_harm() {
    let server = TestServer::start(0).await;
    // An image of 18 MB (24 MB of base64, just under the body limit): refused by size.
    let huge = one("x", &[image("png", &vec![0xab; 18_000_000])]);
    let response = server.call(CLAUDE, "converse", &huge).await;
    assert!(expect_error(response, 400, "ValidationException")
        .await
        .starts_with("The image at messages.0.content.1 is 18000000 bytes"));
    // Over the body limit: the existing bound holds.
    let over = one("x", &[image("png", &vec![0; 19_000_000])]);
    let response = server.call(CLAUDE, "converse", &over).await;
    assert!(expect_error(response, 400, "ValidationException")
        .await
        .contains("25,000,000-byte limit"));
    // Thousands of tiny images: refused by count.
    let many: Vec<Value> = (0..50_000).map(|_| image("png", b"x")).collect();
    let response = server.call(NOVA, "converse", &one("x", &many)).await;
    assert!(expect_error(response, 400, "ValidationException")
        .await
        .starts_with("Too many images: the request has 50000"));
    // A JPEG whose segment lengths run off the end, a PNG cut inside its header.
    for bytes in [
        vec![0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0, 0],
        b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0".to_vec(),
    ] {
        let response = server
            .call(CLAUDE, "converse", &one("x", &[image("jpeg", &bytes)]))
            .await;
        assert_eq!(response.status(), 200);
    }
    // A native body with a huge base64 string that is not base64.
    let native = claude_body(json!([native_image("image/png", &"!".repeat(5_000_000))]));
    let response = server
        .post_signed(&model_path(CLAUDE, "invoke"), native, &Signing::default())
        .await;
    assert_eq!(
        expect_error(response, 400, "ValidationException").await,
        "messages.0.content.0.image.source.base64.data: Invalid base64 data"
    );
}

#[tokio::test]
async fn the_anthropic_compatible_route_reads_attachments_too() {
    let server = TestServer::start(0).await;
    let img = png(10, 10, 100);
    let body = json!({
        "model": CLAUDE, "max_tokens": 300, "anthropic_version": "bedrock-2023-05-31",
        "messages": [{"role": "user", "content": [
            native_image("image/jpeg", &b64(&img)),
            {"type": "text", "text": "What is your name?"}
        ]}]
    });
    let response = server.post_json("/anthropic/v1/messages", &body).await;
    assert_eq!(response.status(), 200);
    let v = json_of(response).await;
    assert_eq!(
        v["content"][0]["text"],
        format!(
            "Received image jpeg 100 bytes sha256 {}.\n My name is Claude.",
            sha16(&img)
        )
    );
    assert_eq!(v["usage"]["input_tokens"], 4 + 4 + 1);
    let mut bad = body.clone();
    bad["messages"][0]["content"][0]["source"]["media_type"] = json!("image/tiff");
    let response = server.post_json("/anthropic/v1/messages", &bad).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        json_of(response).await["error"]["message"],
        "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
    );
}
