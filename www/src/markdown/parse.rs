//! The Markdown subset, parsed incrementally: pure Rust (no DOM, no Leptos), so it is tested
//! natively (`cargo test -p bedrock-wasm-playground --lib`).
//!
//! [`Parser::push`] takes the whole answer so far (text that only ever grows) and turns the
//! bytes that arrived since the last call into operations on a [`Sink`] (the page's DOM, or a
//! model in the tests). After every call the sink shows exactly what rendering the text so far
//! in one go shows, and the work a call does is proportional to what arrived, not to the
//! answer, its open paragraph, an unclosed code fence or a long line:
//!
//! - only the current line can change; finished lines are never looked at again;
//! - in the current line, markers whose closer has not arrived yet (`` ` ``, `*`, `**`, `[`)
//!   are shown as literal text, which is what they are if it never comes; each remembers how
//!   far it searched, so a token is searched once per open marker (at most a handful: only the
//!   last `` ` ``, `*` or `[` of a line can be open, plus links waiting for their `)`, which
//!   are all settled by the same `)`). When a closer turns one into an element, the line is
//!   cut back to that marker (it starts its own text piece) and re-parsed from there, once;
//! - code lines are appended, never re-rendered;
//! - every search (`](`, `)`, the next marker) resumes where the previous one stopped, so no
//!   byte of a line is scanned twice by the same search: `[` × 60,000 is linear.
//!
//! [`Parser::work`] counts the bytes examined and emitted, so tests can count work instead of
//! timing it.

/// An inline element (its text is a single text node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inline {
    Code,
    Strong,
    Em,
    Link,
}

/// What wraps a whole line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    Heading,
    Quote,
}

/// Where the parser's output goes. A line is a run of pieces (text nodes and inline elements)
/// appended to the open block, to its wrapper, or (in a code block) to the block's `<code>`.
pub trait Sink {
    /// Starts the current line.
    fn line_start(&mut self, wrap: Option<Wrap>);
    /// Appends literal text to the current line: to its last piece, or as a new piece.
    fn text(&mut self, s: &str, new_piece: bool);
    /// Appends an inline element holding the text `s`; `href` is a link's http(s) URL.
    fn inline(&mut self, kind: Inline, s: &str, href: &str);
    /// Keeps the current line's first `keep` pieces.
    fn truncate(&mut self, keep: usize);
    /// Removes the current line, wrapper and all.
    fn discard(&mut self);
    /// Ends the current line; `newline` appends its `\n` (outside code blocks).
    fn line_end(&mut self, newline: bool);
    /// Opens a code block (`<pre class="code"><code>`) in the open block.
    fn code_open(&mut self);
    fn code_close(&mut self);
    /// A point where the open block may be cut: after a line outside a code block.
    fn mark(&mut self);
    /// Moves the open block's content up to its `n`-th mark into a settled block of its own.
    fn settle(&mut self, n: usize);
}

/// Once the open block is this long, it is cut at its last line end even without a blank
/// line (a long list), so blocks stay small.
pub const LONG: usize = 2048;

/// A text piece grows to about this many bytes; then the text goes on in a new piece. The DOM
/// copies a text node's whole data on each append, so appending stays cheap on a long line.
pub const CHUNK: usize = 1024;

/// How a line renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A code fence: opens or closes a code block and shows nothing.
    Fence,
    /// A line inside a code block.
    Content,
    Plain,
    /// A heading with this many `#`.
    Heading(usize),
    Quote,
}

/// What to search for.
#[derive(Clone, Copy)]
enum Pat {
    Byte(u8),
    Pair(u8, u8),
    Space,
}

impl Pat {
    fn len(self) -> usize {
        match self {
            Pat::Pair(..) => 2,
            _ => 1,
        }
    }

    /// The first match starting in `start..` that fits before `e`.
    fn scan(self, t: &str, start: usize, e: usize, work: &mut u64) -> Option<usize> {
        if start >= e {
            return None;
        }
        let b = &t.as_bytes()[start..e];
        let (found, scanned) = match self {
            Pat::Byte(x) => {
                let i = b.iter().position(|&c| c == x);
                (i, i.map_or(b.len(), |i| i + 1))
            }
            Pat::Pair(x, y) => {
                let i = b.windows(2).position(|w| w[0] == x && w[1] == y);
                (i, i.map_or(b.len(), |i| i + 2))
            }
            Pat::Space => {
                let i = t[start..e].char_indices().find(|(_, c)| c.is_whitespace());
                (
                    i.map(|(i, _)| i),
                    i.map_or(b.len(), |(i, c)| i + c.len_utf8()),
                )
            }
        };
        *work += scanned as u64;
        found.map(|i| start + i)
    }
}

