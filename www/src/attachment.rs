//! Files attached to a prompt: typed by the library's rules (`bedrock::media`), checked
//! against Bedrock's limits and what the model takes (the catalog) before anything is sent,
//! and shown in the body preview as a placeholder instead of megabytes of base64.

use std::fmt;
use std::sync::{Arc, OnceLock};

use bedrock_wasm::bedrock::converse::ContentBlock;
use bedrock_wasm::bedrock::media::{self, MediaKind, MediaType};
use bedrock_wasm::bedrock::ModelFamily;
use serde_json::Value;

use crate::body::Msg;
use crate::catalog;
use crate::choices::Api;

/// The largest file read at all: the largest Bedrock takes (a video), so a bigger one is
/// refused before its bytes are in memory.
pub const MAX_FILE_BYTES: f64 = 25e6;

/// At most this many files wait with one prompt (Bedrock's per-request limits are lower
/// per kind; this bounds what a drop of a whole folder reads).
pub const MAX_PENDING: usize = 30;

/// One attached file.
#[derive(Clone)]
pub struct Attachment {
    /// The file's name as picked (shown).
    pub file_name: String,
    /// The name the block carries (documents): the file name made acceptable to Bedrock
    /// and distinct from the conversation's other documents.
    pub name: String,
    pub media: MediaType,
    pub bytes: Arc<Vec<u8>>,
    /// The image's `blob:` URL for its thumbnail, made when first shown.
    pub thumbnail: Arc<OnceLock<String>>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Attachment({}, {} bytes)",
            self.file_name,
            self.bytes.len()
        )
    }
}

impl PartialEq for Attachment {
    fn eq(&self, other: &Self) -> bool {
        self.file_name == other.file_name
            && self.name == other.name
            && self.media == other.media
            && (Arc::ptr_eq(&self.bytes, &other.bytes) || self.bytes == other.bytes)
    }
}

/// Why a file cannot be attached or sent, said so that the user knows what to do.
pub fn unsupported(file_name: &str) -> String {
    format!(
        "{file_name}: Bedrock takes png, jpeg, gif and webp images; pdf, csv, doc, docx, xls, \
         xlsx, html, txt and md documents; and mkv, mov, mp4, webm, flv, mpeg, wmv and 3gp \
         videos"
    )
}

impl Attachment {
    /// A picked file, typed by its name (else its MIME type); documents get a name distinct
    /// from `taken`.
    pub fn new<'a>(
        file_name: &str,
        mime: &str,
        bytes: Vec<u8>,
        taken: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<Self, String> {
        let media = media::media_type(file_name, mime).ok_or_else(|| unsupported(file_name))?;
        let name = match media.kind {
            MediaKind::Document => media::unique_name(&media::document_name(file_name), taken),
            _ => String::new(),
        };
        Ok(Self {
            file_name: file_name.to_owned(),
            name,
            media,
            bytes: Arc::new(bytes),
            thumbnail: Arc::default(),
        })
    }

    /// The Converse block (the bytes copied into it).
    pub fn block(&self) -> ContentBlock {
        media::content_block(self.media, &self.name, self.bytes.to_vec())
    }

    /// An attachment from a Converse block of a conversation file (`kind` is its key:
    /// `image`, `document` or `video`; `v` what it holds: `format`, `source.bytes` as
    /// base64, a document's `name`); `None` for a format Bedrock does not list, or bytes
    /// that are not inline base64. Read by hand: deriving `Deserialize` for Converse's
    /// content blocks would cost the page tens of KB.
    pub fn from_json(kind: &str, v: &Value) -> Option<Self> {
        use base64::Engine as _;
        let kind = match kind {
            "image" => MediaKind::Image,
            "document" => MediaKind::Document,
            "video" => MediaKind::Video,
            _ => return None,
        };
        let format = v.get("format").and_then(Value::as_str).unwrap_or("txt");
        let media = media::from_format(kind, format)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.get("source")?.get("bytes")?.as_str()?)
            .ok()?;
        let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
        let file_name = match kind {
            MediaKind::Document => format!("{name}.{format}"),
            _ => format!("{}.{format}", kind.as_str()),
        };
        Some(Self {
            file_name,
            name: name.to_owned(),
            media,
            bytes: Arc::new(bytes),
            thumbnail: Arc::default(),
        })
    }

    /// The Converse block as JSON (`{"image": {"format", "source": {"bytes": base64}}}`),
    /// as a conversation file holds it: written by hand, since serializing the typed block
    /// into a `Value` would instantiate its whole serializer again (KBs of wasm).
    pub fn to_json(&self) -> Value {
        use base64::Engine as _;
        let mut block = serde_json::Map::new();
        block.insert("format".into(), self.media.format.into());
        if self.media.kind == MediaKind::Document {
            block.insert("name".into(), self.name.as_str().into());
        }
        let bytes = base64::engine::general_purpose::STANDARD.encode(self.bytes.as_slice());
        block.insert("source".into(), serde_json::json!({ "bytes": bytes }));
        let mut out = serde_json::Map::new();
        out.insert(self.media.kind.as_str().into(), block.into());
        out.into()
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The same attachment without its bytes: what the body preview is built from.
    fn hollow(&self) -> Self {
        Self {
            bytes: Arc::default(),
            ..self.clone()
        }
    }

    /// `cat.png · image · 13 KB`.
    pub fn label(&self) -> String {
        let n = self.size();
        let size = match n {
            0..1_000 => format!("{n} bytes"),
            1_000..1_000_000 => format!("{} KB", n.div_ceil(1_000)),
            _ => media::megabytes(n),
        };
        format!("{} · {} · {size}", self.file_name, self.media.kind.as_str())
    }

    /// What the body preview shows instead of the file's contents.
    fn placeholder(&self, as_text: bool) -> String {
        format!(
            "<{}: {} bytes, sent as {}>",
            self.file_name,
            self.size(),
            if as_text { "text" } else { "base64" }
        )
    }
}

