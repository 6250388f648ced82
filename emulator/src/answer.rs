//! The deterministic "model": a readable pseudo-essay chosen by a PRNG seeded from the prompt.
//!
//! The text deliberately mixes in accented Latin, Greek, CJK and emoji (including an emoji with a
//! variation selector), so every client path that splits bytes gets to split multi-byte UTF-8.

/// The text-completion stop sequence Claude v2 stops at.
pub const HUMAN_STOP: &str = "\n\nHuman:";

/// What the emulator answers for a prompt (see [`answer_for`] and [`claude_text_answer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The streamed pieces in order, e.g. `" Here"`, `" is"`, `"\n\nThe"`.
    pub tokens: Vec<String>,
    /// Why the answer ended. From [`answer_for`]: `"end_turn"` (natural end), `"max_tokens"`
    /// or `"stop_sequence"`. From [`claude_text_answer`] (Claude text-completion vocabulary):
    /// `"stop_sequence"` (natural end, at `"\n\nHuman:"`) or `"max_tokens"`.
    pub stop_reason: &'static str,
    /// [`claude_text_answer`] only: `Some("\n\nHuman:")` with `stop_sequence`, `None` with
    /// `max_tokens`. Always `None` from [`answer_for`] (see `stop_sequence`).
    pub stop: Option<&'static str>,
    pub input_tokens: u32,
    /// The stop sequence the answer stopped at, if any (one of the request's stop sequences;
    /// for [`claude_text_answer`]'s natural end, `"\n\nHuman:"`).
    pub stop_sequence: Option<String>,
}

impl Answer {
    /// The full completion text: the tokens concatenated.
    pub fn text(&self) -> String {
        self.tokens.concat()
    }

    pub fn output_tokens(&self) -> u32 {
        u32::try_from(self.tokens.len()).unwrap_or(u32::MAX)
    }
}

/// FNV-1a, 64-bit: a tiny stable hash, so answers never change between runs or platforms.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64: small, fast and good enough to pick sentences and padding lengths.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const OPENERS: &[&str] = &[
    "Here is a deterministic answer from the local Bedrock emulator ☕.",
    "Thanks for the question — here is what the emulator has to say.",
    "Certainly! Let me walk through this step by step 🧭.",
    "Here’s a thoughtful reply, generated entirely offline on your machine.",
];

/// Sentences with multi-byte UTF-8; every other sentence comes from here.
const MULTIBYTE: &[&str] = &[
    "The café around the corner serves crème brûlée to every naïve visitor.",
    "In Japanese, 日本語 is written with kanji and kana, and 東京 is the capital.",
    "A chocolate bar 🍫 and a cup of cocoa ☕ make any debugging session better.",
    "Words like Straße, façade, jalapeño and smörgåsbord need more than one byte per letter.",
    "Greek letters such as α, β and Ω appear all the time in mathematical prose.",
    "The crab 🦀 stands for Rust, while the spider web 🕸️ hints at the browser.",
    "Korean 한국어 and Chinese 中文 are stored as three bytes per character in UTF-8.",
    "A résumé, a fiancée and a coördinated plan once met in a tiny café.",
    "At 20 °C the dough rises nicely, and ½ cup of flour is usually enough.",
    "The rocket 🚀 launched, the crowd cheered 🎉, and the naïve robot waved goodbye.",
];

const ASCII: &[&str] = &[
    "Streaming responses arrive as a sequence of small binary frames.",
    "Each frame carries a prelude, a set of headers, a payload and a checksum.",
    "A careful client keeps a buffer and never assumes that reads line up with frames.",
    "Signing a request means hashing it in a canonical form and proving you hold the secret key.",
    "Clock skew of more than five minutes makes every signature look expired.",
    "Good error messages say what went wrong and what to try next.",
    "The quick brown fox jumps over the lazy dog while the compiler checks the borrow rules.",
    "Small, deterministic fixtures make failures easy to reproduce.",
    "When the connection drops halfway, the decoder should report a truncated stream.",
    "Latency is measured from the request to the first byte and then to the last byte.",
    "Every word in this answer was chosen by a tiny pseudo-random generator seeded from your prompt.",
];

