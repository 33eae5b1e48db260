//! Where configuration comes from: a Java properties file, `KAFKA_REST_*` environment
//! variables and `--set KEY=VALUE` flags, merged in that order (later wins).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Where a value was set, so errors can say which line to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(String),
    Env(String),
    Flag,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "default"),
            Origin::File(path) => write!(f, "file {path}"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::Flag => write!(f, "command-line flag"),
        }
    }
}

/// Raw `key → (value, origin)` pairs before typing.
#[derive(Debug, Default)]
pub struct RawConfig {
    entries: BTreeMap<String, (String, Origin)>,
}

impl RawConfig {
    pub fn set(&mut self, key: &str, value: &str, origin: Origin) {
        self.entries
            .insert(key.trim().to_string(), (value.trim().to_string(), origin));
    }

    pub fn get(&self, key: &str) -> Option<&(String, Origin)> {
        self.entries.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &(String, Origin))> {
        self.entries.iter()
    }

    /// Reads a Java properties file (the format of Confluent's `kafka-rest.properties`).
    pub fn read_file(&mut self, path: &Path) -> anyhow::Result<()> {
        let file = std::fs::File::open(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        let props = java_properties::read(std::io::BufReader::new(file))
            .map_err(|e| anyhow::anyhow!("cannot parse config file {}: {e}", path.display()))?;
        let origin = Origin::File(path.display().to_string());
        for (key, value) in props {
            self.set(&key, &value, origin.clone());
        }
        Ok(())
    }

    /// Applies `KAFKA_REST_*` variables the way Confluent's container image maps them:
    /// strip the prefix, lower-case, then `___` → `-`, `__` → `_`, `_` → `.`.
    pub fn read_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (var, value) in vars {
            if let Some(key) = env_var_to_key(&var) {
                self.set(&key, &value, Origin::Env(var));
            }
        }
    }

    /// Applies `KEY=VALUE` overrides from the command line.
    pub fn read_flags(&mut self, flags: &[String]) -> anyhow::Result<()> {
        for flag in flags {
            let (key, value) = flag
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--set expects KEY=VALUE, got `{flag}`"))?;
            self.set(key, value, Origin::Flag);
        }
        Ok(())
    }
}

fn env_var_to_key(var: &str) -> Option<String> {
    let rest = var.strip_prefix("KAFKA_REST_")?;
    if rest.is_empty() {
        return None;
    }
    let lower = rest.to_ascii_lowercase();
    Some(
        lower
            .replace("___", "-")
            .replace("__", "\u{0}")
            .replace('_', ".")
            .replace('\u{0}', "_"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_map_like_confluents_image() {
        assert_eq!(
            env_var_to_key("KAFKA_REST_BOOTSTRAP_SERVERS").unwrap(),
            "bootstrap.servers"
        );
        assert_eq!(env_var_to_key("KAFKA_REST_HOST_NAME").unwrap(), "host.name");
        assert_eq!(
            env_var_to_key("KAFKA_REST_CLIENT_SASL__JAAS_CONFIG").unwrap(),
            "client.sasl_jaas.config"
        );
        assert_eq!(env_var_to_key("KAFKA_REST_A___B").unwrap(), "a-b");
        assert_eq!(env_var_to_key("KAFKA_RESTX"), None);
        assert_eq!(env_var_to_key("PATH"), None);
    }

    #[test]
    fn later_sources_win() {
        let mut raw = RawConfig::default();
        raw.set("id", "from-file", Origin::File("f".into()));
        raw.read_env([("KAFKA_REST_ID".to_string(), "from-env".to_string())]);
        assert_eq!(raw.get("id").unwrap().0, "from-env");
        raw.read_flags(&["id=from-flag".to_string()]).unwrap();
        assert_eq!(raw.get("id").unwrap(), &("from-flag".to_string(), Origin::Flag));
        assert!(raw.read_flags(&["novalue".to_string()]).is_err());
    }
}
