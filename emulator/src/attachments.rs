//! Attachments: the images, documents and videos of Converse content blocks (`image`,
//! `document`, `video`, also inside a `toolResult`) and of native Claude Messages bodies
//! (`{"type":"image"|"document","source":{…}}`). Each is validated like Bedrock (the service
//! model's constraints, then Bedrock's and the model's rules: which models take which kind,
//! per-file sizes, image dimensions, per-request counts, document names), and reported back at
//! the start of the answer (`Received image png 1234 bytes sha256 0123456789abcdef.`) so a
//! client's test can see exactly what arrived. See the README, "Attachments".

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::async_invoke::{is_s3_uri, S3_PATTERN};
use crate::families::{base_model_id, Family};
use crate::validate::{constraint, length, list, object, one_of, pattern, required, string, union};

/// The largest image Converse accepts, decoded: 3.75 MB (3.75 × 2^20 bytes — the 5 MiB that
/// Anthropic allows for the base64 text, decoded).
pub const MAX_IMAGE_BYTES: usize = 3_932_160;
/// The largest document Converse accepts, decoded: 4.5 MB (4.5 × 2^20 bytes).
pub const MAX_DOCUMENT_BYTES: usize = 4_718_592;
/// The most images in one Converse request (the whole `messages` history).
pub const MAX_IMAGES: usize = 20;
/// The most documents in one Converse request (the whole `messages` history).
pub const MAX_DOCUMENTS: usize = 5;
/// The most videos in one request (Nova: "a single video in the payload").
pub const MAX_VIDEOS: usize = 1;
/// Claude's own limit on images and documents together (Converse and native bodies).
pub const MAX_CLAUDE_IMAGES_AND_DOCUMENTS: usize = 20;
/// The largest width or height of an image, in pixels.
pub const MAX_IMAGE_PIXELS: u32 = 8000;
/// The longest base64 `data` of a native Claude image: 5 MB (5 × 2^20 characters).
pub const MAX_NATIVE_IMAGE_BASE64: usize = 5_242_880;
/// The input tokens an attachment given by Amazon S3 location counts (its bytes are unknown).
pub const S3_TOKENS: u32 = 1000;

pub(crate) const IMAGE_FORMATS: [&str; 4] = ["png", "jpeg", "gif", "webp"];
pub(crate) const DOCUMENT_FORMATS: [&str; 9] = [
    "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
];
pub(crate) const VIDEO_FORMATS: [&str; 9] = [
    "mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp",
];

/// Bedrock's message for a document name outside the documented characters.
pub const DOCUMENT_NAME_MESSAGE: &str = "The document file name can only contain alphanumeric \
     characters, whitespace characters, hyphens, parentheses, and square brackets. The name \
     can't contain more than one consecutive whitespace character. Check that the file name \
     conforms to these restrictions and retry your request.";
/// Bedrock's message for two documents of one request with the same name.
pub const DUPLICATE_NAME_MESSAGE: &str =
    "Messages can't contain duplicate document names. Rename the document and retry your request.";
/// Bedrock's message for a message holding a document but no text block.
pub const DOCUMENT_TEXT_MESSAGE: &str =
    "A text block must be included when using documents. Add a text block and retry your request.";

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Image,
    Document,
    Video,
}

impl Kind {
    /// The Converse member (and the word of the answer line).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Document => "document",
            Kind::Video => "video",
        }
    }

    /// The kinds, as the Converse content-block members they are.
    pub(crate) const ALL: [Kind; 3] = [Kind::Image, Kind::Document, Kind::Video];
}

/// An attachment's content: its bytes (length and the first 16 hex digits of their SHA-256)
/// or where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    Bytes { len: usize, sha: String },
    S3(String),
}

impl Content {
    fn of(bytes: &[u8]) -> Content {
        let digest = Sha256::digest(bytes);
        Content::Bytes {
            len: bytes.len(),
            sha: hex::encode(&digest[..8]),
        }
    }
}