/// A resumable search: queries whose start only moves forward (and a text that only grows)
/// scan each byte once.
#[derive(Clone, Copy, Default)]
struct Finder {
    /// Searched from `from` up to `to`: `hit` is the first match at or after `from`.
    from: usize,
    to: usize,
    hit: Option<usize>,
}

impl Finder {
    /// The first match of `pat` starting at or after `p` and ending by `e`.
    fn find(&mut self, t: &str, pat: Pat, p: usize, e: usize, work: &mut u64) -> Option<usize> {
        if p < self.from || self.hit.is_some_and(|h| h < p) {
            *self = Finder {
                from: p,
                to: p,
                hit: None,
            };
        }
        if self.hit.is_some() {
            return self.hit;
        }
        self.from = p;
        let start = self.to.saturating_sub(pat.len() - 1).max(p);
        self.hit = pat.scan(t, start, e, work);
        self.to = e.max(self.to);
        self.hit
    }
}

/// The searches the inline parse needs.
#[derive(Clone, Copy, Default)]
struct Finders {
    tick: Finder,
    star: Finder,
    stars: Finder,
    open: Finder,
    close: Finder,
    paren: Finder,
    space: Finder,
}

/// What a marker turns out to be, as far as the text so far tells.
enum Decision {
    /// Literal text, whatever comes next.
    Literal,
    /// Literal text for now: its closer may still come.
    Wait,
    /// A link with its `](` but not yet its `)`; the URL starts here.
    Paren(usize),
    /// An element: its text is `a..b`, and it ends (closer included) at `end`.
    Span(Inline, usize, usize, usize),
}

/// `marker inner marker`: the inner text must be non-empty and not start or end with a space.
fn closed(t: &str, kind: Inline, a: usize, c: usize, marker: usize) -> Decision {
    let inner = &t[a..c];
    if !inner.is_empty() && !inner.starts_with(' ') && !inner.ends_with(' ') {
        Decision::Span(kind, a, c, c + marker)
    } else {
        Decision::Literal
    }
}

/// The marker at `p` of a line whose text so far ends at `e` (`done`: the line ends there).
/// The rules are those of rendering a whole text: a closer is the first one after the marker
/// in the line; a link is `[text](http…)` with a text without `[` and a URL without spaces.
fn decide(t: &str, p: usize, e: usize, done: bool, f: &mut Finders, work: &mut u64) -> Decision {
    let b = t.as_bytes();
    let wait = |d: Decision| if done { Decision::Literal } else { d };
    match b[p] {
        b'`' => match f.tick.find(t, Pat::Byte(b'`'), p + 1, e, work) {
            Some(c) => closed(t, Inline::Code, p + 1, c, 1),
            None => wait(Decision::Wait),
        },
        // Whether it is `**` depends on the next byte.
        b'*' if p + 1 == e => wait(Decision::Wait),
        b'*' if b[p + 1] == b'*' => match f.stars.find(t, Pat::Pair(b'*', b'*'), p + 2, e, work) {
            Some(c) => closed(t, Inline::Strong, p + 2, c, 2),
            None => wait(Decision::Wait),
        },
        b'*' => match f.star.find(t, Pat::Byte(b'*'), p + 1, e, work) {
            Some(c) => closed(t, Inline::Em, p + 1, c, 1),
            None => wait(Decision::Wait),
        },
        _ => {
            let Some(c) = f.close.find(t, Pat::Pair(b']', b'('), p, e, work) else {
                // Any later `[` would end up inside the link text, which rules the link out.
                let later = f.open.find(t, Pat::Byte(b'['), p + 1, e, work);
                return if later.is_none() {
                    wait(Decision::Wait)
                } else {
                    Decision::Literal
                };
            };
            let bracket = f.open.find(t, Pat::Byte(b'['), p + 1, e, work);
            if c == p + 1 || bracket.is_some_and(|o| o < c) {
                return Decision::Literal;
            }
            let url = c + 2;
            let Some(u) = f.paren.find(t, Pat::Byte(b')'), url, e, work) else {
                return wait(Decision::Paren(url));
            };
            let space = f.space.find(t, Pat::Space, url, e, work);
            if safe_url(&t[url..u]) && space.is_none_or(|s| s >= u) {
                Decision::Span(Inline::Link, p + 1, c, u + 1)
            } else {
                Decision::Literal
            }
        }
    }
}

