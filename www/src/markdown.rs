//! A small, safe Markdown subset rendered into the DOM: every character of the answer ends up
//! in a DOM text node (never parsed as HTML), so a model cannot inject markup.
//!
//! Supported: fenced code blocks, `# headings`, `> quotes`, `inline code`, **bold**, *italic*
//! and [links](https://…) (http/https only). Everything else stays literal, whitespace
//! included (shown with `white-space: pre-wrap`), so plain prose renders to exactly its source
//! text. Partial Markdown while streaming is fine: an unclosed fence is a code block so far,
//! an unclosed `**` or `` ` `` stays literal until its closing marker arrives.
//!
//! The parsing is [`parse`] (pure, tested natively); this module is its DOM side.

pub mod parse;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CharacterData, Document, Element, Node};

use parse::{Inline, Parser, Sink, Wrap};

/// A streaming answer. Each token costs work in proportion to its own length, whatever came
/// before it (an answer of 20,000 tokens, a 300 KB code block, a line of 60,000 `[`): the
/// parser only looks at what arrived, and the DOM is only appended to (a line is cut back
/// only when a closing marker turns literal text into an element). Settled blocks (through a
/// blank line outside a code fence, or through a line end once the open block is long) are
/// moved into a shared wrapper, so a token's relayout visits the wrapper (clean, cached) and
/// the open block, not one box per paragraph.
///
/// `generation` changes whenever `text` is replaced rather than appended to (cleared, retried).
pub fn streaming(text: RwSignal<String>, generation: RwSignal<u64>) -> impl IntoView {
    let settled = NodeRef::<leptos::html::Span>::new();
    let open = NodeRef::<leptos::html::Span>::new();
    let live = StoredValue::new_local(None::<(Seen, Parser, Dom)>);
    Effect::new(move || {
        let generation = generation.get();
        let (Some(settled), Some(open)) = (settled.get(), open.get()) else {
            return;
        };
        text.with(|t| {
            live.update_value(|live| {
                if !live
                    .as_ref()
                    .is_some_and(|(s, ..)| s.continues(generation, t))
                {
                    let dom = Dom::new(Some(settled.unchecked_into()), open.unchecked_into());
                    *live = Some((Seen::new(generation), Parser::new(true), dom));
                }
                if let Some((seen, parser, dom)) = live {
                    parser.push(t, dom);
                    seen.update(t);
                }
            })
        })
    });
    view! {
        <span class="blk" node_ref=settled></span>
        <span class="blk" node_ref=open></span>
    }
}

/// A finished answer, rendered once (linear in its length).
pub fn finished(text: String) -> impl IntoView {
    let div = NodeRef::<leptos::html::Div>::new();
    div.on_load(move |div| {
        Parser::new(false).push(&text, &mut Dom::new(None, div.unchecked_into()));
    });
    view! { <div class="md answer" node_ref=div></div> }
}

/// Streaming plain text (the reasoning): appended to text nodes of about
/// [`CHUNK`](parse::CHUNK) bytes, never replaced.
pub fn streaming_text(text: RwSignal<String>, generation: RwSignal<u64>) -> impl IntoView {
    let div = NodeRef::<leptos::html::Div>::new();
    // What was seen, the last text node and how many bytes it holds.
    let live = StoredValue::new_local(None::<(Seen, Option<CharacterData>, usize)>);
    Effect::new(move || {
        let generation = generation.get();
        let Some(div) = div.get() else { return };
        text.with(|t| {
            live.update_value(|live| {
                if !live
                    .as_ref()
                    .is_some_and(|(s, ..)| s.continues(generation, t))
                {
                    div.set_text_content(None);
                    *live = Some((Seen::new(generation), None, 0));
                }
                let Some((seen, node, len)) = live else {
                    return;
                };
                let delta = &t[seen.len..];
                match node {
                    Some(n) if *len < parse::CHUNK => {
                        let _ = n.append_data(delta);
                        *len += delta.len();
                    }
                    _ if !delta.is_empty() => {
                        let n = document().create_text_node(delta);
                        let _ = div.append_child(&n);
                        *node = Some(n.unchecked_into());
                        *len = delta.len();
                    }
                    _ => {}
                }
                seen.update(t);
            })
        })
    });
    view! { <div class="md" node_ref=div></div> }
}

/// What a streaming view has consumed: it continues only while the text grows by appending
/// (checked in constant time: same generation, and the same last bytes where it stopped).
struct Seen {
    generation: u64,
    len: usize,
    tail: Vec<u8>,
}

impl Seen {
    const TAIL: usize = 32;

    fn new(generation: u64) -> Self {
        Self {
            generation,
            len: 0,
            tail: Vec::new(),
        }
    }

    fn continues(&self, generation: u64, t: &str) -> bool {
        generation == self.generation
            && t.len() >= self.len
            && t.as_bytes()[self.len - self.tail.len()..self.len] == self.tail[..]
    }