/// Splits a sentence into tokens. Words get a leading space (the first one gets `lead`
/// instead); words longer than ten characters are cut in two, like sub-word tokens.
fn tokenize(sentence: &str, lead: &str, out: &mut Vec<String>) {
    for (i, word) in sentence.split(' ').enumerate() {
        let token = format!("{}{word}", if i == 0 { lead } else { " " });
        let chars = word.chars().count();
        if chars > 10 {
            let cut = token
                .char_indices()
                .nth(token.chars().count() - chars / 2)
                .map_or(token.len(), |(i, _)| i);
            out.push(token[..cut].to_owned());
            out.push(token[cut..].to_owned());
        } else {
            out.push(token);
        }
    }
}

/// True for the project's seed question, compared ignoring all whitespace: the Claude
/// text-completion prompt `"\n\nHuman: What is your name?\n\nAssistant:"` or, for chat
/// models, a last user message `"What is your name?"`.
fn is_name_question(prompt: &str) -> bool {
    let compact = prompt.split_whitespace().collect::<String>();
    compact == "Human:Whatisyourname?Assistant:" || compact == "Whatisyourname?"
}

/// Estimated input tokens of a prompt: its whitespace-separated words plus 4.
fn input_tokens(prompt: &str) -> u32 {
    u32::try_from(prompt.split_whitespace().count())
        .unwrap_or(u32::MAX)
        .saturating_add(4)
}

/// A prompt containing this marker is answered with the text after it, verbatim (a Claude
/// text prompt's closing `"\n\nAssistant:"` dropped), in 3-character tokens, so tests can make
/// the "model" say anything (hostile Markdown, long answers) and see it arrive in pieces.
pub const ECHO_MARKER: &str = "emulator-echo:";

/// The most text (bytes after [`ECHO_MARKER`]) the emulator echoes: 1 MiB, about 350,000
/// tokens. Each token becomes a planned frame of a few hundred bytes, so a 25 MB echo would
/// take gigabytes; the server refuses longer echoes with a `ValidationException`.
pub const MAX_ECHO_BYTES: usize = 1 << 20;

/// The text a prompt asks to be echoed, if it holds [`ECHO_MARKER`]: what follows the
/// marker, a Claude text prompt's closing `"\n\nAssistant:"` dropped.
pub(crate) fn echo_text(prompt: &str) -> Option<&str> {
    let (_, text) = prompt.split_once(ECHO_MARKER)?;
    Some(text.strip_suffix("\n\nAssistant:").unwrap_or(text))
}

/// Refuses a prompt asking to echo more than [`MAX_ECHO_BYTES`] (it would plan millions of
/// frames), with the `ValidationException` message the server answers.
pub(crate) fn check_echo(prompt: &str) -> Result<(), String> {
    match echo_text(prompt).map(str::len) {
        Some(n) if n > MAX_ECHO_BYTES => Err(format!(
            "The emulator echoes at most {MAX_ECHO_BYTES} bytes after {ECHO_MARKER:?}; this \
             prompt asks for {n}."
        )),
        _ => Ok(()),
    }
}

/// The natural answer to a prompt: 150–250 tokens chosen by a PRNG seeded from the prompt
/// (or the four tokens of `" My name is Claude."` for the seed question).
fn natural_tokens(prompt: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    if let Some(text) = echo_text(prompt) {
        let chars: Vec<char> = text.chars().collect();
        return chars.chunks(3).map(|c| c.iter().collect()).collect();
    }
    if is_name_question(prompt) {
        tokens.extend([" My", " name", " is", " Claude."].map(String::from));
        return tokens;
    }
    let mut rng = Rng::new(fnv1a(prompt.as_bytes()));
    let target = 150 + rng.below(81);
    tokenize(OPENERS[rng.below(OPENERS.len())], " ", &mut tokens);
    let (mut last_multi, mut last_ascii) = (usize::MAX, usize::MAX);
    let mut in_paragraph = 1;
    let mut sentence = 0usize;
    while tokens.len() < target {
        // Alternate pools so multi-byte text shows up every couple of dozen tokens.
        let text = if sentence.is_multiple_of(2) {
            let mut i = rng.below(MULTIBYTE.len());
            if i == last_multi {
                i = (i + 1) % MULTIBYTE.len();
            }
            last_multi = i;
            MULTIBYTE[i]
        } else {
            let mut i = rng.below(ASCII.len());
            if i == last_ascii {
                i = (i + 1) % ASCII.len();
            }
            last_ascii = i;
            ASCII[i]
        };
        let new_paragraph = in_paragraph >= 3 && rng.below(2) == 0;
        if new_paragraph {
            in_paragraph = 0;
        }
        in_paragraph += 1;
        tokenize(text, if new_paragraph { "\n\n" } else { " " }, &mut tokens);
        sentence += 1;
    }
    tokens
}

