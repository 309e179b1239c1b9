//! Configuration: one typed tree, layered defaults < `tandem.toml` < `TANDEM_*`
//! environment variables (`__` separates sections: `TANDEM_SERVER__BIND`) < command-line
//! flags, validated at start with messages that name the setting and say what to do.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tandem_store::sqlite::Synchronous;

/// Every setting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub conversations: ConversationsSection,
    pub nlp: NlpSection,
    pub knowledge: KnowledgeSection,
    pub bot: BotSection,
    pub log: LogSection,
}

/// The virtual agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BotSection {
    /// Run the virtual agent on the conversations it owns (each workspace configures it
    /// through `PUT /api/v1/bot/config`; until then it answers from public knowledge and
    /// hands over by the default escalation policy).
    pub enabled: bool,
    /// Bot turns taken at the same time, across conversations.
    pub concurrency: usize,
}

impl Default for BotSection {
    fn default() -> Self {
        Self { enabled: true, concurrency: 32 }
    }
}

/// The knowledge base's search index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeSection {
    /// The embedding model for dense retrieval: `auto` (multilingual-e5-small if
    /// installed, else all-MiniLM-L6-v2, else none), `e5`, `minilm` or `none` (BM25 only).
    pub model: String,
    /// The index folder (default: `knowledge-index` in the data directory). Derived
    /// data: rebuilt from the database when missing.
    pub index_dir: Option<PathBuf>,
}

impl Default for KnowledgeSection {
    fn default() -> Self {
        Self { model: "auto".into(), index_dir: None }
    }
}

/// Message understanding on the inbound path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NlpSection {
    /// Understand every inbound message (language, PII, sentiment, intent, entities).
    pub enabled: bool,
    /// Ask lingua when the fast language model is unsure (~100 MB of language models,
    /// p99 latency ~0.6 ms instead of ~0.13 ms).
    pub lingua: bool,
    /// Refine intent and sentiment with sentence embeddings, asynchronously, when
    /// all-MiniLM-L6-v2 is in the models directory (`tandem models install`).
    pub embeddings: bool,
    /// The models directory (default: TANDEM_MODELS_DIR, else ./tandem-data/models).
    pub models_dir: Option<PathBuf>,
}

impl Default for NlpSection {
    fn default() -> Self {
        Self { enabled: true, lingua: false, embeddings: true, models_dir: None }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address and port to listen on.
    pub bind: String,
    /// The largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Mark the session cookie `Secure` (keep on; browsers accept it on localhost).
    pub secure_cookies: bool,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self { bind: "127.0.0.1:8080".into(), body_limit_bytes: 256 * 1024, secure_cookies: true }
    }
}

/// Where data lives. Without `url`, the embedded SQLite database in `data_dir`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `postgres://user:password@host:port/database`; unset means embedded SQLite.
    pub url: Option<String>,
    /// The embedded database's folder (`tandem.db` inside it).
    pub data_dir: PathBuf,
    /// `full` (every commit survives power loss) or `normal` (survives a crash).
    pub sqlite_synchronous: Synchronous,
    /// PostgreSQL connections per node.
    pub pool_size: usize,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self { url: None, data_dir: "./tandem-data".into(), sqlite_synchronous: Synchronous::Full, pool_size: 16 }
    }
}

