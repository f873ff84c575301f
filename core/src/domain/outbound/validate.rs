//! Validation helpers: field paths built without allocating on the success path, and the
//! error that names the path and the limit (`message.interactive.action.buttons[3]: at most
//! 3 reply buttons`).

use std::fmt;

/// An invalid request: where, and which rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {limit}")]
pub struct FieldError {
    /// Dotted JSON path from the send request's root, with `[i]` for array items.
    pub path: String,
    /// The rule, in words (`at most 20 characters`, `required`, …).
    pub limit: String,
}

impl FieldError {
    /// An error at `path` (a dotted JSON path such as `message.text.body`); `limit` names the rule broken.
    pub fn new(path: impl Into<String>, limit: impl Into<String>) -> FieldError {
        FieldError { path: path.into(), limit: limit.into() }
    }
}

/// The result of a check: `Ok(())`, or the first [`FieldError`] found.
pub type Checked = Result<(), FieldError>;

#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Root(&'a str),
    Key(&'a str),
    Idx(usize),
}

/// A JSON path as a linked list on the stack: `FieldPath::root("message").key("text").key("body")`.
/// Formatting happens only when an error is built.
#[derive(Clone, Copy, Debug)]
pub struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    seg: Seg<'a>,
}

impl<'a> FieldPath<'a> {
    /// The path's first segment (`message`, `options`, `request_id`, …).
    pub fn root(name: &'a str) -> FieldPath<'a> {
        FieldPath { parent: None, seg: Seg::Root(name) }
    }
    /// This path followed by the object key `k` (`.k`).
    pub fn key(&'a self, k: &'a str) -> FieldPath<'a> {
        FieldPath { parent: Some(self), seg: Seg::Key(k) }
    }
    /// This path followed by the array index `i` (`[i]`).
    pub fn idx(&'a self, i: usize) -> FieldPath<'a> {
        FieldPath { parent: Some(self), seg: Seg::Idx(i) }
    }
    /// An error at this path.
    pub fn err(&self, limit: impl Into<String>) -> FieldError {
        FieldError::new(self.to_string(), limit)
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            fmt::Display::fmt(p, f)?;
        }
        match self.seg {
            Seg::Root(r) => f.write_str(r),
            Seg::Key(k) if self.parent.is_some() => write!(f, ".{k}"),
            Seg::Key(k) => f.write_str(k),
            Seg::Idx(i) => write!(f, "[{i}]"),
        }
    }
}

/// Characters as Meta counts them; ASCII fast path.
pub fn chars(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Present, not blank, at most `max` characters.
pub fn text(p: &FieldPath<'_>, s: &str, max: usize) -> Checked {
    if s.trim().is_empty() {
        return Err(p.err("required (not empty)"));
    }
    at_most(p, s, max)
}

/// At most `max` characters (may be empty).
pub fn at_most(p: &FieldPath<'_>, s: &str, max: usize) -> Checked {
    let n = chars(s);
    if n > max {
        return Err(p.err(format!("at most {max} characters (got {n})")));
    }
    Ok(())
}

/// When `s` is given: not blank and at most `max` characters; `None` passes.
pub fn opt_text(p: &FieldPath<'_>, s: Option<&str>, max: usize) -> Checked {
    s.map_or(Ok(()), |s| text(p, s, max))
}

/// Not blank.
pub fn required(p: &FieldPath<'_>, s: &str) -> Checked {
    if s.trim().is_empty() {
        return Err(p.err("required (not empty)"));
    }
    Ok(())
}

/// An `http(s)://` URL without spaces.
pub fn url(p: &FieldPath<'_>, s: &str) -> Checked {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(p.err("an http:// or https:// URL")),
    }
}

/// `count` within `min..=max`, for arrays (`what` names the items).
pub fn count(p: &FieldPath<'_>, n: usize, min: usize, max: usize, what: &str) -> Checked {
    if n < min {
        return Err(p.err(format!("at least {min} {what}")));
    }
    if n > max {
        return Err(p.err(format!("at most {max} {what} (got {n})")));
    }
    Ok(())
}

/// E.164 recipient: `+`, 8 to 15 digits, no leading zero.
pub fn e164(p: &FieldPath<'_>, s: &str) -> Checked {
    use super::limits::{E164_MAX_DIGITS, E164_MIN_DIGITS};
    let ok = s.strip_prefix('+').is_some_and(|d| {
        (E164_MIN_DIGITS..=E164_MAX_DIGITS).contains(&d.len())
            && d.bytes().all(|b| b.is_ascii_digit())
            && !d.starts_with('0')
    });
    if ok {
        Ok(())
    } else {
        Err(p.err(format!("an E.164 number: `+` then {E164_MIN_DIGITS} to {E164_MAX_DIGITS} digits, no leading 0")))
    }
}

/// Whether `s` has the shape of a business-scoped user id (docs/PROTOCOL.md §10.1): an ISO
/// country code, a dot, then up to 128 letters or digits; a parent BSUID puts `ENT.` after the
/// country. Digits are not assumed after the dot: Meta's format allows letters.
pub fn is_bsuid(s: &str) -> bool {
    let Some((cc, rest)) = s.split_once('.') else { return false };
    let rest = rest.strip_prefix("ENT.").unwrap_or(rest);
    cc.len() == 2
        && cc.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=128).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A recipient: an E.164 number, or a BSUID or parent BSUID ([`is_bsuid`]).
pub fn recipient(p: &FieldPath<'_>, s: &str) -> Checked {
    if is_bsuid(s) {
        return Ok(());
    }
    e164(p, s).map_err(|e| {
        p.err(format!("{}, or a business-scoped user id (`CC.` then up to 128 letters or digits)", e.limit))
    })
}

/// Exactly one of `id` and `link` (media by id or by link).
pub fn id_or_link(p: &FieldPath<'_>, id: Option<&str>, link: Option<&str>) -> Checked {
    match (id, link) {
        (Some(id), None) => required(&p.key("id"), id),
        (None, Some(link)) => url(&p.key("link"), link),
        (Some(_), Some(_)) => Err(p.err("exactly one of `id` and `link`, not both")),
        (None, None) => Err(p.err("exactly one of `id` and `link` is required")),
    }
}

/// The first duplicate of `items` (by `key`), as an error at its index.
pub fn unique<'a, T>(
    p: &FieldPath<'_>,
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a str,
    field: &str,
    what: &str,
) -> Checked {
    for (i, a) in items.iter().enumerate() {
        if items.iter().take(i).any(|b| key(b) == key(a)) {
            return Err(p.idx(i).key(field).err(format!("{what} must be unique")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_format_lazily_and_correctly() {
        let root = FieldPath::root("message");
        let i = root.key("interactive");
        let a = i.key("action");
        let b = a.key("buttons");
        let third = b.idx(3);
        assert_eq!(third.to_string(), "message.interactive.action.buttons[3]");
        assert_eq!(third.key("reply").to_string(), "message.interactive.action.buttons[3].reply");
    }

    #[test]
    fn e164_numbers() {
        let p = FieldPath::root("to");
        assert!(e164(&p, "+919876543210").is_ok());
        for bad in ["919876543210", "+0919876543", "+1234567", "+1234567890123456", "+91 98765 43210", "+", ""] {
            assert_eq!(e164(&p, bad).unwrap_err().path, "to", "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let p = FieldPath::root("x");
        assert!(at_most(&p, &"é".repeat(20), 20).is_ok());
        assert!(at_most(&p, &"é".repeat(21), 20).is_err());
        assert!(text(&p, "  ", 5).is_err());
    }
}
