//! `tandem kb import` and `tandem kb reindex`: articles from a folder of Markdown files
//! (front matter for metadata) or CSV/JSON files into a workspace, and the search index
//! rebuilt from the database. Both open the database and the index directly; the index
//! is locked while `tandem serve` runs, so with a server up the articles are stored and
//! the server indexes them at its next start or on `POST /api/v1/kb/reindex`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tandem_engine::Engine;
use tandem_knowledge::import::{self, ImportItem};

use crate::settings::Settings;

/// Every article file under `path` (or `path` itself), as (path relative to the root, full path).
fn article_files(path: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    if path.is_file() {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![(name, path.to_path_buf())]);
    }
    if !path.is_dir() {
        anyhow::bail!("{} is neither a file nor a folder", path.display());
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let p = entry.path();
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let relative = p.strip_prefix(path).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                if import::is_article_file(&relative) {
                    out.push((relative, p));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads and parses every file; any problem refuses the whole import.
pub fn read_items(path: &Path, language: &str) -> anyhow::Result<Vec<ImportItem>> {
    let files = article_files(path)?;
    if files.is_empty() {
        anyhow::bail!("no article files (.md, .markdown, .csv, .json) in {}", path.display());
    }
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (relative, full) in files {
        let text = std::fs::read_to_string(&full).with_context(|| format!("reading {}", full.display()))?;
        match import::file(&relative, &text, language) {
            Ok(found) => items.extend(found),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("nothing was imported; fix these and run again:\n  {}", problems.join("\n  "));
    }
    Ok(items)
}

/// A one-line progress bar on standard error.
fn progress(total: usize) -> impl Fn(usize) + Send {
    move |done: usize| {
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        eprint!("\r[{}{}] {done}/{total} articles", "#".repeat(filled), " ".repeat(width - filled));
        if done >= total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

async fn workspace(engine: &Engine, slug: &str) -> anyhow::Result<tandem_domain::WorkspaceId> {
    Ok(engine
        .store()
        .workspace_by_slug(slug)
        .await
        .with_context(|| format!("no workspace `{slug}` (create one with `tandem workspace create`)"))?
        .id)
}

/// Imports articles into the workspace `slug`.
pub async fn run_import(settings: &Settings, slug: &str, path: &Path, language: &str) -> anyhow::Result<()> {
    let items = read_items(path, language)?;
    let total = items.len();
    let store = crate::app::open_store(settings).await?;
    let engine = crate::app::engine(settings, store)?;
    let ws = workspace(&engine, slug).await?;
    let (engine, indexed) = match crate::app::with_models(settings, engine.clone()) {
        Ok(with) => (with, true),
        Err(e) if e.chain().any(|c| matches!(c.downcast_ref(), Some(tandem_knowledge::KnowledgeError::Locked))) => {
            eprintln!("the knowledge index is in use (a running `tandem serve`?): storing the articles only");
            (engine, false)
        }
        Err(e) => return Err(e),
    };
    let summary = engine.import_articles(ws, items, 64, progress(total)).await?;
    println!("{} created, {} updated, {} unchanged", summary.created, summary.updated, summary.unchanged);
    if !indexed || !summary.indexed {
        println!("not indexed yet: the server indexes them at its next start, or now with POST /api/v1/kb/reindex");
    }
    Ok(())
}

/// Rebuilds the index of one workspace, or of all, from the database.
pub async fn run_reindex(settings: &Settings, slug: Option<&str>) -> anyhow::Result<()> {
    let store = crate::app::open_store(settings).await?;
    let engine = crate::app::with_models(settings, crate::app::engine(settings, store)?)?;
    let workspaces = match slug {
        Some(slug) => vec![workspace(&engine, slug).await?],
        None => engine.store().workspace_ids().await?,
    };
    let model = engine.knowledge_model().unwrap_or_else(|| "none (BM25 only)".into());
    for ws in workspaces {
        let started = std::time::Instant::now();
        let s = engine.reindex_knowledge(ws, true).await?;
        println!(
            "workspace {ws}: {} articles, {} passages indexed with model {model} in {:.1} s",
            s.articles,
            s.passages,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