/// Every attachment of `msgs`, oldest first.
fn all(msgs: &[Msg]) -> impl Iterator<Item = &Attachment> + Clone {
    msgs.iter().flat_map(|m| m.attachments.iter())
}

/// Refuses what Bedrock or the model would refuse: a file kind the model does not take
/// (from the catalog; unknown models are left to Bedrock), InvokeModel with attachments
/// other than for Claude's Messages body (images, PDF and text documents), and Bedrock's
/// per-file and per-request limits.
pub fn check(model_id: &str, api: Api, msgs: &[Msg]) -> Result<(), String> {
    for a in all(msgs) {
        let kind = a.media.kind;
        if !catalog::takes(model_id, kind) {
            let model = catalog::find(model_id).map_or(model_id, |m| m.name);
            return Err(format!(
                "{model} does not take {kind}s: choose a model that does, or remove {}",
                a.file_name,
                kind = kind.as_str()
            ));
        }
        if api == Api::Invoke {
            let native = catalog::family(model_id) == ModelFamily::ClaudeMessages
                && (kind == MediaKind::Image
                    || matches!(a.media.format, "pdf" | "txt" | "md" | "csv" | "html"));
            if !native {
                return Err(format!(
                    "{} cannot go in this model's InvokeModel body: choose the Converse API \
                     (Claude's native body takes images, PDF and text documents)",
                    a.file_name
                ));
            }
            // Claude's native body carries a text document as text.
            let as_text = kind == MediaKind::Document && a.media.format != "pdf";
            if as_text && std::str::from_utf8(&a.bytes).is_err() {
                return Err(format!(
                    "{} is not UTF-8 text, which Claude's native body needs for a text \
                     document: choose the Converse API (it sends the file's bytes)",
                    a.file_name
                ));
            }
        }
    }
    media::check(all(msgs).map(|a| (a.media.kind, a.file_name.as_str(), a.size()))).map_err(|e| {
        match e.kind() {
            bedrock_wasm::bedrock::ErrorKind::Input(m) => m.clone(),
            _ => e.to_string(),
        }
    })
}

/// `msgs` with every attachment's bytes left out, to build the preview from cheaply.
pub fn hollow(msgs: &[Msg]) -> Vec<Msg> {
    msgs.iter()
        .map(|m| Msg {
            attachments: m.attachments.iter().map(Attachment::hollow).collect(),
            ..m.clone()
        })
        .collect()
}

/// In a body built from [`hollow`] messages, puts each attachment's placeholder where its
/// (empty) contents are: every `source` object's `bytes` or `data`, in document order, which
/// is the attachments' order.
pub fn abbreviate(body: &mut Value, msgs: &[Msg]) {
    let mut next = all(msgs);
    walk(body, &mut |source| {
        let as_text = source.get("type").and_then(Value::as_str) == Some("text");
        let key = if source.contains_key("bytes") {
            "bytes"
        } else if source.contains_key("data") {
            "data"
        } else {
            return;
        };
        if let Some(a) = next.next() {
            source.insert(key.into(), a.placeholder(as_text).into());
        }
    });
}

