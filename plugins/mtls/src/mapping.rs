//! Kafka's `ssl.principal.mapping.rules`: a comma- or newline-separated list of
//! `RULE:PATTERN/REPLACEMENT/[LU]` and `DEFAULT`, `/` and `\` escaped with `\` inside them.

use regex::Regex;

pub struct Rules(Vec<Rule>);

enum Rule {
    Default,
    Replace {
        whole: Regex,
        pattern: Regex,
        replacement: String,
        case: Case,
    },
}

#[derive(Clone, Copy)]
enum Case {
    Keep,
    Lower,
    Upper,
}

impl Rules {
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Vec::new();
        let mut rest = text.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        while !rest.is_empty() {
            let (rule, after) = if let Some(after) = rest.strip_prefix("DEFAULT") {
                (Rule::Default, after)
            } else if let Some(after) = rest.strip_prefix("RULE:") {
                let (pattern, after) = until_slash(after)?;
                let (replacement, after) = until_slash(after)?;
                let (case, after) = match after.chars().next() {
                    Some('L') => (Case::Lower, &after[1..]),
                    Some('U') => (Case::Upper, &after[1..]),
                    _ => (Case::Keep, after),
                };
                let compile = |p: &str| Regex::new(p).map_err(|e| format!("pattern `{pattern}`: {e}"));
                let rule = Rule::Replace {
                    whole: compile(&format!("^(?:{pattern})$"))?,
                    pattern: compile(&pattern)?,
                    replacement,
                    case,
                };
                (rule, after)
            } else {
                return Err(format!(
                    "`{rest}` is neither RULE:PATTERN/REPLACEMENT/ nor DEFAULT"
                ));
            };
            rules.push(rule);
            let after = after.trim_start();
            if !(after.is_empty() || after.starts_with(',') || after.starts_with('\n')) {
                return Err(format!("unexpected `{after}` after a rule"));
            }
            rest = after.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        }
        Ok(Rules(rules))
    }

    /// The principal the first matching rule gives `subject`; `None` when no rule matches.
    pub fn map(&self, subject: &str) -> Option<String> {
        self.0.iter().find_map(|rule| match rule {
            Rule::Default => Some(subject.to_string()),
            Rule::Replace {
                whole,
                pattern,
                replacement,
                case,
            } if whole.is_match(subject) => {
                let name = pattern.replace_all(subject, replacement.as_str()).into_owned();
                Some(match case {
                    Case::Keep => name,
                    Case::Lower => name.to_lowercase(),
                    Case::Upper => name.to_uppercase(),
                })
            }
            Rule::Replace { .. } => None,
        })
    }
}

/// The text up to the next unescaped `/` (escapes of `/` removed) and what follows the `/`.
fn until_slash(text: &str) -> Result<(String, &str), String> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '/')) => out.push('/'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '/' => return Ok((out, &text[i + 1..])),
            other => out.push(other),
        }
    }
    Err(format!("`{text}` lacks its closing `/`"))
}