/// One validated attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    pub kind: Kind,
    /// `png`, `pdf`, `mp4`, …; `-` for a Converse document without a `format`.
    pub format: String,
    /// A Converse document's name (native Claude documents have none).
    pub name: Option<String>,
    pub content: Content,
    /// Width and height, when the bytes are a PNG, GIF, JPEG or WebP image the emulator can
    /// read.
    pub dims: Option<(u32, u32)>,
}

impl Attachment {
    fn new(kind: Kind, format: &str, name: Option<&str>, bytes: &[u8]) -> Self {
        Attachment {
            kind,
            format: format.to_owned(),
            name: name.map(str::to_owned),
            content: Content::of(bytes),
            dims: (kind == Kind::Image)
                .then(|| image_dimensions(bytes))
                .flatten(),
        }
    }

    /// The answer's line for it (without the newline): `Received image png 1234 bytes sha256
    /// 0123456789abcdef.`, `Received document "Report" pdf …`, `Received video mp4
    /// s3://bucket/clip.mp4.`
    pub(crate) fn line(&self) -> String {
        let mut line = format!("Received {}", self.kind.name());
        if let Some(name) = &self.name {
            line.push_str(&format!(" \"{name}\""));
        }
        line.push(' ');
        line.push_str(&self.format);
        match &self.content {
            Content::Bytes { len, sha } => line.push_str(&format!(" {len} bytes sha256 {sha}.")),
            Content::S3(uri) => line.push_str(&format!(" {uri}.")),
        }
        line
    }

    /// The input tokens it counts: images and videos ⌈bytes / 750⌉, documents ⌈bytes / 4⌉
    /// (at least 1); [`S3_TOKENS`] for an Amazon S3 location.
    pub(crate) fn tokens(&self) -> u32 {
        match &self.content {
            Content::S3(_) => S3_TOKENS,
            Content::Bytes { len, .. } => {
                let per = if self.kind == Kind::Document { 4 } else { 750 };
                u32::try_from(len.div_ceil(per).max(1)).unwrap_or(u32::MAX)
            }
        }
    }

    fn len(&self) -> usize {
        match &self.content {
            Content::Bytes { len, .. } => *len,
            Content::S3(_) => 0,
        }
    }
}

/// The answer's first tokens for these attachments: one line each, cut at spaces like words
/// (`"Received"`, `" image"`, `" png"`, …, `" 0123456789abcdef.\n"`).
pub(crate) fn line_tokens(attachments: &[Attachment]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attachments {
        let line = a.line();
        let mut words: Vec<String> = line
            .split(' ')
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    w.to_owned()
                } else {
                    format!(" {w}")
                }
            })
            .collect();
        if let Some(last) = words.last_mut() {
            last.push('\n');
        }
        out.extend(words);
    }
    out
}

/// The input tokens these attachments add.
pub(crate) fn tokens(attachments: &[Attachment]) -> u32 {
    attachments
        .iter()
        .fold(0u32, |n, a| n.saturating_add(a.tokens()))
}

/// Which attachments a model takes through Converse (see the README's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caps {
    pub image: bool,
    pub document: bool,
    pub video: bool,
    /// Amazon S3 locations for images, documents and videos.
    pub s3: bool,
    /// Claude 3 or later: also Anthropic's 20 images and documents together.
    pub claude: bool,
}

impl Caps {
    /// Everything allowed (for tests of the structural checks).
    #[cfg(test)]
    pub(crate) const ALL: Caps = Caps {
        image: true,
        document: true,
        video: true,
        s3: true,
        claude: false,
    };

