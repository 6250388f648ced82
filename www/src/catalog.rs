//! The model catalog: Bedrock text models by provider, with the APIs they answer, their
//! system inference profiles and an on-demand price where known.

use bedrock_wasm::bedrock::media::MediaKind;
use bedrock_wasm::bedrock::ModelFamily;

/// One catalog entry.
pub struct Model {
    pub provider: &'static str,
    pub name: &'static str,
    pub id: &'static str,
    /// Whether InvokeModel only (no Converse).
    pub invoke_only: bool,
    /// Speech to speech (Nova Sonic): InvokeModelWithBidirectionalStream only, through the
    /// Voice panel.
    pub speech: bool,
    /// Geographies with a system inference profile (`us` → `us.<id>`).
    pub profiles: &'static [&'static str],
    /// USD per million input and output tokens, on-demand in us-east-1 (an estimate).
    pub price: Option<(f64, f64)>,
}

const fn m(
    provider: &'static str,
    name: &'static str,
    id: &'static str,
    profiles: &'static [&'static str],
    price: (f64, f64),
) -> Model {
    Model {
        provider,
        name,
        id,
        invoke_only: false,
        speech: false,
        profiles,
        price: Some(price),
    }
}

const US: &[&str] = &["us"];
const US_EU_APAC: &[&str] = &["us", "eu", "apac"];
const NONE: &[&str] = &[];

pub const MODELS: &[Model] = &[
    m(
        "Anthropic",
        "Claude 2",
        "anthropic.claude-v2",
        NONE,
        (8.0, 24.0),
    ),
    m(
        "Anthropic",
        "Claude 2.1",
        "anthropic.claude-v2:1",
        NONE,
        (8.0, 24.0),
    ),
    m(
        "Anthropic",
        "Claude Instant",
        "anthropic.claude-instant-v1",
        NONE,
        (0.8, 2.4),
    ),
    m(
        "Anthropic",
        "Claude 3 Haiku",
        "anthropic.claude-3-haiku-20240307-v1:0",
        US_EU_APAC,
        (0.25, 1.25),
    ),
    m(
        "Anthropic",
        "Claude 3.5 Haiku",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        US,
        (0.8, 4.0),
    ),
    m(
        "Anthropic",
        "Claude 3.5 Sonnet v2",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        &["us", "apac"],
        (3.0, 15.0),
    ),
    m(
        "Anthropic",
        "Claude 3.7 Sonnet",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        US_EU_APAC,
        (3.0, 15.0),
    ),
    m(
        "Anthropic",
        "Claude Sonnet 4",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        &["us", "eu", "apac", "global"],
        (3.0, 15.0),
    ),
    m(
        "Anthropic",
        "Claude Opus 4.1",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        US,
        (15.0, 75.0),
    ),
    m(
        "Amazon",
        "Nova Micro",
        "amazon.nova-micro-v1:0",
        US_EU_APAC,
        (0.035, 0.14),
    ),
    m(
        "Amazon",
        "Nova Lite",
        "amazon.nova-lite-v1:0",
        US_EU_APAC,
        (0.06, 0.24),
    ),
    m(
        "Amazon",
        "Nova Pro",
        "amazon.nova-pro-v1:0",
        US_EU_APAC,
        (0.8, 3.2),
    ),
    m(
        "Amazon",
        "Nova 2 Lite",
        "amazon.nova-2-lite-v1:0",
        &["us", "global"],
        (0.3, 2.5),
    ),
    m(
        "Amazon",
        "Nova Premier",
        "amazon.nova-premier-v1:0",
        US,
        (2.5, 12.5),
    ),
    // Speech in and out: the price is Nova Sonic's per speech token (text costs less).
    Model {
        speech: true,
        ..m(
            "Amazon",
            "Nova Sonic (voice)",
            "amazon.nova-sonic-v1:0",
            US,
            (3.4, 13.6),
        )
    },
    Model {
        speech: true,
        // Not known here.
        price: None,
        ..m(
            "Amazon",
            "Nova 2 Sonic (voice)",
            "amazon.nova-2-sonic-v1:0",
            US,
            (0.0, 0.0),
        )
    },
    m(
        "Amazon",
        "Titan Text G1 - Express",
        "amazon.titan-text-express-v1",
        NONE,
        (0.2, 0.6),
    ),
    m(
        "Amazon",
        "Titan Text G1 - Lite",
        "amazon.titan-text-lite-v1",
        NONE,
        (0.15, 0.2),
    ),
    m(
        "Meta",
        "Llama 3 8B Instruct",
        "meta.llama3-8b-instruct-v1:0",
        NONE,
        (0.3, 0.6),
    ),
    m(
        "Meta",
        "Llama 3 70B Instruct",
        "meta.llama3-70b-instruct-v1:0",
        NONE,
        (2.65, 3.5),
    ),
    m(
        "Meta",
        "Llama 3.1 8B Instruct",
        "meta.llama3-1-8b-instruct-v1:0",
        US,
        (0.22, 0.22),
    ),
    m(
        "Meta",
        "Llama 3.3 70B Instruct",
        "meta.llama3-3-70b-instruct-v1:0",
        US,
        (0.72, 0.72),
    ),
    m(
        "Mistral AI",
        "Mistral 7B Instruct",
        "mistral.mistral-7b-instruct-v0:2",
        NONE,
        (0.15, 0.2),
    ),
    m(
        "Mistral AI",
        "Mixtral 8x7B Instruct",
        "mistral.mixtral-8x7b-instruct-v0:1",
        NONE,
        (0.45, 0.7),
    ),
    m(
        "Mistral AI",
        "Mistral Large (24.02)",
        "mistral.mistral-large-2402-v1:0",
        NONE,
        (4.0, 12.0),
    ),
    m(
        "Mistral AI",
        "Mistral Large 2 (24.07)",
        "mistral.mistral-large-2407-v1:0",
        NONE,
        (2.0, 6.0),
    ),
    Model {
        invoke_only: true,
        ..m(
            "Cohere",
            "Command",
            "cohere.command-text-v14",
            NONE,
            (1.5, 2.0),
        )
    },
    Model {
        invoke_only: true,
        ..m(
            "Cohere",
            "Command Light",
            "cohere.command-light-text-v14",
            NONE,
            (0.3, 0.6),
        )
    },
    m(
        "Cohere",
        "Command R",
        "cohere.command-r-v1:0",
        NONE,
        (0.5, 1.5),
    ),
    m(
        "Cohere",
        "Command R+",
        "cohere.command-r-plus-v1:0",
        NONE,
        (3.0, 15.0),
    ),
    m(
        "AI21 Labs",
        "Jamba 1.5 Mini",
        "ai21.jamba-1-5-mini-v1:0",
        NONE,
        (0.2, 0.4),
    ),
    m(
        "AI21 Labs",
        "Jamba 1.5 Large",
        "ai21.jamba-1-5-large-v1:0",
        NONE,
        (2.0, 8.0),
    ),
];