/// The deterministic answer the emulator gives, for every model family and operation.
///
/// `prompt` is the request's prompt text as the family defines it (see the README: the
/// `prompt`/`inputText`/`message` string for prompt-style bodies, the text of the last user
/// message for chat-style bodies and Converse). The natural answer depends on `prompt` only
/// (150–250 tokens with accented Latin, CJK, emoji and paragraph breaks; the seed question
/// gets `" My name is Claude."`). It is then cut:
///
/// 1. to its first `max_tokens` tokens;
/// 2. before the earliest occurrence of any non-empty stop sequence in that text (the token
///    holding the match is shortened, or dropped if nothing of it remains):
///    `stop_reason = "stop_sequence"`, `stop_sequence = Some(that sequence)`;
/// 3. otherwise `"max_tokens"` if step 1 removed tokens, else `"end_turn"`.
pub fn answer_for(prompt: &str, max_tokens: u32, stop_sequences: &[&str]) -> Answer {
    answer_after(Vec::new(), prompt, max_tokens, stop_sequences)
}

/// [`answer_for`] with `prefix` (the attachment lines) before the natural answer: the whole is
/// cut by `max_tokens` and the stop sequences. The input tokens are the prompt's only.
pub(crate) fn answer_after(
    prefix: Vec<String>,
    prompt: &str,
    max_tokens: u32,
    stop_sequences: &[&str],
) -> Answer {
    let mut tokens = prefix;
    tokens.extend(natural_tokens(prompt));
    let truncated = (max_tokens as usize) < tokens.len();
    tokens.truncate(max_tokens as usize);
    let text = tokens.concat();
    let earliest = stop_sequences
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s).map(|at| (at, *s)))
        .min_by_key(|(at, _)| *at);
    let (stop_reason, stop_sequence) = match earliest {
        Some((at, seq)) => {
            let mut kept = Vec::new();
            let mut offset = 0;
            for token in tokens {
                if offset + token.len() <= at {
                    offset += token.len();
                    kept.push(token);
                } else {
                    let part = &token[..at - offset];
                    if !part.is_empty() {
                        kept.push(part.to_owned());
                    }
                    break;
                }
            }
            tokens = kept;
            ("stop_sequence", Some(seq.to_owned()))
        }
        None if truncated => ("max_tokens", None),
        None => ("end_turn", None),
    };
    Answer {
        tokens,
        stop_reason,
        stop: None,
        input_tokens: input_tokens(prompt),
        stop_sequence,
    }
}

/// The deterministic answer the emulator gives for a Claude text-completion prompt.
///
/// The tokens depend on the prompt only (seeded by its FNV-1a hash); the natural length is
/// 150–250 tokens. If `max_tokens` is smaller the answer is cut to `max_tokens` tokens with
/// `stop_reason = "max_tokens"`; otherwise it ends with `"stop_sequence"` / `"\n\nHuman:"`.
/// The seed prompt `"\n\nHuman: What is your name?\n\nAssistant:"` gets `" My name is Claude."`.
/// Same tokens as `answer_for(prompt, max_tokens, &[])`, in Claude's text-completion terms.
pub fn claude_text_answer(prompt: &str, max_tokens: u32) -> Answer {
    claude_text_answer_with(prompt, max_tokens, &[])
}