/// Only http(s) links become links (never `javascript:`, `data:`, …).
fn safe_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A marker shown as literal text while its closer may still come.
#[derive(Clone, Copy)]
struct Waiting {
    at: usize,
    finders: Finders,
}

/// The inline parse of the current line (outside code blocks).
#[derive(Default)]
struct Line {
    /// Parsed up to here (it starts after `# ` or `> `).
    pos: usize,
    /// The start of each piece shown, and whether it is text (which may be extended).
    pieces: Vec<(usize, bool)>,
    finders: Finders,
    /// Markers waiting for their closer (at most a few; ascending).
    waiting: Vec<Waiting>,
    /// Links waiting for their `)`: (`[` position, URL start), ascending. All of them are
    /// settled by the first `)` that arrives.
    links: Vec<(usize, usize)>,
    /// `)` has been looked for up to here; `last_space` is the last whitespace before it.
    frontier: usize,
    last_space: Option<usize>,
}

/// The parser's state between calls.
pub struct Parser {
    /// Bytes examined and emitted so far: the measure of work.
    pub work: u64,
    /// Whether to cut the text into settled blocks (streaming) or not (a finished answer).
    group: bool,
    /// Bytes of the text consumed.
    len: usize,
    in_code: bool,
    /// In a code block: the last line's `\n`, shown once more text follows (a block's text
    /// does not end with its last newline).
    newline_pending: bool,
    /// Where the open block starts, and its marks: (position, after a blank line).
    open_start: usize,
    marks: Vec<(usize, bool)>,
    last_blank: Option<usize>,
    /// The current line: its start, its class once known, the fence check's progress,
    /// what is shown for it, and (code lines) how much of it is shown.
    start: usize,
    class: Option<Class>,
    space_end: usize,
    shown: Option<Class>,
    fenced: bool,
    emitted: usize,
    /// Bytes in the current code line's last text piece.
    piece: usize,
    line: Line,
}

impl Parser {
    /// `group`: cut the text into settled blocks, as the streaming answer does.
    pub fn new(group: bool) -> Self {
        Self {
            work: 0,
            group,
            len: 0,
            in_code: false,
            newline_pending: false,
            open_start: 0,
            marks: Vec::new(),
            last_blank: None,
            start: 0,
            class: None,
            space_end: 0,
            shown: None,
            fenced: false,
            emitted: 0,
            piece: 0,
            line: Line::default(),
        }
    }

    /// Consumes what `t` has beyond the text of the previous call (which it must start with).
    pub fn push(&mut self, t: &str, sink: &mut impl Sink) {
        debug_assert!(t.len() >= self.len);
        let mut at = self.len;
        while at < t.len() {
            let newline = t.as_bytes()[at..].iter().position(|&c| c == b'\n');
            self.work += newline.map_or(t.len() - at, |i| i + 1) as u64;
            let e = newline.map_or(t.len(), |i| at + i);
            self.advance(t, e, newline.is_some(), sink);
            if newline.is_some() {
                self.end_line(e, sink);
                at = e + 1;
                self.begin_line(at);
            } else {
                at = e;
            }
        }
        self.len = t.len();
        if self.group {
            self.settle(t.len(), sink);
        }
    }

    fn begin_line(&mut self, at: usize) {
        self.start = at;
        self.class = None;
        self.space_end = at;
        self.shown = None;
        self.fenced = false;
        self.emitted = at;
    }

    /// The line's class as far as `t[start..e]` tells (`done`: the line ends at `e`).
    fn classify(&mut self, t: &str, e: usize, done: bool) -> Option<Class> {
        let b = t.as_bytes();
        // A fence: ``` after leading whitespace.
        let mut i = self.space_end;
        for c in t[i..e].chars() {
            if !c.is_whitespace() {
                break;
            }
            i += c.len_utf8();
        }
        self.work += (i - self.space_end) as u64 + 1;
        self.space_end = i;
        let ticks = b[i..e.min(i + 3)]
            .iter()
            .take_while(|&&c| c == b'`')
            .count();
        if ticks == 3 {
            return Some(Class::Fence);
        }
        if !done && i + ticks == e {
            return None;
        }
        if self.in_code {
            return Some(Class::Content);
        }
        let s = self.start;
        let hashes = b[s..e.min(s + 7)]
            .iter()
            .take_while(|&&c| c == b'#')
            .count();
        if (1..=6).contains(&hashes) {
            match b.get(s + hashes).filter(|_| s + hashes < e) {
                Some(b' ') => return Some(Class::Heading(hashes)),
                None if !done => return None,
                _ => {}
            }
        }
        match &b[s..e.min(s + 2)] {
            b"> " => Some(Class::Quote),
            b">" if !done => None,
            _ => Some(Class::Plain),
        }
    }

