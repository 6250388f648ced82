//! Attachments: which files Bedrock takes as Converse `image`, `document` or `video` blocks,
//! the limits it puts on them, and the names documents may carry. A caller checks them before
//! sending, so a person reads what to change instead of a ValidationException after upload.

use super::converse::{Blob, ContentBlock, DocumentBlock, ImageBlock, MediaSource};
use super::Error;

/// The kind of content block a file becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Document,
    Video,
}

impl MediaKind {
    /// The block's name in Converse (`image`, `document`, `video`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Video => "video",
        }
    }

    /// Bedrock's limits for this kind in one Converse request (the whole `messages` history
    /// counts): bytes per file and files per request.
    pub fn limits(self) -> Limits {
        match self {
            Self::Image => Limits {
                max_bytes: 3_750_000,
                max_count: 20,
            },
            Self::Document => Limits {
                max_bytes: 4_500_000,
                max_count: 5,
            },
            // Video as bytes in the request (larger ones go through S3).
            Self::Video => Limits {
                max_bytes: 25_000_000,
                max_count: 1,
            },
        }
    }
}

/// Bedrock's limits for one kind of attachment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_count: usize,
}

/// A file type Bedrock takes: its kind, Converse's `format` and the MIME type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaType {
    pub kind: MediaKind,
    /// Converse's `format` (`png`, `jpeg`, `pdf`, `three_gp`, …).
    pub format: &'static str,
    pub mime: &'static str,
}

/// `(file extension, MIME type, kind, Converse format)`.
const TYPES: &[(&str, &str, MediaKind, &str)] = &[
    ("png", "image/png", MediaKind::Image, "png"),
    ("jpg", "image/jpeg", MediaKind::Image, "jpeg"),
    ("jpeg", "image/jpeg", MediaKind::Image, "jpeg"),
    ("gif", "image/gif", MediaKind::Image, "gif"),
    ("webp", "image/webp", MediaKind::Image, "webp"),
    ("pdf", "application/pdf", MediaKind::Document, "pdf"),
    ("csv", "text/csv", MediaKind::Document, "csv"),
    ("doc", "application/msword", MediaKind::Document, "doc"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        MediaKind::Document,
        "docx",
    ),
    (
        "xls",
        "application/vnd.ms-excel",
        MediaKind::Document,
        "xls",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        MediaKind::Document,
        "xlsx",
    ),
    ("html", "text/html", MediaKind::Document, "html"),
    ("htm", "text/html", MediaKind::Document, "html"),
    ("txt", "text/plain", MediaKind::Document, "txt"),
    ("md", "text/markdown", MediaKind::Document, "md"),
    ("mkv", "video/x-matroska", MediaKind::Video, "mkv"),
    ("mov", "video/quicktime", MediaKind::Video, "mov"),
    ("mp4", "video/mp4", MediaKind::Video, "mp4"),
    ("webm", "video/webm", MediaKind::Video, "webm"),
    ("flv", "video/x-flv", MediaKind::Video, "flv"),
    ("mpeg", "video/mpeg", MediaKind::Video, "mpeg"),
    ("mpg", "video/mpeg", MediaKind::Video, "mpg"),
    ("wmv", "video/x-ms-wmv", MediaKind::Video, "wmv"),
    ("3gp", "video/3gpp", MediaKind::Video, "three_gp"),
];

fn entry(t: &(&str, &'static str, MediaKind, &'static str)) -> MediaType {
    MediaType {
        kind: t.2,
        format: t.3,
        mime: t.1,
    }
}

/// The type of a file from its name's extension, else its MIME type (browsers leave the MIME
/// type empty for `.md` and many office files); `None` when Bedrock takes no such file.
pub fn media_type(file_name: &str, mime: &str) -> Option<MediaType> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    TYPES
        .iter()
        .find(|t| t.0 == ext)
        .or_else(|| TYPES.iter().find(|t| !mime.is_empty() && t.1 == mime))
        .map(entry)
}

/// The type of a Converse `format` of `kind` (`None` for one Bedrock does not list).
pub fn from_format(kind: MediaKind, format: &str) -> Option<MediaType> {
    TYPES
        .iter()
        .find(|t| t.2 == kind && t.3 == format)
        .map(entry)
}

