//! Lenient reading of a platform's JSON: a field that neither identifies the event nor is
//! needed to make the order (the platform's [`Essential`] list) may arrive null, missing or
//! of another type without losing the delivery. Such a field is cut from a copy of the
//! body and the rest read again; a warning names its path, and the body as sent is kept.
//!
//! The hot path is one typed parse of the bytes as they came: only a failed parse takes
//! the slow path (re-parse with path tracking, cut, repeat).

use std::cell::OnceCell;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_path_to_error::Segment;

use crate::error::{parse_json_at, ApiError};

/// A wire type, possibly borrowing from the bytes it is read from (`Envelope<'a>`), named
/// without its lifetime so that a repaired copy can be tried before it is kept.
pub trait Wire {
    type Of<'b>: Deserialize<'b>;
}

/// [`Wire`] for a type that borrows nothing.
pub struct Owned<T>(PhantomData<T>);

impl<T: DeserializeOwned> Wire for Owned<T> {
    type Of<'b> = T;
}

/// What a platform cannot do without: field paths as the errors print them, from the
/// body's root, with `[]` for any index (`data.order_details[].quantity`). A field on the
/// list, or an object or list holding one, is never cut: if it is unreadable the delivery
/// cannot be normalized (and is quarantined).
#[derive(Debug, Clone, Copy)]
pub struct Essential(pub &'static [&'static str]);

impl Essential {
    /// Whether `path` (indexes as `[]`) is on the list. Indexes are ignored: a platform
    /// that sends one object where its doc shows a list (Oolio) names the same field.
    pub fn contains(&self, path: &str) -> bool {
        let path = path.replace("[]", "");
        self.0.iter().any(|e| e.replace("[]", "") == path)
    }

    /// Whether cutting `path` would lose an essential field: it is one, or holds one.
    fn covers(&self, path: &str) -> bool {
        let path = path.replace("[]", "");
        self.0.iter().any(|e| {
            e.replace("[]", "")
                .strip_prefix(&path)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }
}

/// Where a repaired copy of a body lives while what was read from it is in use. One per
/// [`read`]; the delivery's own bytes need none.
#[derive(Default)]
pub struct Scratch(OnceCell<Vec<u8>>);

/// At most this many fields are cut from one document; a body with more unreadable
/// fields than that is not normalized.
const MAX_CUTS: usize = 32;

/// Reads `bytes` (the document at `at` in the body: `""` for the root, `"data"`) as `W`,
/// cutting unreadable non-essential fields; one warning per cut is added to `warnings`.
/// Errors as [`parse_json_at`] when an essential field is unreadable or the bytes are not
/// JSON.
pub fn read<'a, W: Wire>(
    bytes: &'a [u8],
    at: &str,
    essential: &Essential,
    scratch: &'a Scratch,
    warnings: &mut Vec<String>,
) -> Result<W::Of<'a>, ApiError> {
    if let Ok(value) = serde_json::from_slice::<W::Of<'a>>(bytes) {
        return Ok(value);
    }
    let mut copy = bytes.to_vec();
    let mut cut = Vec::new();
    for _ in 0..MAX_CUTS {
        let Some((path, reason)) = cuttable::<W>(&copy, at, essential) else {
            break;
        };
        let Some(shorter) = remove(&copy, &path) else {
            break;
        };
        cut.push(format!(
            "{}: unreadable ({reason}); left empty, as sent in the raw body",
            display(at, &path)
        ));
        copy = shorter;
    }
    if cut.is_empty() {
        return parse_json_at::<W::Of<'a>>(bytes, at);
    }
    let kept = scratch.0.get_or_init(|| copy);
    let value = parse_json_at::<W::Of<'a>>(kept, at)?;
    warnings.extend(cut);
    Ok(value)
}

/// [`read`] for a type that borrows nothing: no scratch needed.
pub fn read_owned<T: DeserializeOwned>(
    bytes: &[u8],
    at: &str,
    essential: &Essential,
    warnings: &mut Vec<String>,
) -> Result<T, ApiError> {
    read::<Owned<T>>(bytes, at, essential, &Scratch::default(), warnings)
}

/// A body that could not be normalized, read as plain JSON to find what still identifies
/// it (for a quarantined delivery). Only on that path: it parses the whole body.
pub struct Probe(serde_json::Value);

impl Probe {
    pub fn new(body: &[u8]) -> Probe {
        Probe(serde_json::from_slice(body).unwrap_or_default())
    }

    /// The string or integer at `path` (object keys), if there is one.
    pub fn id(&self, path: &[&str]) -> Option<String> {
        match path.iter().try_fold(&self.0, |v, key| v.get(key))? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) if !n.is_f64() => Some(n.to_string()),
            _ => None,
        }
    }
}