impl fmt::Debug for DatabaseSection {
    /// Never prints the URL's password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSection")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("data_dir", &self.data_dir)
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationsSection {
    /// A customer's new message joins their open conversation if it saw a message
    /// within this many hours; otherwise a new conversation starts.
    pub continuity_window_hours: i64,
    /// How long an agent's login lasts, in hours.
    pub session_ttl_hours: i64,
}

impl Default for ConversationsSection {
    fn default() -> Self {
        Self { continuity_window_hours: 168, session_ttl_hours: 12 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// A tracing filter: `info`, `debug`, `tandem_server=debug,info`...
    pub level: String,
    /// `pretty` or `json`.
    pub format: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self { level: "info".into(), format: "pretty".into() }
    }
}

/// Flags that override every other layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log_level: Option<String>,
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Settings {
    /// Loads the layers. `config` is an explicit file (must exist); otherwise
    /// `./tandem.toml` is read if present.
    pub fn load(config: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config {
            Some(path) => {
                if !path.exists() {
                    bail!("the config file {} does not exist (write one with `tandem config default`)", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("tandem.toml")),
        }
        figment = figment.merge(Env::prefixed("TANDEM_").filter(|k| k.as_str().contains("__")).split("__"));
        let mut settings: Settings = figment.extract().map_err(|e| {
            anyhow::anyhow!("invalid configuration: {e} (check tandem.toml and TANDEM_* variables; `tandem config default` prints every setting)")
        })?;
        if let Some(bind) = &overrides.bind {
            settings.server.bind.clone_from(bind);
        }
        if let Some(url) = &overrides.database_url {
            settings.database.url = Some(url.clone());
        }
        if let Some(dir) = &overrides.data_dir {
            settings.database.data_dir.clone_from(dir);
        }
        if let Some(level) = &overrides.log_level {
            settings.log.level.clone_from(level);
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every setting, naming the first bad one.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.bind_addr()?;
        if !(1024..=16 * 1024 * 1024).contains(&self.server.body_limit_bytes) {
            bail!("server.body_limit_bytes is {}; use 1024 to 16777216", self.server.body_limit_bytes);
        }
        if let Some(url) = &self.database.url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!("database.url must start with postgres:// (leave it unset for the embedded SQLite database)");
            }
            url.parse::<tokio_postgres::Config>()
                .with_context(|| format!("database.url `{}` is not a valid PostgreSQL URL", redact_url(url)))?;
        }
        if !(1..=256).contains(&self.database.pool_size) {
            bail!("database.pool_size is {}; use 1 to 256", self.database.pool_size);
        }
        if !(1..=8760).contains(&self.conversations.continuity_window_hours) {
            bail!(
                "conversations.continuity_window_hours is {}; use 1 to 8760 (a year)",
                self.conversations.continuity_window_hours
            );
        }
        if !(1..=720).contains(&self.conversations.session_ttl_hours) {
            bail!("conversations.session_ttl_hours is {}; use 1 to 720", self.conversations.session_ttl_hours);
        }
        if !matches!(self.knowledge.model.as_str(), "auto" | "e5" | "minilm" | "none") {
            bail!("knowledge.model is `{}`; use auto, e5, minilm or none", self.knowledge.model);
        }
        if !(1..=1024).contains(&self.bot.concurrency) {
            bail!("bot.concurrency is {}; use 1 to 1024", self.bot.concurrency);
        }
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            bail!("log.format is `{}`; use `pretty` or `json`", self.log.format);
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .with_context(|| format!("log.level `{}` is not a valid filter; try `info` or `debug`", self.log.level))?;
        Ok(())
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server
            .bind
            .parse()
            .with_context(|| format!("server.bind `{}` is not an address like 127.0.0.1:8080", self.server.bind))
    }

    /// The embedded database file.
    pub fn sqlite_path(&self) -> PathBuf {
        self.database.data_dir.join("tandem.db")
    }

    /// The knowledge index folder.
    pub fn knowledge_index_dir(&self) -> PathBuf {
        self.knowledge.index_dir.clone().unwrap_or_else(|| self.database.data_dir.join("knowledge-index"))
    }

    /// The models directory.
    pub fn models_dir(&self) -> PathBuf {
        self.nlp.models_dir.clone().unwrap_or_else(tandem_embed::models_dir)
    }
}

/// An annotated `tandem.toml` with every setting at its default.
pub const DEFAULT_TOML: &str = r#"# tandem.toml — every setting, at its default.
# Precedence: defaults < this file < TANDEM_* environment variables < command-line flags.
# Environment variables name a setting as TANDEM_<SECTION>__<KEY>, e.g. TANDEM_SERVER__BIND;
# TANDEM_DATABASE_URL is accepted as a shorthand for the database URL.

[server]
# Address and port to listen on.
bind = "127.0.0.1:8080"
# The largest request body accepted, in bytes (1 KiB to 16 MiB).
body_limit_bytes = 262144
# Mark the session cookie Secure. Browsers accept Secure cookies on localhost.
secure_cookies = true

[database]
# PostgreSQL for production (several nodes can share it). Leave unset for the
# embedded SQLite database in data_dir.
# url = "postgres://postgres@127.0.0.1:5432/tandem"
data_dir = "./tandem-data"
# "full": every acknowledged write survives a power loss; "normal": survives a crash.
sqlite_synchronous = "full"
# PostgreSQL connections per node.
pool_size = 16

[conversations]
# A customer's message joins their open conversation if it saw a message within this
# many hours (on any channel); otherwise a new conversation starts.
continuity_window_hours = 168
# How long an agent's login lasts.
session_ttl_hours = 12

[nlp]
# Understand every inbound message on the way in: language, personal data (and the
# redacted text logs and analytics see), sentiment, intent, entities.
enabled = true
# Ask lingua (restricted to the 28 supported languages) when the fast language model is
# unsure: more robust on unusual text, but ~100 MB of memory and a slower tail
# (`tandem bench nlp` measures both).
lingua = false
# Refine intent and sentiment with sentence embeddings after each message is stored,
# when all-MiniLM-L6-v2 is in the models directory (`tandem models install`).
embeddings = true
# models_dir = "./tandem-data/models"   # default: TANDEM_MODELS_DIR, else this

[knowledge]
# The embedding model for dense (and cross-lingual) retrieval: "auto" takes
# multilingual-e5-small if installed, else all-MiniLM-L6-v2, else none; "none" searches
# with BM25 only (and says so in every response).
model = "auto"
# index_dir = "./tandem-data/knowledge-index"   # default: in the data directory

[bot]
# Run the virtual agent on the conversations it owns. Each workspace configures it with
# PUT /api/v1/bot/config (see examples/bot/demo.toml); until then it answers from public
# knowledge and hands over to people by the default escalation policy.
enabled = true
# Bot turns taken at the same time, across conversations.
concurrency = 32

[log]
# A tracing filter, e.g. "info" or "tandem_server=debug,info". Logs never contain
# message bodies.
level = "info"
# "pretty" for people, "json" for log pipelines.
format = "pretty"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annotated_default_is_the_default() {
        let parsed: Settings = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/tandem"), "postgres://app:***@db:5432/tandem");
        assert_eq!(redact_url("postgres://app@db/tandem"), "postgres://app@db/tandem");
        let section = DatabaseSection { url: Some("postgres://app:s3cret@db/t".into()), ..Default::default() };
        assert!(!format!("{section:?}").contains("s3cret"));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let mut s = Settings::default();
        s.server.bind = "localhost".into();
        assert!(s.validate().unwrap_err().to_string().contains("server.bind"));
        let mut s = Settings::default();
        s.database.url = Some("mysql://x".into());
        assert!(s.validate().unwrap_err().to_string().contains("database.url"));
        let mut s = Settings::default();
        s.log.format = "xml".into();
        assert!(s.validate().unwrap_err().to_string().contains("log.format"));
    }
}