/// The file types the picker offers, as an `accept` attribute (`.png,.jpg,…`).
pub fn accept() -> String {
    let mut s = String::new();
    for t in TYPES {
        if !s.is_empty() {
            s.push(',');
        }
        s.push('.');
        s.push_str(t.0);
    }
    s
}

/// The longest document name Bedrock takes.
pub const MAX_DOCUMENT_NAME: usize = 200;

/// A document name Bedrock accepts, from a file name: its stem with only ASCII letters and
/// digits, single spaces, hyphens, parentheses and square brackets (anything else becomes a
/// space), at most [`MAX_DOCUMENT_NAME`] characters; `document` when nothing is left.
/// Bedrock reads the name as part of the prompt, so it also guards against injection there.
pub fn document_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(s, _)| s)
        .trim();
    let mut out = String::new();
    for c in stem.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']') {
            c
        } else {
            ' '
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if out.len() == MAX_DOCUMENT_NAME {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end();
    if out.is_empty() {
        "document".into()
    } else {
        out.into()
    }
}

/// `name`, or `name (2)`, `name (3)`, … so that it differs from every name in `taken`
/// (Bedrock refuses two documents of one name in a request).
pub fn unique_name<'a>(name: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut candidate = name.to_owned();
    let mut n = 1u32;
    while taken.clone().any(|t| t == candidate) {
        n += 1;
        let suffix = format!(" ({n})");
        let mut stem = name.to_owned();
        while stem.len() + suffix.len() > MAX_DOCUMENT_NAME {
            stem.pop();
        }
        candidate = format!("{}{suffix}", stem.trim_end());
    }
    candidate
}

/// One attachment, as a Converse content block: the file's bytes, its type and, for a
/// document, its name.
pub fn content_block(t: MediaType, name: &str, bytes: Vec<u8>) -> ContentBlock {
    let source = MediaSource::Bytes(Blob(bytes));
    match t.kind {
        MediaKind::Image => ContentBlock::Image(ImageBlock {
            format: t.format.into(),
            source,
            extra: Default::default(),
        }),
        MediaKind::Document => ContentBlock::Document(DocumentBlock {
            format: Some(t.format.into()),
            name: name.into(),
            source,
            extra: Default::default(),
        }),
        MediaKind::Video => {
            let mut video = serde_json::Map::new();
            video.insert(
                "video".into(),
                serde_json::json!({
                    "format": t.format,
                    "source": { "bytes": Blob(source_bytes(source)) },
                }),
            );
            ContentBlock::Other(video)
        }
    }
}

fn source_bytes(s: MediaSource) -> Vec<u8> {
    match s {
        MediaSource::Bytes(b) => b.0,
        _ => Vec::new(),
    }
}

/// "1.25 MB", without floating point (its formatting code weighs on the page).
pub fn megabytes(bytes: u64) -> String {
    format!("{}.{:02} MB", bytes / 1_000_000, bytes % 1_000_000 / 10_000)
}

