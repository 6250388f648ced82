//! The incremental parser against the renderer it replaced (kept here, verbatim in its
//! logic, as the reference), and its work counted per token on normal and hostile answers.

use super::*;

/// A DOM-like tree: text, or an element (`tag.class`, href, children).
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    El(&'static str, String, Vec<Node>),
}

fn text(s: &str) -> Node {
    Node::Text(s.to_owned())
}

fn el(tag: &'static str, children: Vec<Node>) -> Node {
    Node::El(tag, String::new(), children)
}

/// Adjacent text merged and empty text dropped (text-node boundaries are not observable).
fn normalize(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for n in nodes {
        match n {
            Node::Text(s) if s.is_empty() => {}
            Node::Text(s) => match out.last_mut() {
                Some(Node::Text(prev)) => prev.push_str(&s),
                _ => out.push(Node::Text(s)),
            },
            Node::El(tag, href, children) => out.push(Node::El(tag, href, normalize(children))),
        }
    }
    out
}

// The renderer before this change (www/src/markdown.rs), producing the tree instead of
// Leptos views: the reference for what the page shows.

fn old_render(src: &str) -> Vec<Node> {
    let mut out = Vec::new();
    let mut code: Option<String> = None;
    for line in src.split_inclusive('\n') {
        let fence = line.trim_start().starts_with("```");
        match (&mut code, fence) {
            (None, true) => code = Some(String::new()),
            (Some(buf), true) => {
                out.push(old_code_block(std::mem::take(buf)));
                code = None;
            }
            (Some(buf), false) => buf.push_str(line),
            (None, false) => old_line_view(line, &mut out),
        }
    }
    if let Some(buf) = code {
        out.push(old_code_block(buf));
    }
    out
}

fn old_code_block(text: String) -> Node {
    let text = text.strip_suffix('\n').map(str::to_owned).unwrap_or(text);
    el("pre.code", vec![el("code", vec![Node::Text(text)])])
}

fn old_line_view(line: &str, out: &mut Vec<Node>) {
    let body = line.trim_end_matches('\n');
    let newline = &line[body.len()..];
    let hashes = body.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && body[hashes..].starts_with(' ') {
        out.push(el("strong.h", old_inline(&body[hashes + 1..])));
    } else if let Some(rest) = body.strip_prefix("> ") {
        out.push(el("span.quote", old_inline(rest)));
    } else {
        out.extend(old_inline(body));
    }
    if !newline.is_empty() {
        out.push(text(newline));
    }
}

fn old_inline(s: &str) -> Vec<Node> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let span = match c {
            '`' => old_closed(rest, "`").map(|(inner, len)| (el("code", vec![text(inner)]), len)),
            '*' if rest.starts_with("**") => {
                old_closed(rest, "**").map(|(inner, len)| (el("strong", vec![text(inner)]), len))
            }
            '*' => old_closed(rest, "*").map(|(inner, len)| (el("em", vec![text(inner)]), len)),
            '[' => old_link(rest),
            _ => None,
        };
        match span {
            Some((node, len)) => {
                out.push(Node::Text(std::mem::take(&mut buf)));
                out.push(node);
                rest = &rest[len..];
            }
            None => {
                buf.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out.push(Node::Text(buf));
    out
}

fn old_closed<'a>(s: &'a str, marker: &str) -> Option<(&'a str, usize)> {
    let after = &s[marker.len()..];
    let end = after.find(marker)?;
    let inner = &after[..end];
    let ok = !inner.is_empty() && !inner.starts_with(' ') && !inner.ends_with(' ');
    ok.then_some((inner, marker.len() * 2 + end))
}

fn old_link(s: &str) -> Option<(Node, usize)> {
    let close = s.find("](")?;
    let label = &s[1..close];
    let url_start = close + 2;
    let url_len = s[url_start..].find(')')?;
    let url = &s[url_start..url_start + url_len];
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace);
    if !safe || label.is_empty() || label.contains('[') {
        return None;
    }
    let node = Node::El("a", url.to_owned(), vec![text(label)]);
    Some((node, url_start + url_len + 1))
}

fn old_settle_point(open: &str) -> usize {
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

/// The old streaming view's blocks: settled block sources, and the open tail.
#[derive(Default)]
struct OldStream {
    done: String,
    blocks: Vec<String>,
}

impl OldStream {
    fn push<'a>(&mut self, t: &'a str) -> &'a str {
        let open = &t[self.done.len()..];
        let cut = old_settle_point(open);
        if cut > 0 {
            self.blocks.push(open[..cut].to_owned());
            self.done.push_str(&open[..cut]);
        }
        &t[self.done.len()..]
    }
}

