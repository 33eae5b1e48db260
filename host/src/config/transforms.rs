//! `transforms` and `transforms.NAME.*`: the transform plugins applied to records, in order,
//! each on the topics and in the directions configured for it.

use regex::Regex;

use super::{split_list, ConfigError, Reader};

#[derive(Clone, Debug)]
pub struct TransformConfig {
    /// The transform plugin's name.
    pub name: String,
    /// `transforms.NAME.topics` (names) or `transforms.NAME.topics.regex`; all topics when
    /// neither is set.
    pub topics: TopicFilter,
    /// `transforms.NAME.on`: `produce`, `consume` or both (the default).
    pub on_produce: bool,
    pub on_consume: bool,
}

#[derive(Clone, Debug)]
pub enum TopicFilter {
    All,
    Names(Vec<String>),
    /// Matches whole topic names.
    Pattern(Regex),
}

impl TopicFilter {
    pub fn matches(&self, topic: &str) -> bool {
        match self {
            TopicFilter::All => true,
            TopicFilter::Names(names) => names.iter().any(|n| n == topic),
            TopicFilter::Pattern(pattern) => pattern.is_match(topic),
        }
    }
}

const SUFFIXES: &[&str] = &["topics", "topics.regex", "on"];

/// The transforms listed in `transforms`, with their settings. A `transforms.NAME.*` key for
/// a transform not listed, or with an unknown suffix, is an error (a typo would otherwise
/// leave records untransformed).
pub(super) fn read(r: &Reader) -> Result<Vec<TransformConfig>, ConfigError> {
    let names: Vec<String> = split_list(&r.string("transforms")).map(str::to_string).collect();
    for (key, _) in r.raw.iter() {
        let Some(rest) = key.strip_prefix("transforms.") else {
            continue;
        };
        let known = names.iter().any(|name| {
            rest.strip_prefix(name.as_str())
                .and_then(|suffix| suffix.strip_prefix('.'))
                .is_some_and(|suffix| SUFFIXES.contains(&suffix))
        });
        if !known {
            return Err(r.invalid(
                key,
                "expected transforms.NAME.topics, transforms.NAME.topics.regex or transforms.NAME.on \
                 for a NAME listed in `transforms`",
            ));
        }
    }
    names.into_iter().map(|name| transform(r, name)).collect()
}

fn transform(r: &Reader, name: String) -> Result<TransformConfig, ConfigError> {
    let topics_key = format!("transforms.{name}.topics");
    let regex_key = format!("transforms.{name}.topics.regex");
    let topics = match (r.raw.get(&topics_key), r.raw.get(&regex_key)) {
        (Some(_), Some(_)) => {
            return Err(r.invalid(
                &regex_key,
                &format!("set either {topics_key} or {regex_key}, not both"),
            ))
        }
        (Some((list, _)), None) => TopicFilter::Names(split_list(list).map(str::to_string).collect()),
        (None, Some((pattern, _))) => match Regex::new(&format!("^(?:{pattern})$")) {
            Ok(regex) => TopicFilter::Pattern(regex),
            Err(e) => return Err(r.invalid(&regex_key, &format!("not a regular expression: {e}"))),
        },
        (None, None) => TopicFilter::All,
    };
    let on_key = format!("transforms.{name}.on");
    let (mut on_produce, mut on_consume) = (false, false);
    let on = r.raw.get(&on_key).map_or("produce,consume", |(v, _)| v.as_str());
    for direction in split_list(on) {
        match direction {
            "produce" => on_produce = true,
            "consume" => on_consume = true,
            _ => return Err(r.invalid(&on_key, "expected produce, consume or both")),
        }
    }
    if !(on_produce || on_consume) {
        return Err(r.invalid(&on_key, "expected produce, consume or both"));
    }
    Ok(TransformConfig {
        name,
        topics,
        on_produce,
        on_consume,
    })
}
