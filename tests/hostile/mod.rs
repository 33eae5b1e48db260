//! Generators of hostile requests: every documented route with garbage path parameters, query
//! strings, media types and bodies (mutated valid ones, random bytes, invalid UTF-8, deep
//! nesting), huge and broken headers, and broken HTTP framing. Seeded, so a run repeats.

pub mod wire;

use serde_json::{json, Value};

/// A small seeded generator (splitmix64): the campaign needs speed and repeatability, not
/// cryptographic quality.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Between 1 and `max` random bytes.
    pub fn bytes_up_to(&mut self, max: usize) -> Vec<u8> {
        let n = 1 + self.below(max);
        self.bytes(n)
    }
}

/// Kinds of requests, each counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Any method on a documented path with garbage parameters, media types and bodies.
    Random,
    /// Deeply nested JSON bodies, bare or inside a valid envelope.
    Deep,
    /// Huge, numerous or malformed headers.
    Headers,
    /// Broken HTTP: garbage request lines, conflicting lengths, bad chunks, raw bytes.
    Framing,
    /// Bodies of megabytes, under and over `request.body.max.bytes`.
    Large,
}

/// One request as bytes on the wire.
pub struct Hostile {
    pub class: Class,
    pub bytes: Vec<u8>,
    /// A HEAD request (its answer has no body).
    pub head: bool,
    /// The connection cannot be reused after it (broken framing).
    pub last: bool,
}

/// What generated requests may name: the routes krest documents and a few real resources.
pub struct Targets {
    /// `(METHOD, path template)` of every operation in `GET /openapi.json`.
    pub routes: Vec<(String, String)>,
    pub cluster_id: String,
    /// A topic hostile produce requests may really reach (never the normal traffic's).
    pub sink_topic: String,
}

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "FOO", "get",
];

const MEDIA_TYPES: &[&str] = &[
    "application/vnd.kafka.v2+json",
    "application/json",
    "application/vnd.kafka.binary.v2+json",
    "application/vnd.kafka.json.v2+json",
    "application/vnd.kafka.avro.v2+json",
    "application/vnd.kafka.protobuf.v2+json",
    "application/vnd.kafka.jsonschema.v2+json",
    "application/vnd.kafka.nosuch.v2+json",
    "application/vnd.kafka..v2+json",
    "application/vnd.kafka+json",
    "application/json; charset=utf-16",
    "Application/JSON;;;q",
    "text/plain",
    "*/*",
    "*/*; q=0",
    "application/*; q=NaN",
    "application/json; q=1e999, */*; q=-1",
    "",
    ";",
    ",,,,",
];

const NUMBERS: &[&str] = &[
    "-1",
    "0",
    "1",
    "2147483648",
    "-2147483649",
    "99999999999999999999999",
    "1e3",
    "+1",
    "0x10",
    "NaN",
    "",
];

const SPECIALS: &[&str] = &[
    "..",
    ".",
    "-",
    "%00",
    "%2F",
    "%2f..%2f",
    "%25",
    "%FF%FE",
    "%C0%AF",
    "%C3%A9",
    "a%20b",
    "%0D%0A",
    "*",
    "_",
    "~",
    "%E2%80%AE",
];

const QUERY_NAMES: &[&str] = &[
    "timeout",
    "max_bytes",
    "offset",
    "timestamp",
    "resource_type",
    "resource_name",
    "pattern_type",
    "principal",
    "host",
    "operation",
    "permission",
    "include_partitions",
    "page_token",
];

impl Targets {
    /// A valid value for the path parameter `name`.
    fn valid(&self, rng: &mut Rng, name: &str) -> String {
        match name {
            "cluster_id" => self.cluster_id.clone(),
            "topic_name" => rng
                .pick(&[self.sink_topic.as_str(), "hostile-absent"])
                .to_string(),
            "partition_id" => rng.pick(&["0", "1"]).to_string(),
            "broker_id" => "1".into(),
            "name" => rng
                .pick(&[
                    "binary",
                    "cleanup.policy",
                    "compression.type",
                    "retention.ms",
                    "json",
                ])
                .to_string(),
            "group_name" | "consumer_group_id" => "hostile-group".into(),
            _ => format!("hostile-{}", rng.below(4)),
        }
    }

    /// A value for path parameter `name`: valid, or garbage of some kind.
    fn parameter(&self, rng: &mut Rng, name: &str) -> Vec<u8> {
        match rng.below(10) {
            0..=3 => self.valid(rng, name).into_bytes(),
            4 => percent_encoded(&rng.bytes_up_to(40)),
            5 => "x".repeat(1 + rng.below(12_000)).into_bytes(),
            6 => rng.pick(NUMBERS).as_bytes().to_vec(),
            7 => rng.pick(SPECIALS).as_bytes().to_vec(),
            // Raw bytes that are not a valid URI (invalid UTF-8, controls, spaces).
            8 => rng.bytes_up_to(8),
            _ => percent_encoded("ü日本\u{202e}\u{0}".repeat(1 + rng.below(3)).as_bytes()),
        }
    }