    /// What `model_id` (an id, profile or ARN the emulator serves) accepts.
    pub(crate) fn of(model_id: &str) -> Caps {
        let none = Caps {
            image: false,
            document: false,
            video: false,
            s3: false,
            claude: false,
        };
        let (Some(family), Some(base)) = (Family::of_model(model_id), base_model_id(model_id))
        else {
            return none;
        };
        let model = base.split_once('.').map_or(base, |(_, m)| m);
        let starts = |prefixes: &[&str]| prefixes.iter().any(|p| model.starts_with(p));
        let nova_media = family == Family::Nova && !model.starts_with("nova-micro");
        let image = match family {
            Family::ClaudeMessages => !model.starts_with("claude-3-5-haiku"),
            Family::Nova => nova_media,
            Family::Llama => starts(&["llama3-2-11b", "llama3-2-90b", "llama4-"]),
            Family::MistralChat => model.starts_with("pixtral-"),
            _ => false,
        };
        let document = match family {
            Family::ClaudeText
            | Family::ClaudeMessages
            | Family::Llama
            | Family::Mistral
            | Family::MistralChat
            | Family::CohereCommandR => true,
            Family::TitanText => !model.starts_with("titan-text-premier"),
            Family::Nova => nova_media,
            Family::Jamba => model.starts_with("jamba-1-5"),
            _ => false,
        };
        Caps {
            image,
            document,
            video: nova_media,
            s3: nova_media,
            claude: family == Family::ClaudeMessages,
        }
    }

    fn allows(self, kind: Kind) -> bool {
        match kind {
            Kind::Image => self.image,
            Kind::Document => self.document,
            Kind::Video => self.video,
        }
    }
}

/// Base64 (standard alphabet, padded) of a blob member at `path`: at least one byte.
fn blob(v: &Value, path: &str) -> Result<Vec<u8>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| constraint(v, path, "be base64-encoded bytes (a blob)"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| constraint(v, path, "be base64-encoded bytes (a blob)"))?;
    if bytes.is_empty() {
        return Err(constraint(
            v,
            path,
            "have length greater than or equal to 1",
        ));
    }
    Ok(bytes)
}

/// A document name of the documented characters: ASCII letters and digits, single spaces,
/// hyphens, parentheses, square brackets (and underscores, which Bedrock accepts too).
pub(crate) fn is_document_name(name: &str) -> bool {
    !name.contains("  ")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" -()[]_".contains(&b))
}

/// Validates the `image`, `document` or `video` member `v` of the Converse content block at
/// `path` (the service model's path, `messages.1.member.content.2.member`); `at` is the same
/// block as Bedrock's own messages name it (`messages.0.content.1`).
pub(crate) fn converse_block(
    kind: Kind,
    v: &Value,
    path: &str,
    at: &str,
) -> Result<Attachment, String> {
    let p = format!("{path}.{}", kind.name());
    let o = object(v, &p)?;
    let formats: &[&str] = match kind {
        Kind::Image => &IMAGE_FORMATS,
        Kind::Document => &DOCUMENT_FORMATS,
        Kind::Video => &VIDEO_FORMATS,
    };
    let format_path = format!("{p}.format");
    let format = match o.get("format").filter(|f| !f.is_null()) {
        // A document's format is optional.
        None if kind == Kind::Document => "-",
        None => return Err(constraint(&Value::Null, &format_path, "not be null")),
        Some(f) => one_of(f, &format_path, formats)?,
    };
    let name = match kind {
        Kind::Document => {
            let name_path = format!("{p}.name");
            let name = string(required(o, "name", &name_path)?, &name_path)?;
            length(name, &name_path, 1, 200)?;
            if !is_document_name(name) {
                return Err(DOCUMENT_NAME_MESSAGE.into());
            }
            Some(name)
        }
        _ => None,
    };
    let citations = kind == Kind::Document
        && o.get("citations")
            .and_then(|c| c.get("enabled"))
            .and_then(Value::as_bool)
            == Some(true);
    let source_path = format!("{p}.source");
    let members: &[&'static str] = match kind {
        Kind::Document => &["bytes", "s3Location", "text", "content"],
        _ => &["bytes", "s3Location"],
    };
    let (member, source) = union(required(o, "source", &source_path)?, &source_path, members)?;
    let member_path = format!("{source_path}.{member}");
    let text_source = || {
        if citations {
            Ok(())
        } else {
            Err(format!(
                "DocumentSource object at {at}.document.source must set one of the following \
                 keys: bytes, s3Location."
            ))
        }
    };
    let attachment = match member {
        "bytes" => Attachment::new(kind, format, name, &blob(source, &member_path)?),
        "s3Location" => {
            let loc = object(source, &member_path)?;
            let uri_path = format!("{member_path}.uri");
            let uri = string(required(loc, "uri", &uri_path)?, &uri_path)?;
            length(uri, &uri_path, 1, 1024)?;
            pattern(uri, &uri_path, S3_PATTERN, is_s3_uri)?;
            if let Some(owner) = loc.get("bucketOwner").filter(|o| !o.is_null()) {
                let owner_path = format!("{member_path}.bucketOwner");
                let owner = string(owner, &owner_path)?;
                pattern(owner, &owner_path, "[0-9]{12}", |s| {
                    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
                })?;
            }
            Attachment {
                kind,
                format: format.to_owned(),
                name: name.map(str::to_owned),
                content: Content::S3(uri.to_owned()),
                dims: None,
            }
        }
        "text" => {
            text_source()?;
            let text = string(source, &member_path)?;
            length(text, &member_path, 1, usize::MAX)?;
            Attachment::new(kind, format, name, text.as_bytes())
        }
        _ => {
            text_source()?;
            let items = list(source, &member_path)?;
            if items.is_empty() {
                return Err(constraint(
                    source,
                    &member_path,
                    "have length greater than or equal to 1",
                ));
            }
            let mut text = String::new();
            for (k, item) in items.iter().enumerate() {
                let item_path = format!("{member_path}.{}.member", k + 1);
                let (_, t) = union(item, &item_path, &["text"])?;
                text.push_str(string(t, &format!("{item_path}.text"))?);
            }
            Attachment::new(kind, format, name, text.as_bytes())
        }
    };
    if citations && !["txt", "pdf"].contains(&format) {
        return Err(
            "Unsupported document format. Only txt and pdf formats are supported when citations are enabled"
                .into(),
        );
    }
    Ok(attachment)
}

