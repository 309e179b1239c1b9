//! `tandem bench nlp`: the real-time understanding of one message (PII and redaction,
//! language, sentiment with frustration signs, intent, entities) on one core, over a
//! mix of real messages from the datasets, with and without lingua for unsure language
//! guesses. Prints messages/s and p50/p99 latency per configuration, and how the first
//! compares to the second (a ratio measured in the same run).

use std::time::{Duration, Instant};

use tandem_nlp::enrich::Enricher;

use crate::eval::data::{self, Split};

fn corpus(limit: usize) -> anyhow::Result<Vec<String>> {
    let mut texts = Vec::new();
    if let Some(root) = data::locate(None) {
        if let Some(task) = data::goemotions(&root, Split::Dev)? {
            texts.extend(task.eval.into_iter().map(|e| e.text).take(limit / 3));
        }
        if let Some(task) = data::clinc150(&root, Split::Dev)? {
            texts.extend(task.eval.into_iter().map(|e| e.text).take(limit / 3));
        }
        if let Some((_, dev)) = crate::eval::language::tatoeba(&root, Split::Dev)? {
            texts.extend(dev.into_iter().map(|(t, _)| t).take(limit / 3));
        }
    }
    if texts.is_empty() {
        texts = [
            "Where is my order #A1043? It was due on Monday.",
            "I want to cancel my subscription, this is the third time it fails!!!",
            "¿Dónde está mi pedido? Lo compré hace dos semanas.",
            "Bonjour, je voudrais changer mon adresse de livraison.",
            "my card 4111 1111 1111 1111 was charged twice, please refund $49.99",
            "ok thx",
            "Kann ich mit einem Menschen sprechen?",
        ]
        .iter()
        .cycle()
        .take(limit)
        .map(|s| (*s).to_owned())
        .collect();
    }
    Ok(texts)
}

/// One configuration's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NlpBench {
    pub configuration: String,
    pub messages_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

fn measure(name: &str, enricher: &Enricher, texts: &[String], rounds: usize) -> NlpBench {
    for text in texts.iter().take(200) {
        std::hint::black_box(enricher.understand(text));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(texts.len() * rounds);
    let started = Instant::now();
    for _ in 0..rounds {
        for text in texts {
            let t = Instant::now();
            std::hint::black_box(enricher.understand(text));
            latencies.push(t.elapsed());
        }
    }
    let total = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    NlpBench {
        configuration: name.to_owned(),
        messages_per_sec: latencies.len() as f64 / total,
        p50_us: at(0.50),
        p99_us: at(0.99),
    }
}

/// Runs both configurations and prints them.
pub fn run(messages: usize, rounds: usize, json: bool) -> anyhow::Result<Vec<NlpBench>> {
    let texts = corpus(messages)?;
    let fast = Enricher::with_defaults(false)?;
    let hybrid = Enricher::with_defaults(true)?;
    let results = vec![
        measure("n-gram tiers, no lingua", &fast, &texts, rounds),
        measure("n-gram tiers + lingua when unsure", &hybrid, &texts, rounds),
    ];
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        println!(
            "tandem bench nlp — full understanding of {} real messages × {rounds} rounds, one core\n",
            texts.len()
        );
        println!("{:<36} {:>12} {:>10} {:>10}", "configuration", "messages/s", "p50 µs", "p99 µs");
        for r in &results {
            println!("{:<36} {:>12.0} {:>10.1} {:>10.1}", r.configuration, r.messages_per_sec, r.p50_us, r.p99_us);
        }
        println!(
            "\nlingua for unsure guesses costs {:.2}× the throughput of the n-gram tiers alone (same run).",
            results[0].messages_per_sec / results[1].messages_per_sec.max(1e-9)
        );
    }
    Ok(results)
}