/// The parser's output as a tree, doing what the DOM sink does (and counting it).
#[derive(Default)]
struct Model {
    settled: Vec<Vec<Node>>,
    open: Vec<Node>,
    code: bool,
    wrap: bool,
    pieces: usize,
    marks: Vec<usize>,
    work: u64,
}

impl Model {
    fn container(&mut self) -> &mut Vec<Node> {
        if self.wrap || self.code {
            let mut node = self.open.last_mut().expect("a wrapper or code block");
            if self.code && !self.wrap {
                let Node::El(_, _, pre) = node else { panic!() };
                node = pre.last_mut().unwrap();
            }
            let Node::El(_, _, children) = node else {
                panic!("not an element")
            };
            children
        } else {
            &mut self.open
        }
    }

    fn all(&self) -> Vec<Node> {
        let mut all: Vec<Node> = self.settled.iter().flatten().cloned().collect();
        all.extend(self.open.iter().cloned());
        normalize(all)
    }

    fn check_safe(nodes: &[Node]) {
        for n in nodes {
            if let Node::El(tag, href, children) = n {
                assert!([
                    "strong.h",
                    "span.quote",
                    "pre.code",
                    "code",
                    "strong",
                    "em",
                    "a"
                ]
                .contains(tag));
                if *tag == "a" {
                    assert!(safe_url(href) && !href.contains(char::is_whitespace));
                }
                Self::check_safe(children);
            }
        }
    }
}

impl Sink for Model {
    fn line_start(&mut self, wrap: Option<Wrap>) {
        self.work += 1;
        self.pieces = 0;
        if let Some(w) = wrap {
            let tag = match w {
                Wrap::Heading => "strong.h",
                Wrap::Quote => "span.quote",
            };
            self.open.push(el(tag, Vec::new()));
            self.wrap = true;
        }
    }
    fn text(&mut self, s: &str, new_piece: bool) {
        self.work += 1 + s.len() as u64;
        let pieces = self.pieces;
        let c = self.container();
        match c.last_mut() {
            Some(Node::Text(t)) if !new_piece && pieces > 0 => {
                // Appending copies the node's text: only short nodes are appended to.
                assert!(
                    t.len() < CHUNK,
                    "appending to a text node of {} bytes",
                    t.len()
                );
                t.push_str(s)
            }
            _ => {
                assert!(new_piece, "extending a piece that is not text");
                c.push(text(s));
                self.pieces += 1;
            }
        }
    }
    fn inline(&mut self, kind: Inline, s: &str, href: &str) {
        self.work += 1 + s.len() as u64;
        let tag = match kind {
            Inline::Code => "code",
            Inline::Strong => "strong",
            Inline::Em => "em",
            Inline::Link => "a",
        };
        self.container()
            .push(Node::El(tag, href.to_owned(), vec![text(s)]));
        self.pieces += 1;
    }
    fn truncate(&mut self, keep: usize) {
        let drop = self.pieces - keep;
        self.work += 1 + drop as u64;
        let c = self.container();
        c.truncate(c.len() - drop);
        self.pieces = keep;
    }
    fn discard(&mut self) {
        self.work += 1 + self.pieces as u64;
        if self.wrap {
            self.open.pop();
            self.wrap = false;
        } else {
            let n = self.pieces;
            let c = self.container();
            c.truncate(c.len() - n);
        }
        self.pieces = 0;
    }
    fn line_end(&mut self, newline: bool) {
        self.work += 1;
        self.wrap = false;
        self.pieces = 0;
        if newline {
            self.open.push(text("\n"));
        }
    }
    fn code_open(&mut self) {
        self.work += 1;
        self.open.push(el("pre.code", vec![el("code", Vec::new())]));
        self.code = true;
    }
    fn code_close(&mut self) {
        self.work += 1;
        self.code = false;
    }
    fn mark(&mut self) {
        self.work += 1;
        self.marks.push(self.open.len());
    }
    fn settle(&mut self, n: usize) {
        let k = self.marks[n - 1];
        self.work += 1 + k as u64 + n as u64;
        self.settled.push(self.open.drain(..k).collect());
        self.marks = self.marks[n..].iter().map(|m| m - k).collect();
    }
}

