//! Saved conversations, the pure part: the stored record and how it reads back, default
//! titles, and the list's order and bound. A record is exactly what "Export JSON" writes
//! (`export::to_json`: model id, system prompt, parameters, messages — never a credential)
//! plus an id, a title and when it was last saved. `idb.rs` stores records;
//! `components/conversations.rs` decides when.

use serde_json::{json, Value};

use crate::body::Exchange;
use crate::export::{self, Conversation, MAX_IMPORT_BYTES};

/// At most this many conversations are listed: the most recently updated.
pub const MAX_LISTED: u32 = 500;

/// A title is cut to this many characters.
const TITLE_CHARS: usize = 60;

/// A saved conversation as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: f64,
    pub title: String,
    /// When it was last saved (ms since the epoch).
    pub updated: f64,
}

/// `text` as a title: on one line, at most `TITLE_CHARS` characters (cut with "…"),
/// "Untitled" when empty.
pub fn title(text: &str) -> String {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        if line.char_indices().nth(TITLE_CHARS).is_some() {
            // Too long: keep one character fewer than the limit, and mark the cut.
            let keep = line
                .char_indices()
                .nth(TITLE_CHARS - 1)
                .map_or(0, |(i, _)| i);
            line.truncate(keep);
            line.truncate(line.trim_end().len());
            line.push('…');
            return line;
        }
    }
    if line.is_empty() {
        line.push_str("Untitled");
    }
    line
}

/// The first prompt that has an answer: a conversation without one is not worth keeping
/// (nothing of it would come back).
pub fn first_prompt(turns: &[Exchange]) -> Option<&str> {
    turns
        .iter()
        .find(|t| !t.user.is_empty() && t.answered())
        .map(|t| t.user.as_str())
}

/// An id for a new conversation: the time, unless that is taken.
pub fn next_id(now: f64, list: &[Entry]) -> f64 {
    list.iter().fold(now, |id, e| id.max(e.id + 1.0))
}

/// Puts `entry`, just saved, first in the list (newest first), in place of the entry with
/// its id; at most `MAX_LISTED` are kept.
pub fn touch(list: &mut Vec<Entry>, entry: Entry) {
    list.retain(|e| e.id != entry.id);
    list.insert(0, entry);
    list.truncate(MAX_LISTED as usize);
}

/// The record to store, as JSON: `{ id, title, updated, conversation }`, where
/// `conversation` is the text [`export::to_json`] wrote.
pub fn record(entry: &Entry, conversation: &str) -> String {
    crate::json::text(&json!({
        "id": entry.id,
        "title": entry.title,
        "updated": entry.updated,
        "conversation": conversation,
    }))
}

/// A stored record's `{ id, title, updated }` (as `JSON.stringify` writes them): its list
/// entry, or `None` when it has no usable id. Anything else missing or odd is made good.
pub fn entry(meta: &str) -> Option<Entry> {
    let v: Value = crate::json::parse(meta).ok()?;
    let id = v.get("id")?.as_f64()?;
    Some(Entry {
        id,
        title: title(v.get("title").and_then(Value::as_str).unwrap_or_default()),
        updated: v.get("updated").and_then(Value::as_f64).unwrap_or_default(),
    })
}