/// Providers in catalog order.
pub fn providers() -> Vec<&'static str> {
    let mut out: Vec<&str> = Vec::new();
    for model in MODELS {
        if !out.contains(&model.provider) {
            out.push(model.provider);
        }
    }
    out
}

/// The model id without an emulator fault prefix (`emulator-fault:<spec>:<id>`).
pub fn strip_fault(model_id: &str) -> &str {
    let id = model_id.trim();
    match id.strip_prefix("emulator-fault:") {
        Some(rest) => rest.split_once(':').map_or(rest, |(_, id)| id),
        None => id,
    }
}

/// The catalog entry of a model id, inference profile id or foundation-model ARN.
pub fn find(model_id: &str) -> Option<&'static Model> {
    let id = strip_fault(model_id);
    let id = id.rsplit('/').next().unwrap_or(id);
    MODELS
        .iter()
        .find(|m| id == m.id || id.strip_suffix(m.id).is_some_and(|geo| geo.ends_with('.')))
}

/// The family that answers for `model_id` (fault prefixes ignored).
pub fn family(model_id: &str) -> ModelFamily {
    ModelFamily::from_model_id(strip_fault(model_id))
}

/// Estimated cost in USD, when the model's price is known.
pub fn cost(model_id: &str, input_tokens: u64, output_tokens: u64) -> Option<f64> {
    let (i, o) = find(model_id)?.price?;
    Some((input_tokens as f64 * i + output_tokens as f64 * o) / 1e6)
}

