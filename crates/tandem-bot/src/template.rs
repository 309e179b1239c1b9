//! Templates: text with `{name}` placeholders (`{{` and `}}` for literal braces).
//! Parsed once when a configuration is compiled, so a typo in a placeholder is refused
//! then rather than found by a customer.

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(String),
}

fn valid_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        && !name.starts_with('.')
        && !name.ends_with('.')
}

/// Secret names: lowercase letters, digits and `_` (as placeholders are written).
pub fn valid_secret_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(n) => name.push(n),
                            None => return Err("a `{` is not closed; write `{{` for a literal brace".into()),
                        }
                    }
                    if !valid_placeholder(&name) {
                        return Err(format!(
                            "`{{{name}}}` is not a placeholder; use lowercase names like `{{order_number}}`"
                        ));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Slot(name));
                }
                '}' => return Err("a `}` without its `{`; write `}}` for a literal brace".into()),
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts })
    }

    /// The placeholder names, in order.
    pub fn placeholders(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Slot(name) => Some(name.as_str()),
                Part::Text(_) => None,
            })
            .collect()
    }

    /// Fills the placeholders; `Err(name)` names the first one `lookup` has no value for.
    pub fn render(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Slot(name) => out.push_str(&lookup(name).ok_or_else(|| name.clone())?),
            }
        }
        Ok(out)
    }
}

/// Parses and renders in one go (built-in phrases, which are known to parse).
pub fn fill(text: &str, values: &[(&str, String)]) -> String {
    match Template::parse(text) {
        Ok(t) => t
            .render(|name| values.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
            .unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

/// Percent-encodes a value for a URL path or query.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        // `.` is encoded too, so a value can never be a `..` path segment.
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_renders_and_refuses() {
        let t = Template::parse("Order {order_number} is {status} {{ok}}").unwrap();
        assert_eq!(t.placeholders(), vec!["order_number", "status"]);
        let out = t.render(|n| Some(n.to_uppercase())).unwrap();
        assert_eq!(out, "Order ORDER_NUMBER is STATUS {ok}");
        assert_eq!(t.render(|n| (n == "status").then(|| "x".into())), Err("order_number".into()));
        assert!(Template::parse("{unclosed").is_err());
        assert!(Template::parse("{Bad Name}").is_err());
        assert!(Template::parse("stray }").is_err());
        assert_eq!(url_encode("A 10/43"), "A%2010%2F43");
        assert_eq!(url_encode(".."), "%2E%2E");
    }
}