/// A stored record's `conversation` read back, as an import reads a file (and bounded as
/// one is).
pub fn read(conversation: &str) -> Result<Conversation, String> {
    if conversation.len() as f64 > MAX_IMPORT_BYTES {
        return Err("it is over 50 MB".into());
    }
    export::from_json(conversation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Setup;

    fn entry_at(id: f64, updated: f64) -> Entry {
        Entry {
            id,
            title: "t".into(),
            updated,
        }
    }

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(title("  What is\n your   name?\t"), "What is your name?");
        assert_eq!(title(" \n "), "Untitled");
        let exact = "x".repeat(TITLE_CHARS);
        assert_eq!(title(&exact), exact);
        let long = format!("{} tail", "word ".repeat(30));
        let t = title(&long);
        assert_eq!(t.chars().count(), TITLE_CHARS, "{t}");
        assert!(
            t.ends_with("word…"),
            "cut on a character, spaces trimmed: {t}"
        );
        // Multi-byte characters are cut between characters.
        let t = title(&"é".repeat(100));
        assert_eq!(t, format!("{}…", "é".repeat(TITLE_CHARS - 1)));
    }

    #[test]
    fn only_an_answered_turn_makes_a_conversation_worth_keeping() {
        let turn = |u: &str, a: &str| Exchange {
            user: u.into(),
            answer: a.into(),
            ..Default::default()
        };
        assert_eq!(first_prompt(&[]), None);
        assert_eq!(
            first_prompt(&[turn("Hi", "")]),
            None,
            "failed or unanswered"
        );
        assert_eq!(first_prompt(&[turn("", "left over")]), None, "cleared");
        assert_eq!(
            first_prompt(&[turn("Hi", ""), turn("Again", "Hello")]),
            Some("Again")
        );
    }

    #[test]
    fn the_list_is_newest_first_bounded_and_ids_are_unique() {
        let mut list = vec![entry_at(1.0, 10.0), entry_at(2.0, 5.0)];
        touch(&mut list, entry_at(2.0, 20.0));
        assert_eq!(list, vec![entry_at(2.0, 20.0), entry_at(1.0, 10.0)]);
        touch(&mut list, entry_at(3.0, 30.0));
        assert_eq!(
            list.iter().map(|e| e.id).collect::<Vec<_>>(),
            [3.0, 2.0, 1.0]
        );
        for i in 0..600 {
            touch(
                &mut list,
                entry_at(100.0 + f64::from(i), 100.0 + f64::from(i)),
            );
        }
        assert_eq!(list.len(), MAX_LISTED as usize);
        assert_eq!(list[0].id, 699.0);
        assert_eq!(next_id(50.0, &list), 700.0, "never an id in use");
        assert_eq!(next_id(1e12, &list), 1e12);
    }

    #[test]
    fn a_record_is_the_exported_json_plus_id_title_and_time() {
        let setup = Setup {
            model_id: "anthropic.claude-v2".into(),
            system: "Be brief.".into(),
            max_tokens: "300".into(),
            ..Default::default()
        };
        let turns = vec![Exchange {
            user: "Hi".into(),
            answer: "Hello!".into(),
            ..Default::default()
        }];
        let exported = export::to_json(&setup, &turns);
        let e = Entry {
            id: 1_733_366_400_123.0,
            title: "Hi".into(),
            updated: 1_733_366_400_456.0,
        };
        let text = record(&e, &exported);
        let v: Value = serde_json::from_str(&text).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["conversation", "id", "title", "updated"]);
        assert_eq!(v["conversation"], exported.as_str());
        // Back: the list reads the three small fields, opening reads the conversation.
        let meta = json!({"id": v["id"], "title": v["title"], "updated": v["updated"]});
        assert_eq!(entry(&meta.to_string()), Some(e));
        let back = read(v["conversation"].as_str().unwrap()).unwrap();
        assert_eq!(back.setup, setup);
        assert_eq!(back.turns, turns);
    }

    #[test]
    fn odd_records_are_skipped_or_made_good_never_trusted() {
        assert_eq!(entry("not json"), None);
        assert_eq!(entry("\"a string\""), None);
        assert_eq!(entry(r#"{"title":"no id"}"#), None);
        assert_eq!(entry(r#"{"id":"7"}"#), None);
        assert_eq!(
            entry(r#"{"id":7,"title":["x"],"updated":"soon"}"#),
            Some(Entry {
                id: 7.0,
                title: "Untitled".into(),
                updated: 0.0
            })
        );
        let long = format!(r#"{{"id":1,"title":"{}"}}"#, "a".repeat(10_000));
        assert_eq!(entry(&long).unwrap().title.chars().count(), TITLE_CHARS);
        assert!(read("{}").unwrap_err().contains("\"messages\""));
        assert!(read("[1,").is_err());
    }
}