/// One segment of a path inside a document.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The first field `W` cannot read in `bytes`, and why, when it may be cut: it has a path
/// (not the root), is not essential and does not hold an essential field, and is there
/// (a missing field that `W` requires cannot be repaired by cutting).
fn cuttable<W: Wire>(bytes: &[u8], at: &str, essential: &Essential) -> Option<(Vec<Step>, String)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let error = match serde_path_to_error::deserialize::<_, W::Of<'_>>(&mut de) {
        Ok(_) => return None,
        Err(e) => e,
    };
    let message = error.inner().to_string();
    // A number past f64 is valid JSON that serde_json classifies as a syntax error.
    let out_of_range = message.starts_with("number out of range");
    if (error.inner().is_syntax() && !out_of_range) || error.inner().is_eof() {
        return None;
    }
    if message.starts_with("missing field") {
        return None;
    }
    let mut path = Vec::new();
    for segment in error.path().iter() {
        match segment {
            Segment::Map { key } => path.push(Step::Key(key.clone())),
            Segment::Seq { index } => path.push(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => return None,
        }
    }
    if path.is_empty() || essential.covers(&pattern(at, &path)) {
        return None;
    }
    Some((path, reason(&message)))
}

/// What was expected, without the value that was sent (it may be personal data).
fn reason(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("expected {expected}"),
        None if message.contains('"') => "not a value it can hold".to_owned(),
        None => message.chars().take(120).collect(),
    }
}

/// The path as errors print it (`data.lines[3].name`).
fn display(at: &str, path: &[Step]) -> String {
    render(at, path, |i| format!("[{i}]"))
}

/// The path in the form [`Essential`] lists: any index as `[]`.
fn pattern(at: &str, path: &[Step]) -> String {
    render(at, path, |_| "[]".to_owned())
}

fn render(at: &str, path: &[Step], index: impl Fn(usize) -> String) -> String {
    let mut out = at.to_owned();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&index(*i)),
        }
    }
    out
}

/// `bytes` without the member or element at `path`, or `None` if it is not there.
fn remove(bytes: &[u8], path: &[Step]) -> Option<Vec<u8>> {
    let (start, end) = locate(bytes, skip_ws(bytes, 0), path)?;
    // Take one separating comma with it: the one after, or else the one before.
    let after = skip_ws(bytes, end);
    let (from, to) = if bytes.get(after) == Some(&b',') {
        (start, skip_ws(bytes, after + 1))
    } else {
        let before = bytes[..start].iter().rposition(|b| !b.is_ascii_whitespace());
        match before {
            Some(i) if bytes[i] == b',' => (i, end),
            _ => (start, end),
        }
    };
    Some([&bytes[..from], &bytes[to..]].concat())
}

/// The span of the member (`"key": value`) or element at `path`, in the value at `i`.
fn locate(bytes: &[u8], i: usize, path: &[Step]) -> Option<(usize, usize)> {
    let (step, rest) = path.split_first()?;
    let (open, close) = match step {
        Step::Key(_) => (b'{', b'}'),
        Step::Index(_) => (b'[', b']'),
    };
    if bytes.get(i) != Some(&open) {
        return None;
    }
    let mut at = skip_ws(bytes, i + 1);
    let mut index = 0;
    while bytes.get(at) != Some(&close) {
        let member = at;
        if let Step::Key(_) = step {
            let key_end = skip_value(bytes, at)?;
            let key: String = serde_json::from_slice(&bytes[at..key_end]).ok()?;
            at = skip_ws(bytes, key_end);
            if bytes.get(at) != Some(&b':') {
                return None;
            }
            at = skip_ws(bytes, at + 1);
            if Step::Key(key) != *step {
                at = next(bytes, skip_value(bytes, at)?)?;
                continue;
            }
        } else if Step::Index(index) != *step {
            index += 1;
            at = next(bytes, skip_value(bytes, at)?)?;
            continue;
        }
        return match rest {
            [] => Some((member, skip_value(bytes, at)?)),
            _ => locate(bytes, at, rest),
        };
    }
    None
}

