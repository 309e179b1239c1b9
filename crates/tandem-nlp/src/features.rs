//! Text to sparse features: lowercased word unigrams and bigrams plus character
//! n-grams of each word, hashed (FNV-1a) into a fixed space and L2-normalised — the
//! fastText recipe, which needs no vocabulary file and tolerates typos.

use serde::{Deserialize, Serialize};

/// Which features to extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Word n-grams up to this length (1 = unigrams only).
    pub word_ngrams: u8,
    /// Character n-gram lengths (inclusive); `0` disables them.
    pub char_min: u8,
    pub char_max: u8,
    /// Bits of the hash space.
    pub hash_bits: u8,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self { word_ngrams: 2, char_min: 3, char_max: 5, hash_bits: 22 }
    }
}

/// A sparse feature vector: (hashed feature, weight), sorted by feature, L2 norm 1.
pub type Features = Vec<(u32, f32)>;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

/// Splits text into lowercase tokens: letters and digits, with inner apostrophes kept
/// (`don't`); runs of digits become `0`-shaped so numbers share features.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                current.push(if lower.is_ascii_digit() { '0' } else { lower });
            }
        } else if (c == '\'' || c == '’') && !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphabetic()) {
            current.push('\'');
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    for token in &mut out {
        if token.bytes().all(|b| b == b'0') && token.len() > 1 {
            *token = "00".into();
        }
    }
    out
}

/// Extracts the features of `text`.
pub fn extract(text: &str, config: &FeatureConfig) -> Features {
    let tokens = tokens(text);
    let mask = (1u64 << config.hash_bits) - 1;
    let mut raw: Vec<u32> = Vec::with_capacity(tokens.len() * 12);
    for token in &tokens {
        raw.push((fnv(fnv(FNV_OFFSET, b"w"), token.as_bytes()) & mask) as u32);
    }
    if config.word_ngrams >= 2 {
        for pair in tokens.windows(2) {
            let h = fnv(fnv(fnv(fnv(FNV_OFFSET, b"b"), pair[0].as_bytes()), b" "), pair[1].as_bytes());
            raw.push((h & mask) as u32);
        }
    }
    if config.char_min > 0 {
        let mut padded: Vec<char> = Vec::with_capacity(32);
        for token in tokens.iter().filter(|t| t.chars().count() >= 2) {
            padded.clear();
            padded.push('<');
            padded.extend(token.chars());
            padded.push('>');
            for n in usize::from(config.char_min)..=usize::from(config.char_max) {
                for window in padded.windows(n) {
                    let mut h = fnv(FNV_OFFSET, b"c");
                    let mut buf = [0u8; 4];
                    for c in window {
                        h = fnv(h, c.encode_utf8(&mut buf).as_bytes());
                    }
                    raw.push((h & mask) as u32);
                }
            }
        }
    }
    raw.sort_unstable();
    let mut features: Features = Vec::with_capacity(raw.len());
    for h in raw {
        match features.last_mut() {
            Some((last, count)) if *last == h => *count += 1.0,
            _ => features.push((h, 1.0)),
        }
    }
    // Dampen repeats, then normalise to unit length.
    let mut norm = 0.0;
    for (_, w) in &mut features {
        *w = w.sqrt();
        norm += *w * *w;
    }
    let norm = norm.sqrt();
    if norm > 0.0 {
        for (_, w) in &mut features {
            *w /= norm;
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_words_with_numbers_shaped() {
        assert_eq!(
            tokens("Where's my ORDER #A1043? I paid 25.99"),
            ["where's", "my", "order", "a0000", "i", "paid", "00", "00"]
        );
        assert_eq!(tokens("don’t  stop"), ["don't", "stop"]);
        assert_eq!(tokens("¿Dónde está mi pedido?"), ["dónde", "está", "mi", "pedido"]);
    }

    #[test]
    fn features_are_unit_length_and_stable() {
        let a = extract("cancel my order", &FeatureConfig::default());
        let b = extract("cancel my order", &FeatureConfig::default());
        assert_eq!(a, b);
        let norm: f32 = a.iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(extract("", &FeatureConfig::default()).is_empty());
    }
}