/// Checks files bound for one request against Bedrock's limits: `(kind, file name, size)`
/// for every attachment of the conversation, oldest first. The error names the file and says
/// what to do.
pub fn check<'a>(files: impl IntoIterator<Item = (MediaKind, &'a str, u64)>) -> Result<(), Error> {
    let mut counts = [0usize; 3];
    for (kind, name, size) in files {
        let limits = kind.limits();
        if size == 0 {
            return Err(Error::input(format!(
                "{name} is empty: attach a file with something in it"
            )));
        }
        if size > limits.max_bytes {
            return Err(Error::input(format!(
                "{name} is {}: Bedrock takes {}s up to {} each; make it smaller or leave it out",
                megabytes(size),
                kind.as_str(),
                megabytes(limits.max_bytes),
            )));
        }
        let count = &mut counts[kind as usize];
        *count += 1;
        if *count > limits.max_count {
            return Err(Error::input(format!(
                "{name} would be {kind} number {count} in this conversation: Bedrock takes at \
                 most {} per request; remove one or start a new conversation",
                limits.max_count,
                kind = kind.as_str(),
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_extension_then_mime() {
        let t = media_type("Photo.JPG", "").unwrap();
        assert_eq!(
            (t.kind, t.format, t.mime),
            (MediaKind::Image, "jpeg", "image/jpeg")
        );
        assert_eq!(media_type("notes.md", "").unwrap().format, "md");
        assert_eq!(media_type("clip", "video/3gpp").unwrap().format, "three_gp");
        assert_eq!(
            media_type("blob", "image/webp").unwrap().kind,
            MediaKind::Image
        );
        assert!(media_type("song.mp3", "audio/mpeg").is_none());
        assert!(media_type("", "").is_none());
        assert_eq!(
            from_format(MediaKind::Document, "docx").unwrap().mime,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert!(from_format(MediaKind::Image, "pdf").is_none());
        assert!(accept().starts_with(".png,.jpg,"));
    }

    #[test]
    fn document_names_follow_bedrocks_rule() {
        assert_eq!(document_name("Q3 report (final).pdf"), "Q3 report (final)");
        assert_eq!(document_name("a__b..c.txt"), "a b c");
        assert_eq!(document_name("  many   spaces  .md"), "many spaces");
        assert_eq!(document_name("übersicht[1].csv"), "bersicht[1]");
        assert_eq!(document_name("…….pdf"), "document");
        assert_eq!(document_name(".pdf"), "document");
        assert_eq!(document_name("noext"), "noext");
        let long = "x".repeat(500) + ".txt";
        assert_eq!(document_name(&long).len(), MAX_DOCUMENT_NAME);
        // Every name it makes passes the rule.
        for input in ["a  b", "--", "((x))", "\u{0}\t\n.", "日本語 file.pdf"] {
            let n = document_name(input);
            assert!(!n.is_empty() && !n.contains("  ") && n.trim() == n, "{n:?}");
            assert!(n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " -()[]".contains(c)));
        }
    }

    #[test]
    fn unique_names_count_up() {
        let taken = ["report", "report (2)"];
        assert_eq!(unique_name("report", taken.iter().copied()), "report (3)");
        assert_eq!(unique_name("other", taken.iter().copied()), "other");
        let long = "y".repeat(MAX_DOCUMENT_NAME);
        let u = unique_name(&long, [long.as_str()].into_iter());
        assert!(u.ends_with(" (2)") && u.len() <= MAX_DOCUMENT_NAME);
    }

    #[test]
    fn limits_at_and_past_the_bound() {
        use MediaKind::*;
        assert!(check([(Image, "a.png", 3_750_000)]).is_ok());
        let e = check([(Image, "a.png", 3_750_001)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input: a.png is 3.75 MB: Bedrock takes images up to 3.75 MB each; make it smaller or leave it out"
        );
        assert!(check([(Document, "d.pdf", 0)]).is_err());
        let five: Vec<_> = (0..5).map(|_| (Document, "d.pdf", 10)).collect();
        assert!(check(five.clone()).is_ok());
        let mut six = five;
        six.push((Document, "sixth.pdf", 10));
        let e = check(six).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid input: sixth.pdf would be document number 6"),
            "{e}"
        );
        assert!(check((0..20).map(|_| (Image, "i.png", 1))).is_ok());
        assert!(check((0..21).map(|_| (Image, "i.png", 1))).is_err());
        assert!(check([(Video, "v.mp4", 1), (Video, "w.mp4", 1)]).is_err());
        assert_eq!(megabytes(4_500_000), "4.50 MB");
        assert_eq!(megabytes(12_345), "0.01 MB");
    }

    #[test]
    fn blocks_are_converses() {
        let t = media_type("r.pdf", "").unwrap();
        let b = content_block(t, "r", vec![1, 2]);
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({"document": {"format": "pdf", "name": "r", "source": {"bytes": "AQI="}}})
        );
        let v = content_block(media_type("v.mp4", "").unwrap(), "v", vec![3]);
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"video": {"format": "mp4", "source": {"bytes": "Aw=="}}})
        );
    }
}