/// Feeds `doc` in tokens of the given sizes (cycled), checking after every token that the
/// parser shows exactly what the old renderer shows for the text so far, block by block.
fn check_stream(doc: &str, sizes: &[usize]) {
    let mut parser = Parser::new(true);
    let mut model = Model::default();
    let mut old = OldStream::default();
    let mut end = 0;
    let mut k = 0;
    while end < doc.len() {
        end = (end + sizes[k % sizes.len()]).min(doc.len());
        while !doc.is_char_boundary(end) {
            end += 1;
        }
        k += 1;
        let t = &doc[..end];
        parser.push(t, &mut model);
        let tail = old.push(t).to_owned();
        let context = || format!("doc {doc:?} at {end}");
        assert_eq!(model.settled.len(), old.blocks.len(), "{}", context());
        for (got, src) in model.settled.iter().zip(&old.blocks) {
            assert_eq!(
                normalize(got.clone()),
                normalize(old_render(src)),
                "{}",
                context()
            );
        }
        assert_eq!(
            normalize(model.open.clone()),
            normalize(old_render(&tail)),
            "{}",
            context()
        );
        Model::check_safe(&model.open);
    }
    // Rendering the whole text at once (a finished turn) shows the same.
    let mut once = Model::default();
    Parser::new(false).push(doc, &mut once);
    assert!(once.settled.is_empty());
    assert_eq!(once.all(), normalize(old_render(doc)), "whole {doc:?}");
    assert_eq!(model.all(), once.all());
}

const CASES: &[&str] = &[
    "",
    "plain text",
    "a\n\nb\n\nc",
    "# Title\n## Sub title\n####### seven\n#nospace\n#\n> quote\n>not\n>",
    "`code` and ``double`` and ` spaced ` and `unclosed",
    "**bold** *em* ***both*** ** not ** *a*b* **x*y** * lone",
    "[ok](https://example.com/a) [no](javascript:alert(1)) [sp](http://a b) [](http://x) [a[b](http://c) [x](http://y",
    "```\ncode **not bold**\n\n  ```\nafter\n```rust\nlet x = 1;\n",
    "  ```js\nindented fence\n```\n\t```\n",
    "text ``` not a fence\n``\n`\n",
    "é `ü` **ß** [ñ](https://ñ.example/ü) ***",
    "a\nb\nc\n\n\n\nd\n",
    "```\n```\n```\n\n```",
    "*a **b** c*",
    "[a](http://x)(y) [b](http://z\n) after",
    "> `quote code` [l](https://x)\n# `h`",
    "**a**b**c**",
    "`a`b`c`",
    "x *y\n* z*",
];

#[test]
fn the_same_output_as_rendering_the_whole_text_at_every_token() {
    for doc in CASES {
        for sizes in [&[1][..], &[2], &[3], &[5], &[1, 4, 2, 7], &[1000]] {
            check_stream(doc, sizes);
        }
    }
}

/// A small deterministic generator (no dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn the_same_output_on_random_markdown() {
    const PIECES: &[&str] = &[
        "a",
        "b ",
        " ",
        "  ",
        "\n",
        "\n\n",
        "`",
        "``",
        "```",
        "*",
        "**",
        "[",
        "]",
        "(",
        ")",
        "](",
        "http://x",
        "https://y.z/",
        "#",
        "# ",
        "###### ",
        "> ",
        ">",
        "\t",
        "é",
        "ü ",
        "[t](http://u)",
        "`c`",
        "**s**",
        "*e*",
        "```js\n",
        "\n```\n",
        "[a](http://x",
        "](http://",
        "\r",
        "~",
        "x)",
        " )",
    ];
    let mut rng = Lcg(7);
    for _ in 0..1500 {
        let n = 1 + rng.next(40);
        let doc: String = (0..n).map(|_| PIECES[rng.next(PIECES.len())]).collect();
        let sizes: Vec<usize> = (0..4).map(|_| 1 + rng.next(6)).collect();
        check_stream(&doc, &sizes);
    }
}

#[test]
fn long_answers_settle_into_the_same_blocks() {
    // A list without blank lines (cut once long), and paragraphs (cut at blank lines).
    let list: String = (0..400)
        .map(|i| format!("- item {i} with `code`\n"))
        .collect();
    let paragraphs: String = (0..60)
        .map(|i| format!("Paragraph {i} has **bold** text.\n\n"))
        .collect();
    check_stream(&format!("{list}{paragraphs}"), &[3]);
    check_stream(&format!("{list}{paragraphs}"), &[1, 9, 40]);
}