/// An attachment found in a Converse request, and where.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Bedrock's name of its block: `messages.0.content.1` or
    /// `messages.2.content.0.toolResult.content.1`.
    pub at: String,
    /// In a user message.
    pub user: bool,
    /// A top-level document in a message without a text block.
    pub lacks_text: bool,
    pub attachment: Attachment,
}

/// Bedrock's (and the model's) rules over all the attachments of a Converse request, in this
/// order: the model takes the kind (and S3 locations); per-file sizes; image dimensions;
/// counts (documents, Claude's images + documents, images, videos); unique document names; a
/// text block beside documents; attachments only in user messages.
pub(crate) fn check_converse(caps: Caps, found: &[Found]) -> Result<(), String> {
    for f in found {
        let kind = f.attachment.kind.name();
        if !caps.allows(f.attachment.kind) {
            return Err(format!(
                "This model doesn't support {kind} content. Remove the {kind} at {} or use a \
                 model that accepts {kind}s, and try again.",
                f.at
            ));
        }
        if matches!(f.attachment.content, Content::S3(_)) && !caps.s3 {
            return Err(format!(
                "This model doesn't support Amazon S3 locations for {kind}s. Send the {kind} at \
                 {} as bytes and try again.",
                f.at
            ));
        }
    }
    for f in found {
        let a = &f.attachment;
        match a.kind {
            Kind::Image if a.len() > MAX_IMAGE_BYTES => {
                return Err(format!(
                    "The image at {} is {} bytes, which exceeds the maximum image size of 3.75 MB \
                     ({MAX_IMAGE_BYTES} bytes). Reduce the image size and try again.",
                    f.at,
                    a.len()
                ))
            }
            Kind::Document if a.len() > MAX_DOCUMENT_BYTES => {
                return Err(format!(
                    "The document at {} is {} bytes, which exceeds the maximum document size of \
                     4.5 MB ({MAX_DOCUMENT_BYTES} bytes). Reduce the document size and try again.",
                    f.at,
                    a.len()
                ))
            }
            _ => {}
        }
        if let Some((w, h)) = a.dims {
            if w > MAX_IMAGE_PIXELS || h > MAX_IMAGE_PIXELS {
                return Err(format!(
                    "The model returned the following errors: {}.image.source.bytes: At least one \
                     of the image dimensions exceed max allowed size: {MAX_IMAGE_PIXELS} pixels",
                    f.at
                ));
            }
        }
    }
    let count = |kind: Kind| found.iter().filter(|f| f.attachment.kind == kind).count();
    let (images, documents, videos) = (
        count(Kind::Image),
        count(Kind::Document),
        count(Kind::Video),
    );
    if documents > MAX_DOCUMENTS {
        return Err(format!(
            "Too many documents: the request has {documents}, and a request can include up to \
             {MAX_DOCUMENTS}. Remove documents and try again."
        ));
    }
    if caps.claude && images + documents > MAX_CLAUDE_IMAGES_AND_DOCUMENTS {
        return Err(claude_too_many(images, documents));
    }
    if images > MAX_IMAGES {
        return Err(format!(
            "Too many images: the request has {images}, and a request can include up to \
             {MAX_IMAGES}. Remove images and try again."
        ));
    }
    if videos > MAX_VIDEOS {
        return Err(format!(
            "Too many videos: the request has {videos}, and a request can include only \
             {MAX_VIDEOS}. Remove videos and try again."
        ));
    }
    let mut names = std::collections::HashSet::new();
    for name in found.iter().filter_map(|f| f.attachment.name.as_deref()) {
        if !names.insert(name) {
            return Err(DUPLICATE_NAME_MESSAGE.into());
        }
    }
    if found.iter().any(|f| f.lacks_text) {
        return Err(DOCUMENT_TEXT_MESSAGE.into());
    }
    if let Some(f) = found.iter().find(|f| !f.user) {
        let kind = f.attachment.kind.name();
        return Err(format!(
            "Only user messages can include images, documents and videos: the {kind} at {} is \
             in an assistant message.",
            f.at
        ));
    }
    Ok(())
}