/// Past the comma after a value, or at the closing bracket.
fn next(bytes: &[u8], end: usize) -> Option<usize> {
    let at = skip_ws(bytes, end);
    match bytes.get(at)? {
        b',' => Some(skip_ws(bytes, at + 1)),
        b'}' | b']' => Some(at),
        _ => None,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `i` (a string, a container, or a scalar).
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0_usize, false, false);
    for (k, &b) in bytes.iter().enumerate().skip(i) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Some(k + 1);
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(k),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            b',' if depth == 0 => return Some(k),
            b if depth == 0 && b.is_ascii_whitespace() => return Some(k),
            _ => {}
        }
    }
    (depth == 0 && !in_string).then_some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        id: String,
        note: Option<String>,
        #[serde(default)]
        lines: Vec<Line>,
        client: Option<Client>,
    }
    #[derive(Debug, Deserialize)]
    struct Line {
        name: String,
        qty: u32,
        price: Option<i64>,
    }
    #[derive(Debug, Deserialize)]
    struct Client {
        lat: Option<f64>,
        email: Option<String>,
    }

    const ESSENTIAL: Essential = Essential(&["id", "lines[].name", "lines[].qty"]);

    fn read_doc(body: &str) -> Result<(Doc, Vec<String>), ApiError> {
        let mut warnings = Vec::new();
        read_owned::<Doc>(body.as_bytes(), "", &ESSENTIAL, &mut warnings).map(|d| (d, warnings))
    }

    #[test]
    fn unreadable_optional_fields_are_cut_with_a_warning_naming_them() {
        let (doc, warnings) = read_doc(
            r#"{"id": "o1", "note": 5, "lines": [{"name": "a", "qty": 1, "price": "x"},
                {"name": "b", "qty": 2, "price": 1.5}], "client": {"lat": "12.1", "email": ["me@x"]}}"#,
        )
        .unwrap();
        assert_eq!((doc.id.as_str(), doc.note, doc.lines.len()), ("o1", None, 2));
        assert_eq!((doc.lines[0].price, doc.lines[1].price), (None, None));
        assert_eq!(doc.lines[1].qty, 2);
        let client = doc.client.unwrap();
        assert_eq!((client.lat, client.email), (None, None));
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        assert!(
            warnings[0].starts_with("note: unreadable (expected"),
            "{warnings:?}"
        );
        assert!(warnings[1].starts_with("lines[0].price:"), "{warnings:?}");
        assert!(warnings[4].starts_with("client.email:"), "{warnings:?}");
        assert!(!warnings.concat().contains("me@x"), "values are not quoted");
    }

    #[test]
    fn essential_fields_and_what_holds_them_are_never_cut() {
        for body in [
            r#"{"id": 1}"#,
            r#"{"id": "o1", "lines": [{"name": "a", "qty": 1.5}]}"#,
            r#"{"id": "o1", "lines": [{"name": null, "qty": 1}]}"#,
            r#"{"id": "o1", "lines": [7]}"#,
            r#"{"id": "o1", "lines": {"name": "a"}}"#,
            r#"{"note": "no id"}"#,
        ] {
            assert!(read_doc(body).is_err(), "{body}");
        }
        assert!(read_doc("{\"id\": \"o1\", \"note\": 5").is_err(), "not JSON");
    }

    #[test]
    fn a_readable_body_is_read_as_is() {
        let huge = format!(
            r#"{{"id":"o1","lines":[{{"name":"a","qty":1,"price":1{}}}]}}"#,
            "0".repeat(400)
        );
        let (doc, warnings) = read_doc(&huge).unwrap();
        assert_eq!(
            (doc.lines[0].price, warnings.len()),
            (None, 1),
            "a number past f64 is cut"
        );
        let probe = Probe::new(br#"{"a": {"b": 7, "c": "x", "d": 1.5}}"#);
        assert_eq!(probe.id(&["a", "b"]).as_deref(), Some("7"));
        assert_eq!(probe.id(&["a", "c"]).as_deref(), Some("x"));
        assert_eq!((probe.id(&["a", "d"]), probe.id(&["z"])), (None, None));
        let (doc, warnings) = read_doc(r#"{"id":"o1","lines":[{"name":"a","qty":1,"price":5}]}"#).unwrap();
        assert_eq!(
            (doc.lines[0].name.as_str(), doc.lines[0].price, warnings.len()),
            ("a", Some(5), 0)
        );
    }

    #[test]
    fn members_and_elements_are_removed_with_one_comma() {
        let at = |k: &str| Step::Key(k.into());
        let cut =
            |body: &str, path: &[Step]| String::from_utf8(remove(body.as_bytes(), path).unwrap()).unwrap();
        assert_eq!(cut(r#"{"a": 1, "b": 2}"#, &[at("a")]), r#"{"b": 2}"#);
        assert_eq!(cut(r#"{"a": 1, "b": 2}"#, &[at("b")]), r#"{"a": 1}"#);
        assert_eq!(cut(r#"{ "a" : {"x": [1, "]"]} }"#, &[at("a")]), r#"{  }"#);
        assert_eq!(
            cut(r#"{"a": [1, 2, 3]}"#, &[at("a"), Step::Index(1)]),
            r#"{"a": [1, 3]}"#
        );
        assert_eq!(
            cut(r#"{"a\"b": 1, "c": {"d": "}"}}"#, &[at("c"), at("d")]),
            r#"{"a\"b": 1, "c": {}}"#
        );
        assert!(remove(br#"{"a": 1}"#, &[at("z")]).is_none());
    }

    #[test]
    fn paths_compare_with_any_index() {
        let p = pattern(
            "data",
            &[
                Step::Key("items".into()),
                Step::Index(3),
                Step::Key("name".into()),
            ],
        );
        assert_eq!(p, "data.items[].name");
        let e = Essential(&["data.items[].name", "data.id"]);
        assert!(e.covers("data.items[]") && e.covers("data.items") && e.covers("data"));
        assert!(!e.covers("data.items[].price") && !e.covers("data.i"));
        assert!(
            e.contains("data.items[].name") && e.contains("data.items.name"),
            "one object for a list"
        );
        assert!(!e.contains("data.items") && !e.contains("data.items[].price"));
    }
}
