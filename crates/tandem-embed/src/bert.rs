//! A BERT encoder in candle: embeddings, self-attention layers, mean pooling.

use std::path::Path;

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use serde::Deserialize;
use tandem_nlp::embedding::SentenceEmbedder;
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::EmbedError;

/// The fields of `config.json` the encoder needs.
#[derive(Clone, Debug, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// `bert` or `xlm-roberta` (positions start after the padding index).
    #[serde(default)]
    pub model_type: String,
    #[serde(default)]
    pub pad_token_id: u32,
}

fn default_type_vocab() -> usize {
    2
}

fn default_eps() -> f64 {
    1e-12
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// A loaded encoder.
pub struct BertEncoder {
    config: BertConfig,
    words: Embedding,
    positions: Embedding,
    types: Embedding,
    embeddings_norm: LayerNorm,
    layers: Vec<Layer>,
    tokenizer: Tokenizer,
    device: Device,
    /// Text prepended to each input (`"query: "` for e5).
    prefix: String,
    /// Text prepended to passages to retrieve (`"passage: "` for e5).
    passage_prefix: String,
    name: String,
}

fn files(dir: &Path, name: &str) -> Result<std::path::PathBuf, EmbedError> {
    let path = dir.join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(EmbedError::Files(format!("{} is missing (run `tandem models install`)", path.display())))
    }
}

