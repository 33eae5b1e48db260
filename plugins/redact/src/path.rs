//! Field paths (`ssn`, `card.number`, `$..email`) and the one walk over a JSON value that
//! redacts every member any of them matches.

use serde_json::Value;

/// A parsed field path: member names from the root, each found directly in the previous
/// step's value, or at any depth below it when `anywhere`.
#[derive(Debug, PartialEq)]
pub struct Path(Vec<Step>);

#[derive(Debug, PartialEq)]
struct Step {
    name: String,
    anywhere: bool,
}

impl Path {
    /// `NAME` (any depth), `$..NAME…`, `$.A.B…` or `A.B…` (from the root).
    pub fn parse(text: &str) -> Result<Path, String> {
        let rest = match text.strip_prefix('$') {
            Some(rest) => rest.to_string(),
            None if text.starts_with('.') => return Err("a path starts with a name, `$.` or `$..`".into()),
            None if text.contains('.') => format!(".{text}"),
            None => format!("..{text}"),
        };
        let mut steps = Vec::new();
        let mut pieces = rest.split('.');
        if pieces.next() != Some("") {
            return Err("after `$` comes `.` or `..`".into());
        }
        let mut anywhere = false;
        for piece in pieces {
            match piece {
                "" if anywhere => return Err("`...` is not a step".into()),
                "" => anywhere = true,
                name => {
                    steps.push(Step {
                        name: name.to_string(),
                        anywhere,
                    });
                    anywhere = false;
                }
            }
        }
        if anywhere || steps.is_empty() {
            return Err("the path must end with a member name".into());
        }
        Ok(Path(steps))
    }
}

/// How far one path has matched: (index of the path, index of its next step).
type State = (usize, usize);

/// Replaces, in one walk, every non-null member that a path matches with `replace(member)`;
/// nothing below a replaced member is visited. Whether anything was replaced.
pub fn redact(value: &mut Value, paths: &[Path], replace: &impl Fn(&Value) -> Value) -> bool {
    let start: Vec<State> = (0..paths.len()).map(|path| (path, 0)).collect();
    visit(value, paths, &start, replace)
}

fn visit(value: &mut Value, paths: &[Path], states: &[State], replace: &impl Fn(&Value) -> Value) -> bool {
    match value {
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            visit(item, paths, states, replace) | changed
        }),
        Value::Object(members) => {
            let mut changed = false;
            for (name, member) in members.iter_mut() {
                let mut next: Vec<State> = Vec::new();
                let mut matched = false;
                for &(path, step) in states {
                    let steps = &paths[path].0;
                    let mut advance = |state: State| {
                        if !next.contains(&state) {
                            next.push(state)
                        }
                    };
                    if steps[step].anywhere {
                        advance((path, step));
                    }
                    if steps[step].name == *name {
                        match step + 1 == steps.len() {
                            true => matched = true,
                            false => advance((path, step + 1)),
                        }
                    }
                }
                if matched {
                    if !member.is_null() {
                        *member = replace(member);
                        changed = true;
                    }
                } else if !next.is_empty() {
                    changed |= visit(member, paths, &next, replace);
                }
            }
            changed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, anywhere: bool) -> Step {
        Step {
            name: name.into(),
            anywhere,
        }
    }

    #[test]
    fn paths_parse_to_steps() {
        assert_eq!(Path::parse("ssn"), Ok(Path(vec![step("ssn", true)])));
        assert_eq!(Path::parse("$..ssn"), Ok(Path(vec![step("ssn", true)])));
        assert_eq!(Path::parse("$.ssn"), Ok(Path(vec![step("ssn", false)])));
        let rooted = Path(vec![step("card", false), step("number", false)]);
        assert_eq!(Path::parse("card.number").as_ref(), Ok(&rooted));
        assert_eq!(Path::parse("$.card.number").as_ref(), Ok(&rooted));
        assert_eq!(
            Path::parse("$..card.number"),
            Ok(Path(vec![step("card", true), step("number", false)]))
        );
        assert_eq!(
            Path::parse("a..b"),
            Ok(Path(vec![step("a", false), step("b", true)]))
        );
        for bad in [
            "", ".ssn", "$", "$.", "$..", "a.", "a...b", "$x", "..", "a..", "$...a",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
    }
}
