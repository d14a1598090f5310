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
            // r"…", r#"…"#, and the byte strings br"…", br#"…"#.
            b'r' if matches!(bytes.get(i + 1), Some(b'#' | b'"')) && starts_token(&bytes[..i]) => {
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

/// Whether a raw string's `r` at the end of `before` starts it (not the end of a name like
/// `for`), a `b` prefix allowed.
fn starts_token(before: &[u8]) -> bool {
    let alnum = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    match before {
        [.., b'b'] => !alnum(before.get(before.len().wrapping_sub(2))),
        _ => !alnum(before.last()),
    }
}

/// Whether `name` occurs in `text` as a word of its own (not inside a longer name, nor
/// as an expression's `:value` or `#name` placeholder, nor a `{variable}` in a format).
fn has_word(text: &str, name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.match_indices(name).any(|(at, _)| {
        let before = text.as_bytes()[..at].last().copied();
        let after = text.as_bytes().get(at + name.len()).copied();
        !before.is_some_and(|b| word(b) || b"#:{".contains(&b)) && !after.is_some_and(word)
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
                        | "event_type"
                        | "received_at"
                        | "location_id"
                        | "team_location_id"
                        | "raw_body"
                        | "body_sha256"
                        | "expires_at"
                )
        })
        .chain(["pk", "sk"])
        .collect();
    let dirs = [
        "tests",
        "functions/cli/tests",
        "functions/ack-worker/src",
        "shared/src/store/dynamodb",
        "functions/publisher/src",
        "functions/cli/src",
        "functions/commands/src",
    ];
    let mut found = Vec::new();
    // This file names them on purpose: it is the check.
    let sources = dirs.iter().flat_map(|d| sources(&root().join(d)));
    for path in sources.filter(|p| !p.ends_with("tests/codebase.rs")) {
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
    let bytes = "let d = br#\"raw \"quoted\" bytes\"#; for x in r\"s\" {}";
    assert_eq!(literals(bytes), vec!["raw \"quoted\" bytes", "s"]);
    assert!(has_word("SET ack_status = :s", "ack_status"));
    assert!(!has_word("last_ack_status_x", "ack_status"));
    assert!(has_word("pk = :pk", "pk"));
    assert!(!has_word(":pk", "pk") && !has_word("#due_key", "due_key"));
}

/// What a platform must have in one place: a file (or, ending in `/`, a directory with
/// files) that holds `needle`.
struct Touch {
    path: String,
    needle: String,
}

fn touch(path: impl Into<String>, needle: impl Into<String>) -> Touch {
    Touch {
        path: path.into(),
        needle: needle.into(),
    }
}

/// The places a platform touches beyond its crate (`name` as in keys, `template` as in
/// template.yaml's logical ids): docs/adding-a-platform.md walks through them.
fn touch_points(name: &str, template: &str) -> Vec<Touch> {
    let mut points = vec![
        touch(
            format!("functions/{name}/src/lib.rs"),
            format!("const NAME: &'static str = \"{name}\";"),
        ),
        touch(format!("functions/{name}/src/ack.rs"), "impl Acknowledge for"),
        touch(format!("functions/{name}/src/main.rs"), "ordergate_shared::run("),
        touch("Cargo.toml", format!("\"functions/{name}\"")),
        touch("functions/platforms/Cargo.toml", format!("{name} = ")),
        touch("infra/local/secrets.json", format!("\"{template}Secret\"")),
        touch("infra/local/check_template.py", format!("\"{template}Secret\":")),
        touch(format!("events/{name}/"), "\"body\""),
        touch(
            "tests/src/platforms.rs",
            format!("impl TestPlatform for {template} "),
        ),
        touch("tests/benches/hot_path.rs", format!("{name}::")),
        touch(format!("fuzz/fuzz_targets/{name}.rs"), "fuzz_target!"),
        touch("docs/platforms.md", format!("\n## {template}")),
        touch("README.md", format!("### {template}")),
    ];
    for resource in [
        "Function",
        "Role",
        "Secret",
        "LogGroup",
        "QuietAlarm",
        "WebhookUrl",
        "SecretArn",
    ] {
        points.push(touch("template.yaml", format!("\n  {template}{resource}:")));
    }
    points
}

/// Whether `touch` holds: its file has the needle, or its directory has a file that does.
fn holds(touch: &Touch) -> bool {
    let path = root().join(&touch.path);
    let files: Vec<PathBuf> = if touch.path.ends_with('/') {
        std::fs::read_dir(&path)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    } else {
        vec![path]
    };
    files
        .iter()
        .any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains(&touch.needle)))
}

#[test]
fn every_registered_platform_is_in_every_place_a_platform_touches() {
    let mut missing = Vec::new();
    ordergate_tests::each_platform!(P => {
        type Provider = <P as ordergate_tests::platforms::TestPlatform>::P;
        let (name, template) = (
            <Provider as ordergate_shared::Provider>::NAME,
            <Provider as ordergate_shared::Provider>::TEMPLATE_NAME,
        );
        missing.extend(
            touch_points(name, template)
                .into_iter()
                .filter(|t| !holds(t))
                .map(|t| format!("{name}: {} has no {:?}", t.path, t.needle)),
        );
    });
    assert!(missing.is_empty(), "a platform left out:\n{}", missing.join("\n"));
}

#[test]
fn the_guide_to_adding_a_platform_names_every_place_it_touches() {
    let guide = std::fs::read_to_string(root().join("docs/adding-a-platform.md")).unwrap();
    let mut unnamed: Vec<String> = touch_points("<platform>", "<Name>")
        .into_iter()
        .map(|t| t.path)
        .filter(|path| !guide.contains(path.as_str()))
        .collect();
    unnamed.dedup();
    assert!(
        unnamed.is_empty(),
        "docs/adding-a-platform.md does not name: {unnamed:?}"
    );
}