/// Anthropic's message (passed on by Bedrock) for more than 20 images and documents.
fn claude_too_many(images: usize, documents: usize) -> String {
    format!(
        "The model returned the following errors: too many images and documents: {images} + \
         {documents} > {MAX_CLAUDE_IMAGES_AND_DOCUMENTS}"
    )
}

/// The native Claude Messages (`InvokeModel`) content block `p` of type `image` or `document`
/// at `messages.{i}.content.{j}`, validated with Anthropic's messages.
pub(crate) fn claude_block(
    kind: &str,
    p: &Map<String, Value>,
    at: &str,
) -> Result<Attachment, String> {
    let source = match p.get("source") {
        None => return Err(format!("{at}.{kind}.source: Field required")),
        Some(Value::Object(s)) => s,
        Some(_) => {
            return Err(format!(
                "{at}.{kind}.source: Input should be a valid dictionary or object to extract \
                 fields from"
            ))
        }
    };
    let tags: &[&str] = if kind == "image" {
        &["base64"]
    } else {
        &["base64", "text"]
    };
    let tag = match source.get("type") {
        None => {
            return Err(format!(
                "{at}.{kind}.source: Unable to extract tag using discriminator 'type'"
            ))
        }
        Some(Value::String(t)) if tags.contains(&t.as_str()) => t.as_str(),
        Some(t) => {
            let shown = t.as_str().map_or_else(|| t.to_string(), str::to_owned);
            let expected: Vec<String> = tags.iter().map(|t| format!("'{t}'")).collect();
            return Err(format!(
                "{at}.{kind}.source: Input tag '{shown}' found using 'type' does not match any \
                 of the expected tags: {}",
                expected.join(", ")
            ));
        }
    };
    let path = format!("{at}.{kind}.source.{tag}");
    let media_types: &[&str] = match (kind, tag) {
        ("image", _) => &["image/jpeg", "image/png", "image/gif", "image/webp"],
        (_, "base64") => &["application/pdf"],
        _ => &["text/plain"],
    };
    let media_type = match source.get("media_type") {
        None => return Err(format!("{path}.media_type: Field required")),
        Some(Value::String(m)) if media_types.contains(&m.as_str()) => m.as_str(),
        Some(_) => {
            let quoted: Vec<String> = media_types.iter().map(|m| format!("'{m}'")).collect();
            let list = match quoted.as_slice() {
                [one] => one.clone(),
                [head @ .., last] => format!("{} or {last}", head.join(", ")),
                [] => String::new(),
            };
            return Err(format!("{path}.media_type: Input should be {list}"));
        }
    };
    let data = match source.get("data") {
        None => return Err(format!("{path}.data: Field required")),
        Some(Value::String(d)) => d.as_str(),
        Some(_) => return Err(format!("{path}.data: Input should be a valid string")),
    };
    let format = media_type.rsplit('/').next().unwrap_or(media_type);
    let format = if format == "plain" { "txt" } else { format };
    let kind = if kind == "image" {
        Kind::Image
    } else {
        Kind::Document
    };
    if tag == "text" {
        return Ok(Attachment::new(kind, format, None, data.as_bytes()));
    }
    if kind == Kind::Image && data.len() > MAX_NATIVE_IMAGE_BASE64 {
        return Err(format!(
            "{at}.image.source.base64: image exceeds 5 MB maximum: {} bytes > \
             {MAX_NATIVE_IMAGE_BASE64} bytes",
            data.len()
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| format!("{path}.data: Invalid base64 data"))?;
    let a = Attachment::new(kind, format, None, &bytes);
    if let Some((w, h)) = a.dims {
        if w > MAX_IMAGE_PIXELS || h > MAX_IMAGE_PIXELS {
            return Err(format!(
                "{path}.data: At least one of the image dimensions exceed max allowed size: \
                 {MAX_IMAGE_PIXELS} pixels"
            ));
        }
    }
    Ok(a)
}

/// Claude's limit over a native body's images and documents.
pub(crate) fn check_claude(attachments: &[Attachment]) -> Result<(), String> {
    let images = attachments.iter().filter(|a| a.kind == Kind::Image).count();
    let documents = attachments.len() - images;
    if images + documents > MAX_CLAUDE_IMAGES_AND_DOCUMENTS {
        return Err(format!(
            "too many images and documents: {images} + {documents} > \
             {MAX_CLAUDE_IMAGES_AND_DOCUMENTS}"
        ));
    }
    Ok(())
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// Width and height of a PNG, GIF, JPEG or WebP image, read from its header; `None` when the
/// bytes are none of these (or too short to tell).
pub(crate) fn image_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
        let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
        return Some((w, h));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some((le16(b, 6)?, le16(b, 8)?));
    }
    if b.starts_with(&[0xff, 0xd8]) {
        let mut at = 2;
        while at + 4 <= b.len() {
            if b[at] != 0xff {
                return None;
            }
            let marker = b[at + 1];
            if marker == 0xff {
                at += 1;
                continue;
            }
            if marker == 0x01 || (0xd0..=0xd9).contains(&marker) {
                at += 2;
                continue;
            }
            let len = be16(b, at + 2)? as usize;
            let sof = (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker);
            if sof {
                return Some((be16(b, at + 7)?, be16(b, at + 5)?));
            }
            at += 2 + len;
        }
        return None;
    }
    if b.get(0..4) == Some(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8 " if b.get(23..26) == Some(&[0x9d, 0x01, 0x2a]) => {
                Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff))
            }
            b"VP8L" if b.get(20) == Some(&0x2f) => {
                let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header (signature and IHDR) of `w` × `h`.
    pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn reads_image_dimensions() {
        assert_eq!(image_dimensions(&png(8000, 12)), Some((8000, 12)));
        let mut gif = b"GIF89a".to_vec();
        gif.extend([0x41, 0x1f, 0x02, 0x00]);
        assert_eq!(image_dimensions(&gif), Some((8001, 2)));
        // JPEG: SOI, an APP0 segment, then SOF0 with height 300 and width 8001.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46];
        jpeg.extend([0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x1f, 0x41, 0x03]);
        assert_eq!(image_dimensions(&jpeg), Some((8001, 300)));
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend([0x40, 0x1f, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(image_dimensions(&vp8x), Some((8001, 1)));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend([0x40, 0x1f, 0x10, 0x00]);
        assert_eq!(image_dimensions(&vp8), Some((8000, 16)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        // width-1 = 8000 (14 bits), height-1 = 1.
        vp8l.extend((8000u32 | 1 << 14).to_le_bytes());
        assert_eq!(image_dimensions(&vp8l), Some((8001, 2)));
        for junk in [
            &b""[..],
            b"\x89PNG",
            b"\xff\xd8\xff",
            b"GIF8",
            b"hello world",
        ] {
            assert_eq!(image_dimensions(junk), None);
        }
    }

    #[test]
    fn lines_and_tokens() {
        let a = Attachment::new(Kind::Image, "png", None, b"abc");
        assert_eq!(
            a.line(),
            "Received image png 3 bytes sha256 ba7816bf8f01cfea."
        );
        let d = Attachment::new(Kind::Document, "pdf", Some("My file (1)"), &[0; 4001]);
        assert!(d
            .line()
            .starts_with("Received document \"My file (1)\" pdf 4001 bytes sha256 "));
        assert_eq!((a.tokens(), d.tokens()), (1, 1001));
        assert_eq!(
            Attachment::new(Kind::Video, "mp4", None, &[1; 1501]).tokens(),
            3
        );
        assert_eq!(
            line_tokens(std::slice::from_ref(&a)),
            [
                "Received",
                " image",
                " png",
                " 3",
                " bytes",
                " sha256",
                " ba7816bf8f01cfea.\n"
            ]
        );
        assert_eq!(tokens(&[a, d]), 1002);
    }

    #[test]
    fn document_names() {
        for ok in ["a", "My report (v2) [final]", "x-y_z 1", &"n".repeat(200)] {
            assert!(is_document_name(ok), "{ok}");
        }
        for bad in [
            "a  b",
            "report.pdf",
            "a/b",
            "a\tb",
            "café",
            "a\u{3000}b",
            "it's",
        ] {
            assert!(!is_document_name(bad), "{bad}");
        }
    }

    #[test]
    fn capabilities() {
        let c = |id: &str| {
            let c = Caps::of(id);
            (c.image, c.document, c.video)
        };
        assert_eq!(
            c("anthropic.claude-3-haiku-20240307-v1:0"),
            (true, true, false)
        );
        assert_eq!(
            c("us.anthropic.claude-sonnet-4-20250514-v1:0"),
            (true, true, false)
        );
        assert_eq!(
            c("anthropic.claude-3-5-haiku-20241022-v1:0"),
            (false, true, false)
        );
        assert_eq!(c("anthropic.claude-v2"), (false, true, false));
        assert_eq!(c("amazon.nova-lite-v1:0"), (true, true, true));
        assert_eq!(c("us.amazon.nova-premier-v1:0"), (true, true, true));
        assert_eq!(c("amazon.nova-micro-v1:0"), (false, false, false));
        assert_eq!(c("meta.llama3-2-11b-instruct-v1:0"), (true, true, false));
        assert_eq!(
            c("meta.llama4-maverick-17b-instruct-v1:0"),
            (true, true, false)
        );
        assert_eq!(c("meta.llama3-8b-instruct-v1:0"), (false, true, false));
        assert_eq!(c("mistral.pixtral-large-2502-v1:0"), (true, true, false));
        assert_eq!(c("mistral.mistral-large-2407-v1:0"), (false, true, false));
        assert_eq!(c("amazon.titan-text-express-v1"), (false, true, false));
        assert_eq!(c("amazon.titan-text-premier-v1:0"), (false, false, false));
        assert_eq!(c("cohere.command-r-v1:0"), (false, true, false));
        assert_eq!(c("cohere.command-text-v14"), (false, false, false));
        assert_eq!(c("ai21.jamba-1-5-mini-v1:0"), (false, true, false));
        assert_eq!(c("ai21.jamba-instruct-v1:0"), (false, false, false));
        assert!(Caps::of("amazon.nova-pro-v1:0").s3);
        assert!(!Caps::of("anthropic.claude-3-haiku-20240307-v1:0").s3);
        assert!(Caps::of("anthropic.claude-3-haiku-20240307-v1:0").claude);
    }
}