    /// Shows the current line's text up to `e`.
    fn advance(&mut self, t: &str, e: usize, done: bool, sink: &mut impl Sink) {
        let class = match self.class {
            Some(c) => c,
            None => {
                self.class = self.classify(t, e, done);
                // Until the line's start tells, it shows as what it is if nothing changes.
                self.class.unwrap_or(if self.in_code {
                    Class::Content
                } else {
                    Class::Plain
                })
            }
        };
        if self.shown.is_some_and(|s| s != class) {
            sink.discard();
            self.shown = None;
        }
        match class {
            Class::Fence => {
                if !self.fenced {
                    self.fenced = true;
                    if self.in_code {
                        sink.code_close();
                    } else {
                        sink.code_open();
                        self.newline_pending = false;
                    }
                    self.in_code = !self.in_code;
                }
            }
            Class::Content => {
                if e > self.emitted {
                    let text = &t[self.emitted..e];
                    self.code_text(text, sink);
                    self.emitted = e;
                }
            }
            Class::Plain | Class::Heading(_) | Class::Quote => {
                if self.shown.is_none() {
                    let (wrap, skip) = match class {
                        Class::Heading(n) => (Some(Wrap::Heading), n + 1),
                        Class::Quote => (Some(Wrap::Quote), 2),
                        _ => (None, 0),
                    };
                    sink.line_start(wrap);
                    let lo = self.start + skip;
                    self.line = Line {
                        pos: lo,
                        frontier: lo,
                        ..Line::default()
                    };
                    self.shown = Some(class);
                }
                self.inline(t, e, done, sink);
            }
        }
    }

    /// Appends to the current code line (the previous line's newline first, if still due).
    fn code_text(&mut self, text: &str, sink: &mut impl Sink) {
        if self.shown.is_none() {
            sink.line_start(None);
            self.shown = Some(Class::Content);
            if self.newline_pending {
                self.newline_pending = false;
                sink.text("\n", true);
                self.work += 1;
                if !text.is_empty() {
                    sink.text(text, false);
                }
            } else {
                sink.text(text, true);
            }
            self.piece = text.len() + 1;
        } else if self.piece >= CHUNK {
            sink.text(text, true);
            self.piece = text.len();
        } else {
            sink.text(text, false);
            self.piece += text.len();
        }
        self.work += text.len() as u64 + 1;
    }

    fn end_line(&mut self, e: usize, sink: &mut impl Sink) {
        match self.shown {
            _ if self.class == Some(Class::Fence) => {}
            Some(Class::Content) | None if self.in_code => {
                // An empty line shows the previous line's newline.
                if self.shown.is_none() && self.newline_pending {
                    self.code_text("", sink);
                }
                if self.shown.is_some() {
                    sink.line_end(false);
                }
                self.newline_pending = true;
            }
            _ => {
                // Open markers stay literal text: nothing changes.
                self.line.waiting.clear();
                self.line.links.clear();
                sink.line_end(true);
            }
        }
        if self.group && !self.in_code {
            if e == self.start {
                self.last_blank = Some(self.marks.len());
            }
            self.marks.push((e + 1, e == self.start));
            sink.mark();
        }
    }

    /// Cuts the open block where the whole-text renderer would have: through its last blank
    /// line, or through its last line once it is long.
    fn settle(&mut self, len: usize, sink: &mut impl Sink) {
        let cut = self.last_blank.or_else(|| {
            (len - self.open_start >= LONG)
                .then(|| self.marks.len().checked_sub(1))
                .flatten()
        });
        if let Some(i) = cut {
            sink.settle(i + 1);
            self.open_start = self.marks[i].0;
            self.work += i as u64 + 1;
            self.marks.drain(..=i);
            self.last_blank = None;
        }
    }

