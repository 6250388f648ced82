//! A small, safe Markdown subset rendered to Leptos views: every character of the answer ends
//! up in a DOM text node (never parsed as HTML), so a model cannot inject markup.
//!
//! Supported: fenced code blocks, `# headings`, `> quotes`, `inline code`, **bold**, *italic*
//! and [links](https://…) (http/https only). Everything else stays literal, whitespace
//! included (shown with `white-space: pre-wrap`), so plain prose renders to exactly its source
//! text. Partial Markdown while streaming is fine: an unclosed fence is a code block so far,
//! an unclosed `**` or `` ` `` stays literal until its closing marker arrives.

use std::sync::Arc;

use leptos::prelude::*;

/// A streaming answer: settled blocks (complete paragraphs outside code fences) are rendered
/// once each, in their own block box; only the open last block re-renders per token. So a
/// token costs the same at token 20,000 as at token 10 — script and layout both (measured by
/// `cargo xtask bench`; rendering the whole text per token grew with the answer). Rendering
/// is per line with state only inside fences, so the blocks render exactly as the whole text.
pub fn streaming(text: RwSignal<String>) -> impl IntoView {
    let blocks = RwSignal::new(Vec::<(u64, Arc<str>)>::new());
    let tail = RwSignal::new(String::new());
    // The settled prefix of `text` (what `blocks` hold) and the next block's key. Keys never
    // repeat, so a replaced answer gets fresh DOM rather than a stale block with the same key.
    let settled = StoredValue::new(String::new());
    let next_key = StoredValue::new(0u64);
    Effect::new(move || {
        text.with(|t| {
            settled.update_value(|done| {
                // Not a continuation (cleared, retried, replaced): start over. The prefix
                // compare is a memcmp, microseconds even for long answers.
                if !t.starts_with(done.as_str()) {
                    done.clear();
                    blocks.set(Vec::new());
                }
                let open = &t[done.len()..];
                let cut = settle_point(open);
                if cut > 0 {
                    let key = next_key.get_value();
                    next_key.set_value(key + 1);
                    blocks.update(|b| b.push((key, Arc::from(&open[..cut]))));
                    done.push_str(&open[..cut]);
                }
                tail.set(t[done.len()..].to_owned());
            });
        })
    });
    // The settled blocks share one wrapper, so a token's relayout of the answer visits two
    // boxes (the wrapper, clean and cached, and the open block), not one per paragraph.
    view! {
        <span class="blk">
            <For
                each=move || blocks.get()
                key=|(key, _)| *key
                children=|(_, src)| view! { <span class="blk">{render(&src)}</span> }
            />
        </span>
        <span class="blk">{move || tail.with(|t| render(t))}</span>
    }
}

/// Bytes of `open` (text after a settled block, so outside any code fence) that can be
/// settled: through the last blank line outside a fence, or through the last line end
/// outside a fence once the open part is long (a long list without blank lines).
fn settle_point(open: &str) -> usize {
    const LONG: usize = 2048;
    let (mut in_code, mut at, mut paragraph, mut line) = (false, 0, 0, 0);
    for l in open.split_inclusive('\n') {
        at += l.len();
        if !l.ends_with('\n') {
            break;
        }
        if l.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code {
            line = at;
            if l == "\n" {
                paragraph = at;
            }
        }
    }
    if paragraph == 0 && open.len() >= LONG {
        line
    } else {
        paragraph
    }
}

/// Renders `src`; cost is linear in `src` (one message, never the whole transcript).
pub fn render(src: &str) -> Vec<AnyView> {
    let mut out = Vec::new();
    let mut code: Option<String> = None;
    for line in src.split_inclusive('\n') {
        let fence = line.trim_start().starts_with("```");
        match (&mut code, fence) {
            (None, true) => code = Some(String::new()),
            (Some(buf), true) => {
                out.push(code_block(std::mem::take(buf)));
                code = None;
            }
            (Some(buf), false) => buf.push_str(line),
            (None, false) => line_view(line, &mut out),
        }
    }
    if let Some(buf) = code {
        out.push(code_block(buf));
    }
    out
}

fn code_block(text: String) -> AnyView {
    let text = text.strip_suffix('\n').map(str::to_owned).unwrap_or(text);
    view! { <pre class="code"><code>{text}</code></pre> }.into_any()
}

fn line_view(line: &str, out: &mut Vec<AnyView>) {
    let body = line.trim_end_matches('\n');
    let newline = &line[body.len()..];
    let hashes = body.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && body[hashes..].starts_with(' ') {
        let inner = inline(&body[hashes + 1..]);
        out.push(view! { <strong class="h">{inner}</strong> }.into_any());
    } else if let Some(rest) = body.strip_prefix("> ") {
        let inner = inline(rest);
        out.push(view! { <span class="quote">{inner}</span> }.into_any());
    } else {
        out.extend(inline(body));
    }
    if !newline.is_empty() {
        out.push(newline.to_owned().into_any());
    }
}

/// Inline spans of one line.
fn inline(s: &str) -> Vec<AnyView> {
    let mut out: Vec<AnyView> = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    let flush = |text: &mut String, out: &mut Vec<AnyView>| {
        if !text.is_empty() {
            out.push(std::mem::take(text).into_any());
        }
    };
    while let Some(c) = rest.chars().next() {
        let span = match c {
            '`' => closed(rest, "`")
                .map(|(inner, len)| (view! { <code>{inner.to_owned()}</code> }.into_any(), len)),
            '*' if rest.starts_with("**") => closed(rest, "**").map(|(inner, len)| {
                (
                    view! { <strong>{inner.to_owned()}</strong> }.into_any(),
                    len,
                )
            }),
            '*' => closed(rest, "*")
                .map(|(inner, len)| (view! { <em>{inner.to_owned()}</em> }.into_any(), len)),
            '[' => link(rest),
            _ => None,
        };
        match span {
            Some((view, len)) => {
                flush(&mut text, &mut out);
                out.push(view);
                rest = &rest[len..];
            }
            None => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    flush(&mut text, &mut out);
    out
}

/// `marker inner marker` at the start of `s`: the inner text and the whole length. The inner
/// text must be non-empty and not start or end with a space.
fn closed<'a>(s: &'a str, marker: &str) -> Option<(&'a str, usize)> {
    let after = &s[marker.len()..];
    let end = after.find(marker)?;
    let inner = &after[..end];
    let ok = !inner.is_empty() && !inner.starts_with(' ') && !inner.ends_with(' ');
    ok.then_some((inner, marker.len() * 2 + end))
}

/// `[text](http…)`: a link that opens in a new tab, without referrer.
fn link(s: &str) -> Option<(AnyView, usize)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    let url_start = close + 2;
    let url_len = s[url_start..].find(')')?;
    let url = &s[url_start..url_start + url_len];
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace);
    if !safe || text.is_empty() || text.contains('[') {
        return None;
    }
    let view = view! {
        <a href=url.to_owned() rel="noopener noreferrer nofollow" target="_blank">{text.to_owned()}</a>
    };
    Some((view.into_any(), url_start + url_len + 1))
}