/// Context windows (input tokens) by model-id prefix, first match wins: the providers'
/// published limits on Bedrock.
const CONTEXT_WINDOWS: &[(&str, u32)] = &[
    ("anthropic.claude-v2:1", 200_000),
    ("anthropic.claude-v2", 100_000),
    ("anthropic.claude-instant", 100_000),
    ("anthropic.claude", 200_000),
    ("amazon.nova-micro", 128_000),
    ("amazon.nova-premier", 1_000_000),
    ("amazon.nova-2-lite", 1_000_000),
    ("amazon.nova", 300_000),
    ("amazon.titan-text-express", 8_000),
    ("amazon.titan-text-lite", 4_000),
    ("meta.llama3-8b", 8_000),
    ("meta.llama3-70b", 8_000),
    ("meta.llama3", 128_000),
    ("mistral.mistral-large-2407", 128_000),
    ("mistral.", 32_000),
    ("cohere.command-r", 128_000),
    ("cohere.command", 4_000),
    ("ai21.jamba", 256_000),
];

/// Whether the model reasons with an effort (`low`, `medium`, `high`) rather than a token
/// budget: Amazon Nova 2 (`reasoningConfig.maxReasoningEffort`).
pub fn takes_effort(model_id: &str) -> bool {
    bare_id(model_id).starts_with("amazon.nova-2-")
}

/// What a model takes besides text, by model-id prefix, first match wins (AWS's "Supported
/// models and model features" table for Converse): `(prefix, images, documents, videos)`.
const MEDIA: &[(&str, bool, bool, bool)] = &[
    ("anthropic.claude-v2", false, true, false),
    ("anthropic.claude-instant", false, true, false),
    ("anthropic.claude-3-5-haiku", false, true, false),
    ("anthropic.claude", true, true, false),
    ("amazon.nova-micro", false, false, false),
    ("amazon.nova", true, true, true),
    ("amazon.titan-text-premier", false, false, false),
    ("amazon.titan", false, true, false),
    ("meta.llama3-2-11b", true, true, false),
    ("meta.llama3-2-90b", true, true, false),
    ("meta.llama4", true, true, false),
    ("meta.", false, true, false),
    ("mistral.pixtral", true, true, false),
    ("mistral.", false, true, false),
    ("cohere.command-r", false, true, false),
    ("cohere.", false, false, false),
    ("ai21.jamba-instruct", false, false, false),
    ("ai21.jamba", false, true, false),
];

/// Whether the model takes attachments of `kind`; models the catalog does not know are left
/// to Bedrock to judge.
pub fn takes(model_id: &str, kind: MediaKind) -> bool {
    let id = bare_id(model_id);
    match MEDIA.iter().find(|(prefix, ..)| id.starts_with(prefix)) {
        Some(&(_, images, documents, videos)) => match kind {
            MediaKind::Image => images,
            MediaKind::Document => documents,
            MediaKind::Video => videos,
        },
        None => true,
    }
}

/// The id CountTokens takes for `model_id`: the foundation-model id, without an ARN's path
/// or a system inference profile's geography; an emulator fault prefix is kept.
pub fn count_tokens_id(model_id: &str) -> String {
    let id = model_id.trim();
    let prefix = &id[..id.len() - strip_fault(id).len()];
    format!("{prefix}{}", bare_id(id))
}

/// The id a model is known by, without an emulator fault prefix, an ARN's path or a system
/// inference profile's geography (`us.`, `eu.`, …).
pub fn bare_id(model_id: &str) -> &str {
    let id = strip_fault(model_id);
    let id = id.rsplit('/').next().unwrap_or(id);
    match find(id) {
        Some(m) => m.id,
        None => id,
    }
}

/// The model's context window in tokens, when known.
pub fn context_window(model_id: &str) -> Option<u32> {
    let id = bare_id(model_id);
    CONTEXT_WINDOWS
        .iter()
        .find(|(prefix, _)| id.starts_with(prefix))
        .map(|&(_, n)| n)
}

/// Whether Bedrock's CountTokens counts for this model (Claude 3.5 and later; others,
/// Nova included, are refused), so the meter asks it rather than estimating.
pub fn counts_tokens(model_id: &str) -> bool {
    let id = bare_id(model_id);
    id.starts_with("anthropic.claude-")
        && !id.starts_with("anthropic.claude-3-haiku")
        && !id.starts_with("anthropic.claude-v2")
        && !id.starts_with("anthropic.claude-instant")
}