    /// The inline parse of the current line, brought up to `e`.
    fn inline(&mut self, t: &str, e: usize, done: bool, sink: &mut impl Sink) {
        let work = &mut self.work;
        let l = &mut self.line;
        // 1. Markers whose closer arrived: the first that becomes an element is where the
        //    line is cut back to.
        let mut cut: Option<usize> = None;
        if !l.links.is_empty() {
            let from = l.frontier;
            let paren = Pat::Byte(b')').scan(t, from, e, work);
            // The last whitespace before the `)`, for "no space in the URL".
            let upto = paren.unwrap_or(e);
            let mut space = l.last_space;
            for (i, c) in t[from..upto].char_indices() {
                if c.is_whitespace() {
                    space = Some(from + i);
                }
            }
            *work += (upto - from) as u64;
            if let Some(u) = paren {
                let mut resolved = 0;
                for &(at, url) in &l.links {
                    resolved += 1;
                    if safe_url(&t[url..u]) && space.is_none_or(|s| s < url) {
                        cut = Some(at);
                        break;
                    }
                }
                l.links.drain(..resolved);
            } else if done {
                l.links.clear();
            }
        }
        let mut i = 0;
        while i < l.waiting.len() {
            let w = &mut l.waiting[i];
            if cut.is_some_and(|c| w.at > c) {
                break;
            }
            match decide(t, w.at, e, done, &mut w.finders, work) {
                Decision::Wait => i += 1,
                Decision::Literal => {
                    l.waiting.remove(i);
                }
                Decision::Paren(url) => {
                    // Its `](` arrived (it is the line's last `[`, after every waiting link).
                    l.links.push((w.at, url));
                    l.waiting.remove(i);
                }
                Decision::Span(..) => {
                    cut = Some(cut.map_or(w.at, |c| c.min(w.at)));
                    break;
                }
            }
        }
        if let Some(q) = cut {
            let keep = l.pieces.partition_point(|&(start, _)| start < q);
            debug_assert_eq!(l.pieces.get(keep).map(|p| p.0), Some(q));
            sink.truncate(keep);
            *work += (l.pieces.len() - keep) as u64 + 1;
            l.pieces.truncate(keep);
            l.waiting.retain(|w| w.at < q);
            l.links.retain(|&(at, _)| at < q);
            l.pos = q;
            l.finders = Finders::default();
        }
        // 2. The rest of the line, from where the parse stopped.
        let b = t.as_bytes();
        let mut run = l.pos;
        let mut pos = l.pos;
        while pos < e {
            let next = b[pos..e]
                .iter()
                .position(|c| matches!(c, b'`' | b'*' | b'['));
            *work += next.map_or(e - pos, |n| n + 1) as u64;
            let Some(n) = next else {
                pos = e;
                break;
            };
            let m = pos + n;
            match decide(t, m, e, done, &mut l.finders, work) {
                Decision::Literal => pos = m + 1,
                d @ (Decision::Wait | Decision::Paren(_)) => {
                    // A waiting marker starts its own text piece, so the line can be cut
                    // back to it.
                    flush(l, t, run, m, sink, work);
                    l.pieces.push((m, true));
                    sink.text(&t[m..m + 1], true);
                    *work += 1;
                    match d {
                        Decision::Paren(url) => l.links.push((m, url)),
                        _ => l.waiting.push(Waiting {
                            at: m,
                            finders: l.finders,
                        }),
                    }
                    pos = m + 1;
                    run = pos;
                }
                Decision::Span(kind, a, z, end) => {
                    flush(l, t, run, m, sink, work);
                    let href = if kind == Inline::Link {
                        &t[z + 2..end - 1]
                    } else {
                        ""
                    };
                    sink.inline(kind, &t[a..z], href);
                    *work += (end - m) as u64;
                    l.pieces.push((m, false));
                    pos = end;
                    run = pos;
                }
            }
        }
        flush(l, t, run, pos, sink, work);
        l.pos = pos;
        // Whitespace up to `e`, for links that wait for their `)`.
        if e > l.frontier {
            if let Some(s) = t[l.frontier..e]
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
            {
                l.last_space = Some(l.frontier + s.0);
            }
            *work += (e - l.frontier) as u64;
            l.frontier = e;
        }
    }
}

/// Shows `t[from..to]` as literal text: appended to the line's last text piece (unless it is
/// long already), or as a new one.
fn flush(l: &mut Line, t: &str, from: usize, to: usize, sink: &mut impl Sink, work: &mut u64) {
    if from >= to {
        return;
    }
    let extend = l
        .pieces
        .last()
        .is_some_and(|&(start, text)| text && from - start < CHUNK);
    if !extend {
        l.pieces.push((from, true));
    }
    sink.text(&t[from..to], !extend);
    *work += (to - from) as u64;
}

#[cfg(test)]
mod tests;
