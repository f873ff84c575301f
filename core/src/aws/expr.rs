//! Rendering [`Cond`] and [`Update`] into DynamoDB expressions with generated placeholders.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::convert::to_av;
use crate::domain::keys::PK;
use crate::ports::{Cond, Update};

pub(crate) type Names = HashMap<String, String>;
pub(crate) type Values = HashMap<String, AttributeValue>;

/// How tightly a rendered condition binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Or,
    And,
    Not,
    Atom,
}

/// Placeholders shared by the condition and update expressions of one request.
#[derive(Debug, Default)]
pub(crate) struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    /// `#nK` for an attribute name (the same name reuses its placeholder).
    pub(crate) fn name(&mut self, name: &str) -> String {
        let next = format!("#n{}", self.names.len());
        self.names.entry(name.to_string()).or_insert(next).clone()
    }

    /// `:vK` for a value.
    pub(crate) fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }

    fn json(&mut self, v: &Value) -> String {
        self.value(to_av(v))
    }

    /// A condition expression. DynamoDB rejects redundant parentheses, so they are only
    /// written where precedence (NOT over AND over OR) needs them.
    pub(crate) fn cond(&mut self, c: &Cond) -> String {
        self.render(c).0
    }

    fn render(&mut self, c: &Cond) -> (String, Prec) {
        let atom = |s: String| (s, Prec::Atom);
        match c {
            Cond::ItemExists => atom(format!("attribute_exists({})", self.name(PK))),
            Cond::ItemMissing => atom(format!("attribute_not_exists({})", self.name(PK))),
            Cond::AttrExists(a) => atom(format!("attribute_exists({})", self.name(a))),
            Cond::AttrMissing(a) => atom(format!("attribute_not_exists({})", self.name(a))),
            Cond::AttrEq(a, v) => atom(format!("{} = {}", self.name(a), self.json(v))),
            // Not `<>`: the port defines Ne as the negation of Eq, true on a missing attribute.
            Cond::AttrNe(a, v) => (format!("NOT {} = {}", self.name(a), self.json(v)), Prec::Not),
            Cond::AttrLt(a, v) => atom(format!("{} < {}", self.name(a), self.json(v))),
            Cond::AttrGt(a, v) => atom(format!("{} > {}", self.name(a), self.json(v))),
            Cond::And(cs) if cs.is_empty() => self.render(&Cond::Or(vec![Cond::ItemExists, Cond::ItemMissing])),
            Cond::Or(cs) if cs.is_empty() => self.render(&Cond::And(vec![Cond::ItemExists, Cond::ItemMissing])),
            Cond::And(cs) | Cond::Or(cs) if cs.len() == 1 => match cs.first() {
                Some(only) => self.render(only),
                None => (self.join(cs, " AND ", Prec::And), Prec::And),
            },
            Cond::And(cs) => (self.join(cs, " AND ", Prec::And), Prec::And),
            Cond::Or(cs) => (self.join(cs, " OR ", Prec::Or), Prec::Or),
            Cond::Not(inner) => {
                let s = self.operand(inner, Prec::Not);
                (format!("NOT {s}"), Prec::Not)
            }
        }
    }

    /// A sub-condition, in parentheses only when it binds looser than its context.
    fn operand(&mut self, c: &Cond, context: Prec) -> String {
        let (s, p) = self.render(c);
        if p < context {
            format!("({s})")
        } else {
            s
        }
    }

    fn join(&mut self, cs: &[Cond], op: &str, context: Prec) -> String {
        let parts: Vec<String> = cs.iter().map(|c| self.operand(c, context)).collect();
        parts.join(op)
    }

    /// `SET … ADD … REMOVE …`, or `None` for no updates.
    pub(crate) fn update(&mut self, updates: &[Update]) -> Option<String> {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for u in updates {
            match u {
                Update::Set(a, v) => set.push(format!("{} = {}", self.name(a), self.json(v))),
                Update::SetIfMissing(a, v) => {
                    let n = self.name(a);
                    set.push(format!("{n} = if_not_exists({n}, {})", self.json(v)))
                }
                Update::Add(a, by) => {
                    add.push(format!("{} {}", self.name(a), self.value(AttributeValue::N(by.to_string()))))
                }
                Update::Remove(a) => remove.push(self.name(a)),
            }
        }
        let mut out = Vec::new();
        for (kw, parts) in [("SET", set), ("ADD", add), ("REMOVE", remove)] {
            if !parts.is_empty() {
                out.push(format!("{kw} {}", parts.join(", ")));
            }
        }
        (!out.is_empty()).then(|| out.join(" "))
    }

    /// The placeholder maps, as the request wants them (`None` when empty).
    pub(crate) fn into_maps(self) -> (Option<Names>, Option<Values>) {
        let names: HashMap<String, String> = self.names.into_iter().map(|(n, p)| (p, n)).collect();
        ((!names.is_empty()).then_some(names), (!self.values.is_empty()).then_some(self.values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_conditions_with_placeholders() {
        let mut e = Expr::default();
        let c = Cond::And(vec![
            Cond::ItemExists,
            Cond::missing_or_lt("rank", 3),
            Cond::Not(Box::new(Cond::AttrEq("pk".into(), json!("x")))),
        ]);
        assert_eq!(e.cond(&c), "attribute_exists(#n0) AND (attribute_not_exists(#n1) OR #n1 < :v0) AND NOT #n0 = :v1");
        let (names, values) = e.into_maps();
        let names = names.unwrap();
        assert_eq!(names["#n0"], "pk");
        assert_eq!(names["#n1"], "rank");
        assert_eq!(values.unwrap()[":v0"], AttributeValue::N("3".into()));
    }

    #[test]
    fn parentheses_only_where_needed() {
        let mut e = Expr::default();
        let a = || Cond::AttrExists("a".into());
        let or = Cond::Or(vec![a(), Cond::And(vec![a(), Cond::Not(Box::new(Cond::Or(vec![a(), a()])))])]);
        assert_eq!(
            e.cond(&or),
            "attribute_exists(#n0) OR attribute_exists(#n0) AND NOT (attribute_exists(#n0) OR attribute_exists(#n0))"
        );
        assert_eq!(e.cond(&Cond::Not(Box::new(Cond::And(vec![a()])))), "NOT attribute_exists(#n0)");
        assert_eq!(e.cond(&Cond::AttrNe("a".into(), json!(1))), "NOT #n0 = :v0");
        assert_eq!(e.cond(&Cond::And(vec![])), "attribute_exists(#n1) OR attribute_not_exists(#n1)");
    }

    #[test]
    fn renders_updates() {
        let mut e = Expr::default();
        let u = e.update(&[
            Update::Set("a".into(), json!(1)),
            Update::SetIfMissing("b".into(), json!("x")),
            Update::Add("c".into(), -2),
            Update::Remove("d".into()),
        ]);
        assert_eq!(u.as_deref(), Some("SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) ADD #n2 :v2 REMOVE #n3"));
        assert_eq!(Expr::default().update(&[]), None);
        assert_eq!(Expr::default().into_maps(), (None, None));
    }
}