/// [`claude_text_answer`] honouring the request's `stop_sequences` too: a natural end is
/// reported as `stop_sequence` at `"\n\nHuman:"`, as Claude v2 does.
pub fn claude_text_answer_with(prompt: &str, max_tokens: u32, stop_sequences: &[&str]) -> Answer {
    let mut answer = answer_for(prompt, max_tokens, stop_sequences);
    match answer.stop_reason {
        "end_turn" => {
            answer.stop_reason = "stop_sequence";
            answer.stop = Some(HUMAN_STOP);
            answer.stop_sequence = Some(HUMAN_STOP.to_owned());
        }
        // A request's own stop sequence that equals Claude's is reported the same way.
        "stop_sequence" if answer.stop_sequence.as_deref() == Some(HUMAN_STOP) => {
            answer.stop = Some(HUMAN_STOP);
        }
        _ => {}
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_multibyte() {
        for i in 0..200 {
            let prompt = format!("\n\nHuman: question number {i}\n\nAssistant:");
            let a = claude_text_answer(&prompt, 10_000);
            assert_eq!(a, claude_text_answer(&prompt, 10_000));
            assert!(
                (150..=250).contains(&a.tokens.len()),
                "{} tokens",
                a.tokens.len()
            );
            assert_eq!((a.stop_reason, a.stop), ("stop_sequence", Some(HUMAN_STOP)));
            let text = a.text();
            assert!(text.starts_with(' '));
            assert!(!text.contains(HUMAN_STOP));
            assert!(text.chars().any(|c| c.len_utf8() >= 3), "{text}");
            assert!(a.tokens.iter().all(|t| !t.is_empty()));
        }
        let a = claude_text_answer("\n\nHuman: hi\n\nAssistant:", 20);
        assert_eq!(
            (a.tokens.len(), a.stop_reason, a.stop),
            (20, "max_tokens", None)
        );
        assert!(!a.text().is_ascii(), "{}", a.text());
    }

    #[test]
    fn echo_marker_answers_the_given_text_in_pieces() {
        let a = claude_text_answer("\n\nHuman: emulator-echo:<b>hi</b> ☕\n\nAssistant:", 100);
        assert_eq!(a.text(), "<b>hi</b> ☕");
        assert_eq!(a.tokens[0], "<b>");
        assert!(a.tokens.len() > 3);
        assert_eq!(answer_for("say emulator-echo:x", 9, &[]).text(), "x");
    }

    #[test]
    fn name_question() {
        let a = claude_text_answer("\n\nHuman: What is your name?\n\nAssistant:", 300);
        assert_eq!(a.text(), " My name is Claude.");
        assert_eq!(a.stop_reason, "stop_sequence");
        assert_eq!(a.input_tokens, 6 + 4);
        let short = claude_text_answer("\n\nHuman:What is your name?\n\nAssistant:", 2);
        assert_eq!(
            (short.text().as_str(), short.stop_reason),
            (" My name", "max_tokens")
        );
        assert_eq!(
            answer_for("What is your name?", 9, &[]).text(),
            " My name is Claude."
        );
    }

    #[test]
    fn stop_sequences_cut_before_the_earliest_match() {
        let prompt = "Tell me about frames.";
        let full = answer_for(prompt, 10_000, &[]);
        assert_eq!(
            (full.stop_reason, full.stop_sequence.as_deref()),
            ("end_turn", None)
        );
        let text = full.text();
        // A stop sequence in the middle of a token, and a later one that must lose.
        let at = text.char_indices().nth(40).unwrap().0;
        let seq = &text[at..at
            + text[at..]
                .chars()
                .take(3)
                .map(char::len_utf8)
                .sum::<usize>()];
        let first = text.find(seq).unwrap();
        let a = answer_for(prompt, 10_000, &[&text[text.len() - 5..], seq, ""]);
        assert_eq!(a.text(), text[..first]);
        assert_eq!(a.stop_reason, "stop_sequence");
        assert_eq!(a.stop_sequence.as_deref(), Some(seq));
        assert!(a.tokens.iter().all(|t| !t.is_empty()));
        // Beyond max_tokens a stop sequence does not count.
        let short = answer_for(prompt, 3, &[&text[text.len() - 5..]]);
        assert_eq!((short.tokens.len(), short.stop_reason), (3, "max_tokens"));
        // The Claude text variant reports a natural end at "\n\nHuman:".
        let c = claude_text_answer_with(prompt, 10_000, &[seq]);
        assert_eq!(
            (c.text(), c.stop_reason, c.stop),
            (a.text(), "stop_sequence", None)
        );
        assert_eq!(claude_text_answer(prompt, 10_000).tokens, full.tokens);
    }
}
