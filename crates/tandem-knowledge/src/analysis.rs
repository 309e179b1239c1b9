//! Language-aware text analysis for BM25: words split on Unicode boundaries, lower-cased,
//! stop words dropped, stemmed with the language's Snowball stemmer, then folded to
//! ASCII (customers often type without accents). Each stemmed language has its own
//! fields in the index; every other language shares one unstemmed field.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    TokenStream,
};

/// Languages with a stemmer, by ISO 639-1 code.
pub const STEMMED: [(&str, Language); 18] = [
    ("ar", Language::Arabic),
    ("da", Language::Danish),
    ("de", Language::German),
    ("el", Language::Greek),
    ("en", Language::English),
    ("es", Language::Spanish),
    ("fi", Language::Finnish),
    ("fr", Language::French),
    ("hu", Language::Hungarian),
    ("it", Language::Italian),
    ("nl", Language::Dutch),
    ("no", Language::Norwegian),
    ("pt", Language::Portuguese),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("sv", Language::Swedish),
    ("ta", Language::Tamil),
    ("tr", Language::Turkish),
];

/// The analysis key of languages without a stemmer.
pub const OTHER: &str = "xx";

/// The analysis key for a language code: its base (`pt-br` → `pt`) if it has a
/// stemmer, else [`OTHER`]. Norwegian Bokmål (`nb`) uses the Norwegian stemmer.
pub fn analysis_key(language: &str) -> &'static str {
    let base = language.split('-').next().unwrap_or_default();
    let base = if base == "nb" || base == "nn" { "no" } else { base };
    STEMMED.iter().find(|(code, _)| *code == base).map_or(OTHER, |(code, _)| code)
}

/// Every analysis key, stemmed languages first.
pub fn analysis_keys() -> impl Iterator<Item = &'static str> {
    STEMMED.iter().map(|(code, _)| *code).chain(std::iter::once(OTHER))
}

/// The tokenizer name registered for an analysis key.
pub fn tokenizer_name(key: &str) -> String {
    format!("tandem_{key}")
}

/// The analyzer for an analysis key.
pub fn analyzer(key: &str) -> TextAnalyzer {
    let language = STEMMED.iter().find(|(code, _)| *code == key).map(|(_, l)| *l);
    let base = TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser);
    match language {
        Some(language) => match StopWordFilter::new(language) {
            Some(stop) => base.filter(stop).filter(Stemmer::new(language)).filter(AsciiFoldingFilter).build(),
            None => base.filter(Stemmer::new(language)).filter(AsciiFoldingFilter).build(),
        },
        None => base.build(),
    }
}

/// An analysed token with where it came from in the text (byte offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// The terms of `text` under an analysis key.
pub fn terms(key: &str, text: &str) -> Vec<Term> {
    let mut analyzer = analyzer(key);
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        out.push(Term { text: token.text.clone(), from: token.offset_from, to: token.offset_to });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(key: &str, text: &str) -> Vec<String> {
        terms(key, text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn stems_per_language_and_folds_accents() {
        assert_eq!(words("en", "Refunds refunded"), vec!["refund", "refund"]);
        assert_eq!(words("es", "reembolsos reembolso"), words("es", "Reembolsos reembolso"));
        assert_eq!(words("es", "devolución"), words("es", "devolucion"));
        assert_eq!(words("de", "Länder"), words("de", "Land"));
        assert!(words("en", "the and of").is_empty(), "stop words are dropped");
        assert_eq!(words(OTHER, "Zwrot Pieniędzy"), vec!["zwrot", "pieniędzy"]);
    }

    #[test]
    fn language_codes_map_to_their_analysis() {
        assert_eq!(analysis_key("pt-br"), "pt");
        assert_eq!(analysis_key("nb"), "no");
        assert_eq!(analysis_key("pl"), OTHER);
        assert_eq!(analysis_keys().count(), STEMMED.len() + 1);
    }
}