impl BertEncoder {
    /// Loads the encoder in `dir`; `prefix` is prepended to every text.
    pub fn load(dir: &Path, prefix: &str, max_tokens: usize) -> Result<Self, EmbedError> {
        let config: BertConfig = serde_json::from_slice(
            &std::fs::read(files(dir, "config.json")?).map_err(|e| EmbedError::Files(e.to_string()))?,
        )
        .map_err(|e| EmbedError::Files(format!("config.json: {e}")))?;
        let weights = std::fs::read(files(dir, "model.safetensors")?).map_err(|e| EmbedError::Files(e.to_string()))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let e = vb.pp("embeddings");
        let h = config.hidden_size;
        let words = embedding(config.vocab_size, h, e.pp("word_embeddings"))?;
        let positions = embedding(config.max_position_embeddings, h, e.pp("position_embeddings"))?;
        let types = embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?;
        let embeddings_norm = layer_norm(h, config.layer_norm_eps, e.pp("LayerNorm"))?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            layers.push(Layer {
                query: linear(h, h, l.pp("attention.self.query"))?,
                key: linear(h, h, l.pp("attention.self.key"))?,
                value: linear(h, h, l.pp("attention.self.value"))?,
                attention_out: linear(h, h, l.pp("attention.output.dense"))?,
                attention_norm: layer_norm(h, config.layer_norm_eps, l.pp("attention.output.LayerNorm"))?,
                intermediate: linear(h, config.intermediate_size, l.pp("intermediate.dense"))?,
                output: linear(config.intermediate_size, h, l.pp("output.dense"))?,
                output_norm: layer_norm(h, config.layer_norm_eps, l.pp("output.LayerNorm"))?,
            });
        }
        let mut tokenizer =
            Tokenizer::from_file(files(dir, "tokenizer.json")?).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let pad_id = tokenizer.get_padding().map_or(config.pad_token_id, |p| p.pad_id);
        let pad_token = tokenizer.id_to_token(pad_id).unwrap_or_else(|| "[PAD]".to_owned());
        tokenizer.with_padding(Some(PaddingParams { pad_id, pad_token, ..PaddingParams::default() }));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..TruncationParams::default() }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(Self {
            config,
            words,
            positions,
            types,
            embeddings_norm,
            layers,
            tokenizer,
            device,
            prefix: prefix.to_owned(),
            passage_prefix: prefix.to_owned(),
            name: dir.file_name().map_or_else(|| "bert".to_owned(), |n| n.to_string_lossy().into_owned()),
        })
    }

    /// Loads one of the known models from its directory, with its query and passage
    /// prefixes.
    pub fn load_model(kind: crate::ModelKind, dir: &Path, max_tokens: usize) -> Result<Self, EmbedError> {
        let mut encoder = Self::load(dir, kind.query_prefix(), max_tokens)?;
        encoder.passage_prefix = kind.passage_prefix().to_owned();
        encoder.name = kind.directory().to_owned();
        Ok(encoder)
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Embeds passages (with the passage prefix), batching texts of similar length.
    pub fn embed_passages_many(&self, texts: &[&str], batch: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_sorted(texts, batch, &self.passage_prefix)
    }

    /// The embedding width.
    pub fn dimension(&self) -> usize {
        self.config.hidden_size
    }

    fn attention(&self, layer: &Layer, x: &Tensor, mask: &Tensor) -> Result<Tensor, EmbedError> {
        let (b, l, h) = x.dims3()?;
        let heads = self.config.num_attention_heads;
        let dh = h / heads;
        let split = |t: Tensor| -> Result<Tensor, candle_core::Error> {
            t.reshape((b, l, heads, dh))?.transpose(1, 2)?.contiguous()
        };
        let q = split(layer.query.forward(x)?)?;
        let k = split(layer.key.forward(x)?)?;
        let v = split(layer.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?.broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))?;
        let attended = layer.attention_out.forward(&context)?;
        Ok(layer.attention_norm.forward(&(attended + x)?)?)
    }

    /// Embeds many texts, batching texts of similar length together (less padding).
    pub fn embed_many(&self, texts: &[&str], batch: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_sorted(texts, batch, &self.prefix)
    }

    fn embed_sorted(&self, texts: &[&str], batch: usize, prefix: &str) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|i| texts[*i].len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(batch.max(1)) {
            let group: Vec<&str> = chunk.iter().map(|i| texts[*i]).collect();
            for (i, vector) in chunk.iter().zip(self.embed_prefixed(&group, prefix)?) {
                out[*i] = vector;
            }
        }
        Ok(out)
    }

    /// Embeds a batch of texts: one unit-length vector each.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_prefixed(texts, &self.prefix)
    }

    fn embed_prefixed(&self, texts: &[&str], prefix: &str) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        let encodings = self.tokenizer.encode_batch(inputs, true).map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let b = encodings.len();
        let l = encodings.first().map_or(0, |e| e.get_ids().len());
        let ids: Vec<u32> = encodings.iter().flat_map(|e| e.get_ids().iter().copied()).collect();
        let attention: Vec<f32> =
            encodings.iter().flat_map(|e| e.get_attention_mask().iter().map(|m| *m as f32)).collect();
        let ids = Tensor::from_vec(ids, (b, l), &self.device)?;
        let attention = Tensor::from_vec(attention, (b, l), &self.device)?;
        let offset = if self.config.model_type.contains("roberta") { self.config.pad_token_id + 1 } else { 0 };
        let position_ids: Vec<u32> = (0..l as u32).map(|p| p + offset).collect();
        let positions = Tensor::from_vec(position_ids, (1, l), &self.device)?;
        let types = Tensor::zeros((b, l), DType::U32, &self.device)?;
        let embedded = self
            .words
            .forward(&ids)?
            .broadcast_add(&self.positions.forward(&positions)?)?
            .broadcast_add(&self.types.forward(&types)?)?;
        let mut x = self.embeddings_norm.forward(&embedded)?;
        // Padding gets a large negative score so attention ignores it.
        let mask = ((attention.clone() - 1.0)? * 1e4)?.reshape((b, 1, 1, l))?;
        for layer in &self.layers {
            let attended = self.attention(layer, &x, &mask)?;
            let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
            x = layer.output_norm.forward(&(layer.output.forward(&inner)? + attended)?)?;
        }
        let weights = attention.unsqueeze(2)?;
        let summed = x.broadcast_mul(&weights)?.sum(1)?;
        let counts = weights.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }
}

impl SentenceEmbedder for BertEncoder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, tandem_nlp::NlpError> {
        self.embed_many(texts, 32).map_err(|e| tandem_nlp::NlpError::Model(e.to_string()))
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, tandem_nlp::NlpError> {
        self.embed_passages_many(texts, 16).map_err(|e| tandem_nlp::NlpError::Model(e.to_string()))
    }

    fn dimension(&self) -> usize {
        self.config.hidden_size
    }

    fn model_name(&self) -> &str {
        &self.name
    }
}
