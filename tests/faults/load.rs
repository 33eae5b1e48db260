//! What every fault test shares: its scale (short, or `KREST_FAULTS=full`), the phase the
//! fault is in, and a tally of HTTP outcomes with the longest answer.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A request's own timeout: generous, so that a late answer is measured rather than cut off.
/// A request still unanswered after it counts as hung, which fails the test.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// How many clients and records a run uses and how long a fault lasts.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub name: &'static str,
    /// Concurrent HTTP producers; half send batches of 1, half of 100.
    pub producers: usize,
    /// v2 consumer instances in one group.
    pub consumers: usize,
    /// Records per second written to the topic the consumers read.
    pub feed_per_second: usize,
    /// How long the broker stays down or paused.
    pub outage: Duration,
}

impl Scale {
    pub fn from_env() -> Scale {
        match std::env::var("KREST_FAULTS").as_deref() {
            // Longer than librdkafka's request.timeout.ms (30 s): requests in flight time out
            // and the idempotent producer retries them.
            Ok("full") => Scale {
                name: "full",
                producers: 64,
                consumers: 16,
                feed_per_second: 5_000,
                outage: Duration::from_secs(35),
            },
            _ => Scale {
                name: "short",
                producers: 16,
                consumers: 4,
                feed_per_second: 500,
                outage: Duration::from_secs(5),
            },
        }
    }
}

/// Where the fault is when a request starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Before,
    Outage,
    After,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Before => "before",
            Phase::Outage => "outage",
            Phase::After => "after",
        })
    }
}

/// The current [`Phase`], shared by the clients and the test driving the fault.
#[derive(Default)]
pub struct PhaseClock(AtomicU8);

impl PhaseClock {
    pub fn set(&self, phase: Phase) {
        self.0.store(phase as u8, Ordering::SeqCst);
    }

    pub fn now(&self) -> Phase {
        match self.0.load(Ordering::SeqCst) {
            0 => Phase::Before,
            1 => Phase::Outage,
            _ => Phase::After,
        }
    }
}

/// Outcomes of HTTP requests by phase and kind, and problems the test must fail on.
#[derive(Default)]
pub struct Tally {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    outcomes: BTreeMap<(Phase, String), usize>,
    sent: usize,
    longest: Duration,
    problems: Vec<String>,
    /// The first message of each kind of error answer.
    messages: BTreeMap<String, String>,
}

impl Tally {
    /// Counts one answered (or failed) request that started at `started` in `phase`.
    pub fn count(&self, phase: Phase, started: Instant, outcome: impl Into<String>) {
        let mut counts = self.inner.lock().unwrap();
        counts.sent += 1;
        counts.longest = counts.longest.max(started.elapsed());
        *counts.outcomes.entry((phase, outcome.into())).or_default() += 1;
    }

    /// Records something the test must fail on (e.g. a hung request or an unclear error).
    pub fn problem(&self, problem: String) {
        eprintln!("problem: {problem}");
        self.inner.lock().unwrap().problems.push(problem);
    }

    pub fn problems(&self) -> Vec<String> {
        self.inner.lock().unwrap().problems.clone()
    }

    /// Successful (`200`/`204`) requests that started in `phase`.
    pub fn succeeded_in(&self, phase: Phase) -> usize {
        let counts = self.inner.lock().unwrap();
        counts
            .outcomes
            .iter()
            .filter(|((p, outcome), _)| *p == phase && outcome.starts_with("ok"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Counts the outcome of a request that got no HTTP answer: a client timeout is a hang.
    pub fn transport_error(&self, phase: Phase, started: Instant, what: &str, error: &reqwest::Error) {
        if error.is_timeout() {
            self.problem(format!("{what} hung past {REQUEST_TIMEOUT:?}: {error}"));
        }
        let kind = match () {
            _ if error.is_timeout() => "timeout",
            _ if error.is_connect() => "connection refused",
            _ => "connection closed",
        };
        self.count(phase, started, format!("{what}: no answer ({kind})"));
    }

    /// Counts an error answer; one that is not a 5xx with Confluent's JSON error body is a
    /// problem.
    pub fn error_answer(&self, phase: Phase, started: Instant, what: &str, status: u16, body: &Value) {
        let code = body["error_code"].as_u64();
        if status < 500 || code.is_none() || !body["message"].is_string() {
            self.problem(format!("{what}: unclear error answer {status} {body}"));
        }
        let code = code.map_or("-".to_string(), |c| c.to_string());
        let outcome = format!("{what}: {status}/{code}");
        let mut counts = self.inner.lock().unwrap();
        let message = body["message"].as_str().unwrap_or_default().to_string();
        counts.messages.entry(outcome.clone()).or_insert(message);
        drop(counts);
        self.count(phase, started, outcome);
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self.inner.lock().unwrap();
        writeln!(
            f,
            "requests sent {}, longest answer {:.1} s",
            counts.sent,
            counts.longest.as_secs_f64()
        )?;
        for ((phase, outcome), n) in &counts.outcomes {
            writeln!(f, "  {phase:<6} {outcome}: {n}")?;
        }
        for (outcome, message) in &counts.messages {
            writeln!(f, "  ({outcome}: \"{message}\")")?;
        }
        Ok(())
    }
}

/// An HTTP client whose requests give up after [`REQUEST_TIMEOUT`].
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

/// Status and body of a response (a body that is not JSON as a JSON string), or why none came.
pub async fn answer(sent: reqwest::Result<reqwest::Response>) -> reqwest::Result<(u16, Value)> {
    let response = sent?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok((status, body))
}