/// Streams `doc` in tokens of 3 bytes (as the emulator does): (tokens, mean work per token,
/// max work of a token), counting the parser's steps and what it emits.
fn work_per_token(doc: &str) -> (usize, f64, u64) {
    let mut parser = Parser::new(true);
    let mut model = Model::default();
    let (mut end, mut tokens, mut max, mut before) = (0, 0, 0, 0);
    while end < doc.len() {
        end = (end + 3).min(doc.len());
        while !doc.is_char_boundary(end) {
            end += 1;
        }
        parser.push(&doc[..end], &mut model);
        let total = parser.work + model.work;
        max = max.max(total - before);
        before = total;
        tokens += 1;
    }
    (tokens, before as f64 / tokens as f64, max)
}

/// A normal answer: headings, paragraphs with inline markup and links, a list, a code block.
fn normal_answer() -> String {
    let section = "## A section\n\nSome **bold** words, some *emphasis*, `inline code` and a [link](https://example.com/docs/page). 3 * 4 = 12, and a sentence that goes on for a while to make a paragraph of a usual length.\n\n- first item\n- second item with `x`\n- third item\n\n```rust\nfn main() {\n    println!(\"hello\");\n}\n```\n\n> A quoted line.\n\n";
    section.repeat(150)
}

#[test]
fn work_per_token_stays_flat_on_hostile_answers() {
    let normal = normal_answer();
    let (tokens, mean, max) = work_per_token(&normal);
    println!(
        "normal answer: {} bytes, {tokens} tokens, {mean:.1} steps per token, at most {max}",
        normal.len()
    );
    let code_line = "let v = [1, 2, 3]; // `tick` **not bold** [x](http://y)\n";
    let hostile: Vec<(&str, String)> = vec![
        ("60,000 `[` on one line", "[".repeat(60_000)),
        (
            "an unclosed code fence of 300 KB (lines)",
            format!("```\n{}", code_line.repeat(300_000 / code_line.len())),
        ),
        (
            "an unclosed code fence of 300 KB (one line)",
            format!("```\n{}", "x".repeat(300_000)),
        ),
        (
            "an open ` then 300 KB on one line",
            format!("`{}", "ab ".repeat(100_000)),
        ),
        ("60,000 `*` on one line", "*".repeat(60_000)),
        ("30,000 `**` on one line", "**".repeat(30_000)),
        ("30,000 `](` on one line", "](".repeat(30_000)),
        (
            "a link URL of 300 KB without `)`",
            format!("[a](https://{}", "x".repeat(300_000)),
        ),
        (
            "20,000 links waiting for `)`",
            "[a](http://x".repeat(20_000),
        ),
        ("300 KB of spaces (a fence?)", " ".repeat(300_000)),
        ("60,000 `#`", "#".repeat(60_000)),
        ("30,000 `[]`", "[]".repeat(30_000)),
    ];
    for (name, doc) in &hostile {
        let (tokens, m, x) = work_per_token(doc);
        println!("{name}: {tokens} tokens, {m:.1} steps per token, at most {x}");
        assert!(
            m <= 4.0 * mean,
            "{name}: {m:.1} steps per token vs {mean:.1}"
        );
        assert!(
            x <= 4 * max,
            "{name}: a token took {x} steps vs at most {max}"
        );
    }
    // Closers arriving late re-render what they close once: linear overall.
    let amortized: Vec<(&str, String)> = vec![
        (
            "` then 300 KB then `",
            format!("`{}x`", "ab ".repeat(100_000)),
        ),
        (
            "[a](http:// then 300 KB then )",
            format!("[a](http://{})", "x".repeat(300_000)),
        ),
        ("`a ` × 50,000", "`a `".repeat(50_000)),
        ("*a* × 50,000", "*a* ".repeat(50_000)),
        ("[a](http://b) × 20,000", "[a](http://b) ".repeat(20_000)),
    ];
    for (name, doc) in &amortized {
        let (tokens, m, x) = work_per_token(doc);
        println!("{name}: {tokens} tokens, {m:.1} steps per token, at most {x}");
        assert!(
            m <= 4.0 * mean,
            "{name}: {m:.1} steps per token vs {mean:.1}"
        );
    }
}

#[test]
fn a_finished_answer_renders_in_linear_work() {
    for doc in ["[".repeat(60_000), "*".repeat(60_000), "](".repeat(30_000)] {
        let mut parser = Parser::new(false);
        let mut model = Model::default();
        parser.push(&doc, &mut model);
        assert!(
            parser.work + model.work <= 10 * doc.len() as u64,
            "{} steps for {} bytes",
            parser.work + model.work,
            doc.len()
        );
        assert_eq!(model.all(), vec![text(&doc)]);
    }
}