    fn update(&mut self, t: &str) {
        self.len = t.len();
        self.tail.clear();
        self.tail
            .extend_from_slice(&t.as_bytes()[t.len().saturating_sub(Self::TAIL)..]);
    }
}

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// The parser's output in the DOM: elements with fixed tags and classes, and text nodes.
struct Dom {
    doc: Document,
    /// Where settled blocks go (`None`: no blocks, everything in `open`).
    settled: Option<Element>,
    open: Element,
    /// The open code block's `<code>`, and the current line's wrapper.
    code: Option<Element>,
    wrap: Option<Element>,
    /// Pieces of the current line (the last children of its container).
    pieces: usize,
    /// Children of `open` (this is their only writer), and the counts at each mark.
    children: usize,
    marks: Vec<usize>,
}

impl Dom {
    fn new(settled: Option<Element>, open: Element) -> Self {
        if let Some(s) = &settled {
            s.set_text_content(None);
        }
        open.set_text_content(None);
        Self {
            doc: document(),
            settled,
            open,
            code: None,
            wrap: None,
            pieces: 0,
            children: 0,
            marks: Vec::new(),
        }
    }

    fn element(&self, tag: &str, class: &str) -> Element {
        let el = self.doc.create_element(tag).expect("createElement");
        if !class.is_empty() {
            let _ = el.set_attribute("class", class);
        }
        el
    }

    /// The current line's container.
    fn container(&self) -> &Element {
        self.wrap
            .as_ref()
            .or(self.code.as_ref())
            .unwrap_or(&self.open)
    }

    fn append(&mut self, node: &Node) {
        let _ = self.container().append_child(node);
        if self.wrap.is_none() && self.code.is_none() {
            self.children += 1;
        }
    }

    fn append_piece(&mut self, node: &Node) {
        self.append(node);
        self.pieces += 1;
    }

    /// Removes the current line's last `n` pieces.
    fn pop(&mut self, n: usize) {
        let direct = self.wrap.is_none() && self.code.is_none();
        let container = self.container().clone();
        for _ in 0..n {
            if let Some(last) = container.last_child() {
                let _ = container.remove_child(&last);
                if direct {
                    self.children -= 1;
                }
            }
        }
        self.pieces -= n;
    }
}

impl Sink for Dom {
    fn line_start(&mut self, wrap: Option<Wrap>) {
        self.pieces = 0;
        if let Some(w) = wrap {
            let el = match w {
                Wrap::Heading => self.element("strong", "h"),
                Wrap::Quote => self.element("span", "quote"),
            };
            self.append(&el);
            self.wrap = Some(el);
        }
    }

    fn text(&mut self, s: &str, new_piece: bool) {
        // The parser extends only a text piece.
        let last = self.container().last_child().filter(|_| !new_piece);
        match last.map(JsCast::unchecked_into::<CharacterData>) {
            Some(text) => {
                let _ = text.append_data(s);
            }
            None => {
                let node = self.doc.create_text_node(s);
                self.append_piece(&node);
            }
        }
    }

    fn inline(&mut self, kind: Inline, s: &str, href: &str) {
        let el = match kind {
            Inline::Code => self.element("code", ""),
            Inline::Strong => self.element("strong", ""),
            Inline::Em => self.element("em", ""),
            Inline::Link => {
                // The parser only makes links of http(s) URLs.
                let a = self.element("a", "");
                let _ = a.set_attribute("href", href);
                let _ = a.set_attribute("rel", "noopener noreferrer nofollow");
                let _ = a.set_attribute("target", "_blank");
                a
            }
        };
        el.set_text_content(Some(s));
        self.append_piece(&el);
    }

    fn truncate(&mut self, keep: usize) {
        self.pop(self.pieces - keep);
    }

    fn discard(&mut self) {
        match self.wrap.take() {
            Some(w) => {
                let _ = self.open.remove_child(&w);
                self.children -= 1;
                self.pieces = 0;
            }
            None => self.pop(self.pieces),
        }
    }

    fn line_end(&mut self, newline: bool) {
        self.wrap = None;
        self.pieces = 0;
        if newline {
            let node = self.doc.create_text_node("\n");
            self.append(&node);
        }
    }

    fn code_open(&mut self) {
        let pre = self.element("pre", "code");
        let code = self.element("code", "");
        let _ = pre.append_child(&code);
        self.append(&pre);
        self.code = Some(code);
    }

    fn code_close(&mut self) {
        self.code = None;
    }

    fn mark(&mut self) {
        self.marks.push(self.children);
    }

    fn settle(&mut self, n: usize) {
        let Some(settled) = &self.settled else { return };
        let k = self.marks[n - 1];
        let block = self.element("span", "blk");
        for _ in 0..k {
            if let Some(first) = self.open.first_child() {
                let _ = block.append_child(&first);
            }
        }
        let _ = settled.append_child(&block);
        self.children -= k;
        self.marks.drain(..n);
        for m in &mut self.marks {
            *m -= k;
        }
    }
}