/// A rough token count where the model cannot count: a token per four bytes of text, the
/// usual rule of thumb for English.
pub fn estimate_tokens<'a>(texts: impl IntoIterator<Item = &'a str>) -> u64 {
    texts
        .into_iter()
        .map(|t| (t.len() as u64).div_ceil(4))
        .sum()
}

/// A rough token count of an attachment: an image at most about 1,600 tokens (Anthropic's
/// figure for a full-size image), other files a token per four bytes.
pub fn estimate_attachment_tokens(kind: MediaKind, bytes: u64) -> u64 {
    match kind {
        MediaKind::Image => 1_600,
        _ => bytes.div_ceil(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_windows_counting_and_estimates() {
        assert_eq!(
            bare_id("us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            "anthropic.claude-3-5-haiku-20241022-v1:0"
        );
        assert_eq!(
            bare_id("emulator-fault:throttle:eu.amazon.nova-lite-v1:0"),
            "amazon.nova-lite-v1:0"
        );
        assert_eq!(context_window("anthropic.claude-v2:1"), Some(200_000));
        assert_eq!(context_window("anthropic.claude-v2"), Some(100_000));
        assert_eq!(context_window("us.amazon.nova-micro-v1:0"), Some(128_000));
        assert_eq!(
            context_window("meta.llama3-1-8b-instruct-v1:0"),
            Some(128_000)
        );
        assert_eq!(
            context_window("mistral.mistral-large-2407-v1:0"),
            Some(128_000)
        );
        assert_eq!(context_window("writer.palmyra-x5-v1:0"), None);
        for m in MODELS {
            assert!(
                context_window(m.id).is_some(),
                "{} has a context window",
                m.id
            );
        }
        assert!(counts_tokens("us.anthropic.claude-3-5-haiku-20241022-v1:0"));
        assert!(counts_tokens("anthropic.claude-sonnet-4-20250514-v1:0"));
        assert!(!counts_tokens("anthropic.claude-3-haiku-20240307-v1:0"));
        assert!(!counts_tokens("amazon.nova-lite-v1:0"));
        assert_eq!(estimate_tokens(["abcd", "abcde", ""]), 3);
        assert_eq!(
            count_tokens_id(
                "emulator-fault:validation:us.anthropic.claude-3-5-haiku-20241022-v1:0"
            ),
            "emulator-fault:validation:anthropic.claude-3-5-haiku-20241022-v1:0"
        );
        assert_eq!(
            count_tokens_id(" eu.amazon.nova-lite-v1:0 "),
            "amazon.nova-lite-v1:0"
        );
    }

    #[test]
    fn what_models_take_besides_text() {
        use MediaKind::*;
        let claude = "us.anthropic.claude-3-7-sonnet-20250219-v1:0";
        assert!(takes(claude, Image) && takes(claude, Document) && !takes(claude, Video));
        assert!(!takes("anthropic.claude-3-5-haiku-20241022-v1:0", Image));
        assert!(!takes("anthropic.claude-v2:1", Image));
        assert!(takes("anthropic.claude-v2:1", Document));
        assert!(takes("amazon.nova-pro-v1:0", Video));
        assert!(!takes("amazon.nova-micro-v1:0", Document));
        assert!(!takes("meta.llama3-1-8b-instruct-v1:0", Image));
        assert!(!takes("cohere.command-text-v14", Document));
        assert!(takes("meta.llama3-2-90b-instruct-v1:0", Image));
        assert!(
            takes("writer.palmyra-x5-v1:0", Video),
            "unknown: Bedrock decides"
        );
    }

    #[test]
    fn finds_profiles_arns_and_fault_prefixes() {
        assert_eq!(
            find("us.anthropic.claude-3-haiku-20240307-v1:0")
                .unwrap()
                .name,
            "Claude 3 Haiku"
        );
        assert_eq!(
            find("emulator-fault:throttle=2:anthropic.claude-v2")
                .unwrap()
                .name,
            "Claude 2"
        );
        assert!(
            find("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0").is_some()
        );
        assert!(find("anthropic.claude-v2:1").is_some_and(|m| m.name == "Claude 2.1"));
        assert!(find("nothing").is_none());
    }
}