    fn path(&self, rng: &mut Rng, template: &str) -> Vec<u8> {
        let mut path = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            path.extend_from_slice(&rest.as_bytes()[..open]);
            let close = open + rest[open..].find('}').expect("a closed path parameter");
            path.extend(self.parameter(rng, &rest[open + 1..close]));
            rest = &rest[close + 1..];
        }
        path.extend_from_slice(rest.as_bytes());
        if rng.chance(3) {
            path.push(b'/');
        }
        if rng.chance(40) {
            path.push(b'?');
            for i in 0..1 + rng.below(4) {
                if i > 0 {
                    path.push(b'&');
                }
                path.extend_from_slice(rng.pick(QUERY_NAMES).as_bytes());
                path.push(b'=');
                match rng.below(4) {
                    0 => path.extend_from_slice(rng.pick(NUMBERS).as_bytes()),
                    1 => path.extend_from_slice(rng.pick(SPECIALS).as_bytes()),
                    2 => path.extend(percent_encoded(&rng.bytes_up_to(20))),
                    _ => path.extend_from_slice(b"%%=&&=="),
                }
            }
        }
        path
    }

    /// The media type a route expects (so that bodies get past content negotiation).
    fn media_type_for(&self, path: &str) -> &'static str {
        if path.starts_with("/v3") || path.starts_with("/plugins") {
            "application/json"
        } else if path.starts_with("/topics") {
            if path.len() % 2 == 0 {
                "application/vnd.kafka.binary.v2+json"
            } else {
                "application/vnd.kafka.json.v2+json"
            }
        } else {
            "application/vnd.kafka.v2+json"
        }
    }

    /// A request of class `class` (not [`Class::Large`]: see [`large`]).
    pub fn request(&self, rng: &mut Rng, class: Class) -> Hostile {
        if class == Class::Framing {
            return framing(rng);
        }
        let (documented_method, template) = rng.pick(&self.routes).clone();
        let method = if rng.chance(80) {
            documented_method
        } else {
            rng.pick(METHODS).to_string()
        };
        let path = self.path(rng, &template);
        let media_type = if rng.chance(60) {
            self.media_type_for(&template).to_string()
        } else {
            rng.pick(MEDIA_TYPES).to_string()
        };
        let body = match class {
            Class::Deep => deep_body(rng, &template),
            _ => body(rng, &template),
        };
        let mut head = format!("{method} ").into_bytes();
        head.extend(path);
        head.extend_from_slice(b" HTTP/1.1\r\nHost: krest\r\n");
        if rng.chance(90) {
            head.extend(format!("Content-Type: {media_type}\r\n").into_bytes());
        }
        if rng.chance(70) {
            let accept = if rng.chance(50) {
                media_type.as_str()
            } else {
                rng.pick(MEDIA_TYPES)
            };
            head.extend(format!("Accept: {accept}\r\n").into_bytes());
        }
        if class == Class::Headers {
            head.extend(hostile_headers(rng));
        }
        head.extend(format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes());
        head.extend(body);
        Hostile {
            class,
            bytes: head,
            head: method == "HEAD",
            last: false,
        }
    }
}

fn percent_encoded(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("%{b:02X}").into_bytes())
        .collect()
}