fn walk(v: &mut Value, f: &mut impl FnMut(&mut serde_json::Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(source)) = o.get_mut("source") {
                f(source);
            }
            for (k, child) in o.iter_mut() {
                if k != "source" {
                    walk(child, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| walk(c, f)),
        _ => {}
    }
}

/// An edited InvokeModel body with each placeholder the preview showed replaced by the
/// file's contents again (base64, or the text of a text document).
pub fn expand(text: &str, msgs: &[Msg]) -> String {
    let mut out = text.to_owned();
    for a in all(msgs) {
        for as_text in [false, true] {
            let quoted = crate::json::text(&Value::from(a.placeholder(as_text)));
            if out.contains(&quoted) {
                let contents = if as_text {
                    String::from_utf8_lossy(&a.bytes).into_owned()
                } else {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD.encode(a.bytes.as_slice())
                };
                out = out.replace(&quoted, &crate::json::text(&Value::from(contents)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> Attachment {
        Attachment::new(name, "", bytes.to_vec(), [].into_iter()).unwrap()
    }

    fn prompt_with(attachments: Vec<Attachment>) -> Vec<Msg> {
        vec![Msg::user("Look", attachments)]
    }

    #[test]
    fn files_are_typed_and_documents_named() {
        let a = file("Q3 report.PDF", b"%PDF");
        assert_eq!(
            (a.media.kind, a.name.as_str()),
            (MediaKind::Document, "Q3 report")
        );
        let b = Attachment::new("Q3 report.pdf", "", vec![1], ["Q3 report"].into_iter()).unwrap();
        assert_eq!(b.name, "Q3 report (2)");
        assert!(
            Attachment::new("x.heic", "image/heic", vec![1], [].into_iter())
                .unwrap_err()
                .starts_with("x.heic: Bedrock takes png")
        );
        assert_eq!(
            file("cat.png", &[0; 12_345]).label(),
            "cat.png · image · 13 KB"
        );
        assert_eq!(file("a.png", &[0; 70]).label(), "a.png · image · 70 bytes");
        assert_eq!(
            file("b.pdf", &[0; 1_250_000]).label(),
            "b.pdf · document · 1.25 MB"
        );
    }

    #[test]
    fn blocks_round_trip() {
        for a in [
            file("cat.webp", b"RIFF"),
            file("notes.md", b"# hi"),
            file("clip.mp4", b"\0\x01"),
        ] {
            let v = a.to_json();
            assert_eq!(
                v,
                serde_json::to_value(a.block()).unwrap(),
                "the typed block's JSON"
            );
            let (kind, inner) = v.as_object().unwrap().iter().next().unwrap();
            let back = Attachment::from_json(kind, inner).unwrap();
            assert_eq!(
                (back.media, &back.name, &back.bytes),
                (a.media, &a.name, &a.bytes)
            );
        }
        let png = serde_json::json!({"format": "png", "source": {"bytes": "%%"}});
        assert!(Attachment::from_json("image", &png).is_none(), "not base64");
        let s3 =
            serde_json::json!({"format": "png", "source": {"s3Location": {"uri": "s3://b/k"}}});
        assert!(Attachment::from_json("image", &s3).is_none());
        assert!(Attachment::from_json("audio", &png).is_none());
    }

    #[test]
    fn checks_say_what_to_change() {
        let claude3 = "anthropic.claude-3-7-sonnet-20250219-v1:0";
        let png = prompt_with(vec![file("cat.png", b"x")]);
        assert_eq!(check(claude3, Api::Converse, &png), Ok(()));
        assert_eq!(check(claude3, Api::Invoke, &png), Ok(()));
        assert!(check("anthropic.claude-v2", Api::Converse, &png)
            .unwrap_err()
            .starts_with("Claude 2 does not take images"));
        let video = prompt_with(vec![file("clip.mp4", b"x")]);
        assert!(check(claude3, Api::Converse, &video).is_err());
        assert_eq!(
            check("amazon.nova-lite-v1:0", Api::Converse, &video),
            Ok(())
        );
        // Only Converse carries a Word file, and Nova's native body carries nothing.
        let docx = prompt_with(vec![file("plan.docx", b"PK")]);
        assert!(check(claude3, Api::Invoke, &docx)
            .unwrap_err()
            .contains("choose the Converse API"));
        assert!(check("amazon.nova-lite-v1:0", Api::Invoke, &png).is_err());
        let latin1 = prompt_with(vec![file("old.txt", &[0xe9])]);
        assert!(check(claude3, Api::Invoke, &latin1)
            .unwrap_err()
            .contains("not UTF-8"));
        assert_eq!(check(claude3, Api::Converse, &latin1), Ok(()));
        // Unknown models are Bedrock's to judge; its limits still hold.
        assert_eq!(check("writer.palmyra-x5-v1:0", Api::Converse, &png), Ok(()));
        let big = prompt_with(vec![file("big.png", &vec![0; 3_750_001])]);
        assert!(check(claude3, Api::Converse, &big)
            .unwrap_err()
            .starts_with("big.png is 3.75 MB"));
    }

    #[test]
    fn the_preview_shows_placeholders_and_an_edit_gets_the_bytes_back() {
        use crate::body::{native, Params};
        let msgs = prompt_with(vec![file("cat.png", &[0x89, b'P']), file("n.txt", b"hi")]);
        let params = Params {
            max_tokens: 10,
            ..Default::default()
        };
        let mut preview = native(ModelFamily::ClaudeMessages, &params, &hollow(&msgs), true);
        abbreviate(&mut preview, &msgs);
        let content = &preview["messages"][0]["content"];
        assert_eq!(
            content[0]["source"]["data"],
            "<cat.png: 2 bytes, sent as base64>"
        );
        assert_eq!(
            content[1]["source"]["data"],
            "<n.txt: 2 bytes, sent as text>"
        );
        let sent: Value = serde_json::from_str(&expand(&preview.to_string(), &msgs)).unwrap();
        assert_eq!(
            sent,
            native(ModelFamily::ClaudeMessages, &params, &msgs, true)
        );
    }
}
