//! Checks on the source tree itself: what must be said in one place is said only there.

use std::path::{Path, PathBuf};

use ordergate_shared::store::item::attr;
use ordergate_tests::root;

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The string literals of Rust source `text` (plain and raw), comments skipped.
fn literals(text: &str) -> Vec<&str> {
    let (bytes, mut out, mut i) = (text.as_bytes(), Vec::new(), 0);
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
            }
            b'\'' => {
                // A char literal ('"') or a lifetime: step over it.
                i += if bytes.get(i + 2) == Some(&b'\'') {
                    3
                } else if bytes.get(i + 1) == Some(&b'\\') {
                    4
                } else {
                    1
                };
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'#' | b'"'))
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                let start = i + 2 + hashes;
                let end = format!("\"{}", "#".repeat(hashes));
                let len = text[start..].find(&end).expect("a raw string ends");
                out.push(&text[start..start + len]);
                i = start + len + end.len();
            }
            b'"' => {
                let mut j = i + 1;
                while bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                out.push(&text[i + 1..j]);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether `name` occurs in `text` as a word of its own (not inside a longer name, nor
/// as an expression's `:value` or `#name` placeholder).
fn has_word(text: &str, name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.match_indices(name).any(|(at, _)| {
        let before = text.as_bytes()[..at].last().copied();
        let after = text.as_bytes().get(at + name.len()).copied();
        !before.is_some_and(|b| word(b) || b == b':' || b == b'#') && !after.is_some_and(word)
    })
}

#[test]
fn no_module_but_the_item_codec_spells_an_attribute_name() {
    // Names that are also ordinary words or the event's own JSON fields are left out:
    // they occur in messages and serde attributes; the distinctive ones cannot.
    let names: Vec<&str> = attr::ALL
        .iter()
        .copied()
        .filter(|n| {
            n.contains('_')
                && !matches!(
                    *n,
                    "order_id"
                        | "dedupe_key"
                        | "event_type"
                        | "received_at"
                        | "location_id"
                        | "team_location_id"
                        | "raw_body"
                        | "expires_at"
                )
        })
        .chain(["pk", "sk"])
        .collect();
    let dirs = [
        "shared/src/store/dynamodb",
        "functions/publisher/src",
        "functions/cli/src",
        "functions/commands/src",
    ];
    let mut found = Vec::new();
    for path in dirs.iter().flat_map(|d| sources(&root().join(d))) {
        let text = std::fs::read_to_string(&path).unwrap();
        for literal in literals(&text) {
            for name in names.iter().filter(|n| has_word(literal, n)) {
                found.push(format!(
                    "{}: {name} in \"{literal}\"",
                    path.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "attribute names outside shared/src/store/item.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_literal_scanner_finds_what_it_must() {
    let text = "let a = \"ack_status = :x\"; // \"pk\" in a comment\nlet b = r#\"due_key\"#; let c = '\"';";
    assert_eq!(literals(text), vec!["ack_status = :x", "due_key"]);
    assert!(has_word("SET ack_status = :s", "ack_status"));
    assert!(!has_word("last_ack_status_x", "ack_status"));
    assert!(has_word("pk = :pk", "pk"));
    assert!(!has_word(":pk", "pk") && !has_word("#due_key", "due_key"));
}