/// A body that a route of `template` would accept.
fn valid_body(template: &str) -> Value {
    let partitions = json!({"partitions": [{"topic": "hostile-0", "partition": 0}]});
    let offsets = json!({"offsets": [{"topic": "hostile-0", "partition": 0, "offset": 1}]});
    let acl = json!({"resource_type": "TOPIC", "resource_name": "hostile-0", "pattern_type": "LITERAL",
        "principal": "User:hostile", "host": "*", "operation": "READ", "permission": "ALLOW"});
    let suffix = template.rsplit('/').next().unwrap_or("");
    match suffix {
        "subscription" => json!({"topics": ["hostile-0"], "topic_pattern": "hostile-.*"}),
        "assignments" | "beginning" | "end" => partitions,
        "positions" | "offsets" => offsets,
        "records" if template.starts_with("/v3") => {
            json!({"partition_id": 0, "headers": [{"name": "h", "value": "AAE="}],
            "key": {"type": "BINARY", "data": "a2V5"}, "value": {"type": "JSON", "data": {"a": [1, 2.5, null]}},
            "timestamp": "2021-02-05T19:14:42Z"})
        }
        "records:batch" => json!({"entries": [{"id": "1", "value": {"type": "STRING", "data": "x"}}]}),
        "topics" => json!({"topic_name": "hostile-1", "partitions_count": 1, "replication_factor": 1,
            "configs": [{"name": "cleanup.policy", "value": "compact"}]}),
        "acls" => acl,
        "acls:batch" => json!({"data": [acl]}),
        "configs:alter" => {
            json!({"data": [{"name": "cleanup.policy", "value": "compact"}, {"name": "retention.ms", "operation": "DELETE"}]})
        }
        "{name}" => json!({"value": "compact"}),
        "test" => {
            json!({"records": [{"key": "a2V5", "value": "dmFsdWU="}], "direction": "produce", "format": "binary"})
        }
        "{topic_name}" if template.starts_with("/v3") => json!({"partitions_count": 2}),
        _ if template.starts_with("/consumers") => json!({"name": "hostile", "format": "binary",
            "auto.offset.reset": "earliest", "auto.commit.enable": "false", "fetch.min.bytes": "1"}),
        _ => json!({"records": [{"key": "a2V5", "value": "dmFsdWU=", "partition": 0}, {"value": {"x": 1}}]}),
    }
}

/// A random JSON value, at most `depth` levels deep.
fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.next() as i64),
        3 => json!(rng.next() as f64 / 7.0),
        4 => json!(String::from_utf8_lossy(&rng.bytes_up_to(30))),
        5 => json!(*rng.pick(&[
            "",
            "x".repeat(70_000).as_str(),
            "AAE=",
            "not base64!",
            "-1",
            "earliest",
            "TOPIC"
        ])),
        6 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.below(4))
                .map(|_| {
                    (
                        String::from_utf8_lossy(&rng.bytes_up_to(10)).into_owned(),
                        random_value(rng, depth - 1),
                    )
                })
                .collect(),
        ),
    }
}

/// Replaces, removes or adds one value somewhere in `value`.
fn mutate(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(map) if !map.is_empty() && rng.chance(70) => {
            let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
            match rng.below(3) {
                0 => drop(map.remove(&key)),
                1 => mutate(rng, map.get_mut(&key).expect("a present key")),
                _ => drop(map.insert(format!("unknown{}", rng.below(3)), random_value(rng, 2))),
            }
        }
        Value::Array(items) if !items.is_empty() && rng.chance(70) => {
            let i = rng.below(items.len());
            mutate(rng, &mut items[i]);
        }
        _ => *value = random_value(rng, 3),
    }
}

/// A body for a route of `template`: mutated valid JSON, byte-level damage, random bytes,
/// invalid UTF-8 inside strings, nothing, or the valid body itself.
fn body(rng: &mut Rng, template: &str) -> Vec<u8> {
    let mut valid = valid_body(template);
    match rng.below(10) {
        0..=3 => {
            for _ in 0..1 + rng.below(3) {
                mutate(rng, &mut valid);
            }
            valid.to_string().into_bytes()
        }
        4 => {
            let mut bytes = valid.to_string().into_bytes();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = rng.next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, *rng.pick(b"{}[]\",:\\\0\xff")),
                }
            }
            bytes
        }
        5 => rng.bytes_up_to(4096),
        6 => {
            // Invalid UTF-8 inside the first string.
            let text = valid.to_string();
            let at = text.find('"').map_or(0, |i| i + 1);
            let mut bytes = text.into_bytes();
            bytes.splice(at..at, [0xFF, 0xFE, 0xC0, 0x80]);
            bytes
        }
        7 => Vec::new(),
        8 => random_value(rng, 4).to_string().into_bytes(),
        _ => valid.to_string().into_bytes(),
    }
}

/// JSON nested `depth` deep: arrays, objects or a mix, closed or left open.
fn nested(rng: &mut Rng, depth: usize) -> String {
    let (open, close) = *rng.pick(&[("[", "]"), ("{\"a\":", "}"), ("[{\"a\":", "}]")]);
    let mut text = open.repeat(depth);
    text.push('1');
    if rng.chance(80) {
        text.push_str(&close.repeat(depth));
    }
    text
}

fn deep_body(rng: &mut Rng, template: &str) -> Vec<u8> {
    let depth = *rng.pick(&[64, 127, 128, 129, 500, 10_000, 200_000]);
    let deep = nested(rng, depth);
    let text = match rng.below(3) {
        0 => deep,
        1 if template.starts_with("/v3") => format!(r#"{{"value": {{"type": "JSON", "data": {deep}}}}}"#),
        _ => format!(r#"{{"records": [{{"value": {deep}}}]}}"#),
    };
    text.into_bytes()
}

/// Headers no sane client sends: huge, numerous, non-ASCII, control bytes, duplicated.
fn hostile_headers(rng: &mut Rng) -> Vec<u8> {
    match rng.below(8) {
        0 => format!("X-Huge: {}\r\n", "h".repeat(rng.below(100_000))).into_bytes(),
        1 => (0..rng.below(300))
            .flat_map(|i| format!("X-Many-{i}: v\r\n").into_bytes())
            .collect(),
        2 => [
            b"X-Bytes: ".as_slice(),
            &rng.bytes(20)
                .into_iter()
                .filter(|b| *b != b'\r' && *b != b'\n')
                .collect::<Vec<_>>(),
            b"\r\n",
        ]
        .concat(),
        3 => format!(
            "X-Request-ID: {}\r\n",
            *rng.pick(&["", " ", "a b", "\u{7f}", &"i".repeat(129), "%00", "ok-id"])
        )
        .into_bytes(),
        4 => b"X-Request-ID: one\r\nX-Request-ID: two\r\nContent-Type: text/plain\r\n".to_vec(),
        5 => format!(
            "Accept: {}\r\n",
            "application/json;q=0.1, ".repeat(rng.below(2000))
        )
        .into_bytes(),
        6 => b"Authorization: Basic %%%%\r\nCookie: \xff\xfe\r\n".to_vec(),
        _ => b"X-Null: a\0b\r\n".to_vec(),
    }
}

/// Requests whose HTTP itself is broken; the connection is not reused after one.
fn framing(rng: &mut Rng) -> Hostile {
    let body = r#"{"records":[{"value":"AAE="}]}"#;
    let bytes: Vec<u8> = match rng.below(16) {
        0 => rng.bytes_up_to(2000),
        1 => b"GET /brokers HTTP/1.1\r\nHost: krest\r\nno colon here\r\n\r\n".to_vec(),
        2 => b"POST /topics/t HTTP/1.1\r\nHost: krest\r\nContent-Length: -1\r\n\r\n".to_vec(),
        3 => b"POST /topics/t HTTP/1.1\r\nHost: krest\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!".to_vec(),
        4 => format!("POST /topics/t HTTP/1.1\r\nHost: krest\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).into_bytes(),
        5 => b"POST /topics/t HTTP/1.1\r\nHost: krest\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n".to_vec(),
        6 => b"POST /topics/t HTTP/1.1\r\nHost: krest\r\nTransfer-Encoding: gzip\r\n\r\nabc".to_vec(),
        7 => [b"GET /topics/".as_slice(), &rng.bytes(16), b" HTTP/1.1\r\nHost: krest\r\n\r\n"].concat(),
        8 => b"GET /brokers HTTP/3.0\r\nHost: krest\r\n\r\n".to_vec(),
        9 => b"GET /brokers\r\n\r\n".to_vec(),
        10 => b"GET /brokers HTTP/1.1\nHost: krest\n\n".to_vec(),
        11 => [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".as_slice(), &rng.bytes_up_to(500)].concat(),
        12 => format!("POST /topics/t HTTP/1.1\r\nHost: krest\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\nContent-Length: {}\r\n\r\n{}", body.len() + 100, body).into_bytes(),
        13 => format!("GET /{} HTTP/1.1\r\nHost: krest\r\n\r\n", "u".repeat(100_000)).into_bytes(),
        14 => b"POST /consumers/g HTTP/1.1\r\nHost: krest\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        _ => b"GET /brokers HTTP/1.0\r\n\r\n".to_vec(),
    };
    Hostile {
        class: Class::Framing,
        bytes,
        head: false,
        last: true,
    }
}

/// A request with a body of megabytes: `size` bytes of JSON-ish filler, announced with a
/// Content-Length or sent chunked.
pub fn large(rng: &mut Rng, size: usize) -> Vec<u8> {
    let content = rng.pick(&[
        "application/vnd.kafka.binary.v2+json",
        "application/json",
        "application/vnd.kafka.v2+json",
    ]);
    let path = rng.pick(&[
        "/topics/hostile-0",
        "/v3/clusters/x/topics/hostile-0/records",
        "/consumers/hostile-group",
    ]);
    let filler = format!(
        r#"{{"records":[{{"value":"{}"}}]}}"#,
        "A".repeat(size.saturating_sub(30))
    );
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: krest\r\nContent-Type: {content}\r\n").into_bytes();
    if rng.chance(50) {
        request.extend(format!("Content-Length: {}\r\n\r\n", filler.len()).into_bytes());
        request.extend(filler.into_bytes());
    } else {
        request.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        for chunk in filler.as_bytes().chunks(1 << 20) {
            request.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
            request.extend_from_slice(chunk);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
    }
    request
}
