//! Project and stack configuration files.
//!
//! `deploy.toml` plays Pulumi.yaml's role (project name, program, default
//! stack, backend, parallelism); `stacks/<stack>.toml` plays
//! `Pulumi.<stack>.yaml`'s (`encryptionsalt` and a `[config]` table of
//! namespaced keys, secrets as `{ secure = "v1:…" }`).
//!
//! Invariant: a stack file is rewritten only through [`StackFile::save`]
//! (atomic, comments kept), and secret values are held decrypted only in
//! [`crate::model::Value::Secret`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml_edit::{DocumentMut, InlineTable, Item, Table};

use crate::model::Value;
use crate::state::{BackendUrl, Crypter, SecretsError, StateError};

mod yaml_stack;

/// Errors in configuration files and values.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No project file where one was expected.
    #[error("no deploy.toml or Pulumi.yaml in {}: run tapctl from the project folder or pass --cwd <folder>", .0.display())]
    NoProject(PathBuf),
    /// A file that is not valid TOML or has the wrong shape.
    #[error("{}: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A stack with no stack file.
    #[error("stack `{stack}` does not exist: there is no {}; known stacks: {known}. Create it with `tapctl --stack {stack} stack init`", path.display())]
    UnknownStack {
        /// The stack.
        stack: String,
        /// Where its file would be.
        path: PathBuf,
        /// Stacks that do exist.
        known: String,
    },
    /// `stack init` of a stack that has a file.
    #[error("stack `{stack}` already exists ({})", path.display())]
    StackExists {
        /// The stack.
        stack: String,
        /// Its file.
        path: PathBuf,
    },
    /// A config key without a namespace.
    #[error("config key `{0}` must be namespaced like `tap:environment` or `aws:region`")]
    BadKey(String),
    /// A config key the program does not know.
    #[error("unknown config key `{key}`{hint}; the program reads: {known}")]
    UnknownKey {
        /// The key.
        key: String,
        /// "did you mean …" when there is a close match.
        hint: String,
        /// Keys the program reads.
        known: String,
    },
    /// A config value of the wrong type or range.
    #[error("config `{key}`: {problem}")]
    BadValue {
        /// The key.
        key: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A secret could not be encrypted or decrypted.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

fn io(path: &Path, source: std::io::Error) -> ConfigError {
    ConfigError::Io { path: path.to_path_buf(), source }
}

/// `deploy.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Project name (the URN's project part).
    pub name: String,
    /// Which built-in program to run.
    pub program: String,
    /// What the project is.
    #[serde(default)]
    pub description: Option<String>,
    /// The stack used when `--stack` is not given.
    #[serde(default = "default_stack")]
    pub default_stack: String,
    /// Where state lives: `file://<dir>` (relative to the project folder) or
    /// `s3://<bucket>[/<prefix>]`; `--backend` / `TAPCTL_BACKEND` override it.
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Previous checkpoints the S3 backend keeps per stack.
    #[serde(default = "default_backend_history")]
    pub backend_history: usize,
    /// Steps in flight at most (default 4 × CPUs).
    #[serde(default)]
    pub parallel: Option<usize>,
}

fn default_stack() -> String {
    "dev".into()
}

fn default_backend() -> String {
    "file://state".into()
}

fn default_backend_history() -> usize {
    10
}

/// A project folder: `deploy.toml`, `stacks/`, `state/`; or a Pulumi YAML
/// project as Pulumi keeps it: `Pulumi.yaml` and `Pulumi.<stack>.yaml`.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    /// The parsed project file (for a Pulumi project, what `Pulumi.yaml`
    /// amounts to).
    pub project: ProjectFile,
    pulumi: bool,
}

/// The `program` a Pulumi YAML project runs.
pub const PULUMI_YAML_PROGRAM: &str = "pulumi-yaml";

impl Workspace {
    /// Opens the project in `root`: its `deploy.toml`, else its `Pulumi.yaml`.
    pub fn open(root: &Path) -> Result<Workspace, ConfigError> {
        let path = root.join("deploy.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if root.join("Pulumi.yaml").exists() {
                    return Workspace::open_pulumi(root);
                }
                return Err(ConfigError::NoProject(root.to_path_buf()));
            }
            Err(e) => return Err(io(&path, e)),
        };
        let project: ProjectFile =
            toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.clone(), detail: e.to_string() })?;
        if project.name.is_empty() || !project.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ConfigError::Parse {
                path,
                detail: format!("project name `{}` must be letters, digits, `-` or `_`", project.name),
            });
        }
        if project.parallel == Some(0) {
            return Err(ConfigError::Parse { path, detail: "parallel must be at least 1".into() });
        }
        Ok(Workspace { root: root.to_path_buf(), project, pulumi: false })
    }

    /// A Pulumi YAML project: the name from `Pulumi.yaml`, the state where
    /// its `backend.url` says (`s3://…` or `file://…`), else in `state/`
    /// beside it; the default stack is the only `Pulumi.<stack>.yaml`, else
    /// `dev`.
    fn open_pulumi(root: &Path) -> Result<Workspace, ConfigError> {
        let program = crate::yaml::YamlProgram::load(root)
            .map_err(|e| ConfigError::Parse { path: root.join("Pulumi.yaml"), detail: e.to_string() })?;
        let file = crate::yaml::node::parse(
            &std::fs::read_to_string(root.join("Pulumi.yaml")).map_err(|e| io(&root.join("Pulumi.yaml"), e))?,
        )
        .unwrap_or_else(|_| crate::yaml::node::Node { kind: crate::yaml::node::Kind::Null, pos: Default::default() });
        let backend = file
            .get("backend")
            .and_then(|b| b.get("url"))
            .and_then(|u| u.as_str())
            .map(|url| match url.strip_prefix("file://~") {
                Some(rest) => format!("file://{}{rest}", std::env::var("HOME").unwrap_or_default()),
                None => url.to_string(),
            })
            .unwrap_or_else(default_backend);
        let mut workspace = Workspace {
            root: root.to_path_buf(),
            project: ProjectFile {
                name: program.project_name().to_string(),
                program: PULUMI_YAML_PROGRAM.to_string(),
                description: file.get("description").and_then(|d| d.as_str()).map(str::to_string),
                default_stack: default_stack(),
                backend,
                backend_history: default_backend_history(),
                parallel: None,
            },
            pulumi: true,
        };
        if let [only] = workspace.stack_names().as_slice() {
            workspace.project.default_stack = only.clone();
        }
        Ok(workspace)
    }

    /// The stack commands use when `--stack` is not given: the one `stack
    /// select` chose, else the project's default.
    pub fn current_stack(&self) -> String {
        std::fs::read_to_string(self.selected_stack_path())
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.project.default_stack.clone())
    }

    /// Records `stack` as the one to use when `--stack` is not given.
    pub fn select_stack(&self, stack: &str) -> Result<(), ConfigError> {
        let path = self.selected_stack_path();
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        std::fs::write(&path, format!("{stack}\n")).map_err(|e| io(&path, e))
    }

    fn selected_stack_path(&self) -> PathBuf {
        self.root.join(".tapctl").join("stack")
    }

    /// Whether this is a Pulumi YAML project (`Pulumi.yaml`, `Pulumi.<stack>.yaml`).
    pub fn is_pulumi(&self) -> bool {
        self.pulumi
    }

    /// The project folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The backend URL: `url` when given (from `--backend`), else deploy.toml's.
    pub fn backend_url(&self, url: Option<&str>) -> Result<BackendUrl, StateError> {
        BackendUrl::parse(url.unwrap_or(&self.project.backend), &self.root)
    }

    /// Where files that belong to this machine rather than to the stack's
    /// state live (the in-memory cloud): the state directory of a file
    /// backend, `.tapctl/` in the project folder otherwise.
    pub fn local_dir(&self, backend: &BackendUrl) -> PathBuf {
        match backend {
            BackendUrl::File(dir) => dir.clone(),
            BackendUrl::S3 { .. } => self.root.join(".tapctl"),
        }
    }

    /// Path of a stack's file.
    pub fn stack_path(&self, stack: &str) -> PathBuf {
        if self.pulumi {
            self.root.join(format!("Pulumi.{stack}.yaml"))
        } else {
            self.root.join("stacks").join(format!("{stack}.toml"))
        }
    }

    /// Stacks that have a stack file.
    pub fn stack_names(&self) -> Vec<String> {
        let (dir, name_of): (PathBuf, fn(&str) -> Option<&str>) = if self.pulumi {
            (self.root.clone(), |f| f.strip_prefix("Pulumi.")?.strip_suffix(".yaml").filter(|s| !s.is_empty()))
        } else {
            (self.root.join("stacks"), |f| f.strip_suffix(".toml"))
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| name_of(&e.file_name().to_string_lossy()).map(str::to_string))
            .collect();
        names.sort();
        names
    }

    /// A config key as the project stores it: Pulumi projects put a key
    /// without a namespace in the project's, as Pulumi does.
    pub fn qualify_key(&self, key: &str) -> String {
        if self.pulumi && !key.contains(':') {
            format!("{}:{key}", self.project.name)
        } else {
            key.to_string()
        }
    }

    /// Creates stack `stack`'s file, empty or with `copy_from`'s plain config
    /// (its secrets are encrypted with its own salt, so they are left out).
    /// Returns the keys left out.
    pub fn init_stack(&self, stack: &str, copy_from: Option<&str>) -> Result<Vec<String>, ConfigError> {
        let path = self.stack_path(stack);
        if path.exists() {
            return Err(ConfigError::StackExists { stack: stack.into(), path });
        }
        if self.pulumi {
            let mut file = StackFile { path: path.clone(), doc: Doc::Yaml(yaml_stack::Document::empty()) };
            let mut skipped = Vec::new();
            if let Some(source) = copy_from {
                for (key, stored) in self.stack(source)?.entries()? {
                    match stored {
                        Stored::Secure(_) => skipped.push(key),
                        Stored::Plain(v) => file.set_value(&key, v)?,
                    }
                }
            }
            file.save()?;
            return Ok(skipped);
        }
        let mut doc: DocumentMut =
            format!("# Stack config for {stack}.\n[config]\n").parse().expect("a fixed document");
        let mut skipped = Vec::new();
        if let Some(source) = copy_from {
            let from = self.stack(source)?;
            let from_doc = match &from.doc {
                Doc::Toml(d) => Some(d),
                Doc::Yaml(_) => None,
            };
            if let Some(table) = from_doc.and_then(|d| d.get("config")).and_then(Item::as_table_like) {
                for (key, item) in table.iter() {
                    let secure = item.as_table_like().is_some_and(|t| t.contains_key("secure"));
                    if secure {
                        skipped.push(key.to_string());
                    } else {
                        doc["config"][key] = item.clone();
                    }
                }
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        StackFile { path, doc: Doc::Toml(doc) }.save()?;
        Ok(skipped)
    }

    /// Loads a stack's file; the stack must exist. A Pulumi project's stack
    /// needs no `Pulumi.<stack>.yaml` until it has config, as with Pulumi:
    /// the file is written when config is first set.
    pub fn stack(&self, stack: &str) -> Result<StackFile, ConfigError> {
        let path = self.stack_path(stack);
        if self.pulumi && !path.exists() {
            return Ok(StackFile { path, doc: Doc::Yaml(yaml_stack::Document::empty()) });
        }
        if !path.exists() {
            return Err(ConfigError::UnknownStack { stack: stack.into(), path, known: self.stack_names().join(", ") });
        }
        StackFile::load(&path)
    }
}

/// One stack's file, kept as an editable document.
#[derive(Debug, Clone)]
pub struct StackFile {
    path: PathBuf,
    doc: Doc,
}

/// A stack file's document: `stacks/<stack>.toml`, or Pulumi's
/// `Pulumi.<stack>.yaml`.
#[derive(Debug, Clone)]
enum Doc {
    Toml(DocumentMut),
    Yaml(yaml_stack::Document),
}

/// A config value as stored: plain, or encrypted.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// A plain value.
    Plain(Value),
    /// `{ secure = "v1:…" }`.
    Secure(String),
}

impl StackFile {
    /// Reads and checks a stack file (`*.toml`, or Pulumi's `Pulumi.<stack>.yaml`).
    pub fn load(path: &Path) -> Result<StackFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
        let parse = |detail: String| ConfigError::Parse { path: path.to_path_buf(), detail };
        if path.extension().is_some_and(|e| e == "yaml") {
            let doc = yaml_stack::Document::parse(&text).map_err(parse)?;
            let file = StackFile { path: path.to_path_buf(), doc: Doc::Yaml(doc) };
            file.entries()?;
            return Ok(file);
        }
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| parse(e.to_string()))?;
        for (key, _) in doc.iter() {
            if key != "encryptionsalt" && key != "config" {
                return Err(parse(format!(
                    "unknown top-level key `{key}`: a stack file holds `encryptionsalt` and a [config] table"
                )));
            }
        }
        if doc.get("config").is_some_and(|c| !c.is_table_like()) {
            return Err(parse("`config` must be a table".into()));
        }
        let file = StackFile { path: path.to_path_buf(), doc: Doc::Toml(doc) };
        file.entries()?;
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `encryptionsalt`, if secrets were ever set.
    pub fn encryption_salt(&self) -> Option<&str> {
        match &self.doc {
            Doc::Toml(d) => d.get("encryptionsalt").and_then(Item::as_str),
            Doc::Yaml(d) => d.encryption_salt(),
        }
    }

    /// Records the `encryptionsalt`.
    pub fn set_encryption_salt(&mut self, salt: &str) {
        match &mut self.doc {
            Doc::Toml(d) => d["encryptionsalt"] = toml_edit::value(salt),
            Doc::Yaml(d) => d.set_encryption_salt(salt),
        }
    }

    /// Every config entry as stored.
    pub fn entries(&self) -> Result<BTreeMap<String, Stored>, ConfigError> {
        let mut out = BTreeMap::new();
        let doc = match &self.doc {
            Doc::Toml(d) => d,
            Doc::Yaml(d) => {
                for (key, stored) in d.entries() {
                    check_key(&key)?;
                    out.insert(key, stored);
                }
                return Ok(out);
            }
        };
        let Some(table) = doc.get("config").and_then(Item::as_table_like) else { return Ok(out) };
        for (key, item) in table.iter() {
            check_key(key)?;
            let bad = |problem: &str| ConfigError::BadValue { key: key.to_string(), problem: problem.to_string() };
            let stored = match item.as_value() {
                Some(toml_edit::Value::InlineTable(t)) if t.contains_key("secure") => {
                    let ct =
                        t.get("secure").and_then(|v| v.as_str()).ok_or_else(|| bad("`secure` must be a string"))?;
                    Stored::Secure(ct.to_string())
                }
                Some(v) => Stored::Plain(toml_to_value(v).ok_or_else(|| bad("dates are not supported config values"))?),
                None => match item.as_table_like() {
                    Some(_) => return Err(bad("use an inline value (`key = …`), not a sub-table")),
                    None => return Err(bad("unsupported value")),
                },
            };
            out.insert(key.to_string(), stored);
        }
        Ok(out)
    }

    /// Every config value, secrets decrypted into [`Value::Secret`].
    pub fn values(&self, crypter: Option<&Crypter>) -> Result<BTreeMap<String, Value>, ConfigError> {
        self.entries()?
            .into_iter()
            .map(|(k, stored)| {
                let v = match stored {
                    Stored::Plain(v) => v,
                    Stored::Secure(ct) => {
                        let c = crypter.ok_or(SecretsError::MissingPassphrase)?;
                        Value::secret(Value::String(c.decrypt(&ct)?))
                    }
                };
                Ok((k, v))
            })
            .collect()
    }

    /// Sets a plain value. In a TOML stack file it is parsed as a number or
    /// boolean when it looks like one; Pulumi's stack files keep the text, as
    /// `pulumi config set` does (the program's declared type converts it).
    pub fn set_plain(&mut self, key: &str, raw: &str) -> Result<(), ConfigError> {
        check_key(key)?;
        let v: toml_edit::Value = match &mut self.doc {
            Doc::Yaml(d) => {
                d.set(key, Value::from(raw));
                return Ok(());
            }
            Doc::Toml(_) => {
                if let Ok(n) = raw.parse::<i64>() {
                    n.into()
                } else if let Ok(b) = raw.parse::<bool>() {
                    b.into()
                } else if let (Ok(f), true) = (raw.parse::<f64>(), raw.contains('.')) {
                    f.into()
                } else {
                    raw.into()
                }
            }
        };
        self.config_table()[key] = Item::Value(v);
        Ok(())
    }

    /// Sets a value as it is (Pulumi stack files only: copying config).
    fn set_value(&mut self, key: &str, value: Value) -> Result<(), ConfigError> {
        check_key(key)?;
        if let Doc::Yaml(d) = &mut self.doc {
            d.set(key, value);
        }
        Ok(())
    }

    /// Removes a config value; `false` when it was not set.
    pub fn remove(&mut self, key: &str) -> Result<bool, ConfigError> {
        check_key(key)?;
        Ok(match &mut self.doc {
            Doc::Yaml(d) => d.remove(key),
            Doc::Toml(d) => d.get_mut("config").and_then(Item::as_table_like_mut).and_then(|t| t.remove(key)).is_some(),
        })
    }

    /// Sets a secret value, encrypted with `crypter`.
    pub fn set_secret(&mut self, key: &str, plaintext: &str, crypter: &Crypter) -> Result<(), ConfigError> {
        check_key(key)?;
        let ciphertext = crypter.encrypt(plaintext);
        if let Doc::Yaml(d) = &mut self.doc {
            d.set_secure(key, &ciphertext);
            return Ok(());
        }
        let mut t = InlineTable::new();
        t.insert("secure", ciphertext.into());
        self.config_table()[key] = Item::Value(toml_edit::Value::InlineTable(t));
        Ok(())
    }

    fn config_table(&mut self) -> &mut Table {
        let Doc::Toml(doc) = &mut self.doc else { unreachable!("only TOML stack files have tables") };
        if !doc.contains_table("config") {
            doc["config"] = Item::Table(Table::new());
        }
        doc["config"].as_table_mut().expect("config was just made a table")
    }

    /// Writes the file atomically (a TOML file keeps its comments and layout).
    pub fn save(&self) -> Result<(), ConfigError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let text = match &self.doc {
            Doc::Toml(d) => d.to_string(),
            Doc::Yaml(d) => d.to_text(),
        };
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut tmp, text.as_bytes())?;
            tmp.as_file().sync_all()?;
            tmp.persist(&self.path).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(|e| io(&self.path, e))
    }
}

fn check_key(key: &str) -> Result<(), ConfigError> {
    match key.split_once(':') {
        Some((ns, k)) if !ns.is_empty() && !k.is_empty() && !k.contains(':') => Ok(()),
        _ => Err(ConfigError::BadKey(key.to_string())),
    }
}

fn toml_to_value(v: &toml_edit::Value) -> Option<Value> {
    Some(match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Number(*i.value() as f64),
        toml_edit::Value::Float(f) => Value::Number(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Array(a) => Value::Array(a.iter().map(toml_to_value).collect::<Option<_>>()?),
        toml_edit::Value::InlineTable(t) => {
            Value::Object(t.iter().map(|(k, v)| Some((k.to_string(), toml_to_value(v)?))).collect::<Option<_>>()?)
        }
        toml_edit::Value::Datetime(_) => return None,
    })
}

/// A stack's config as a program reads it: typed getters whose errors name
/// the key, and a record of which keys were read so that the rest can be
/// reported as unknown (likely typos).
#[derive(Debug, Clone, Default)]
pub struct StackConfig {
    values: BTreeMap<String, Value>,
    read: std::cell::RefCell<Vec<String>>,
}

impl StackConfig {
    /// Config from decoded values.
    pub fn new(values: BTreeMap<String, Value>) -> StackConfig {
        StackConfig { values, read: Default::default() }
    }

    fn note(&self, key: &str) -> Option<&Value> {
        let mut read = self.read.borrow_mut();
        if !read.iter().any(|k| k == key) {
            read.push(key.to_string());
        }
        self.values.get(key)
    }

    /// A raw value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.note(key)
    }

    /// A string, or `default`.
    pub fn string(&self, key: &str, default: &str) -> Result<String, ConfigError> {
        match self.note(key) {
            None => Ok(default.to_string()),
            Some(v) => v.as_str().map(str::to_string).ok_or_else(|| ConfigError::BadValue {
                key: key.into(),
                problem: format!("expected a string, found {}", v.display()),
            }),
        }
    }

    /// An optional string.
    pub fn optional_string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.note(key) {
            None => Ok(None),
            Some(_) => self.string(key, "").map(Some),
        }
    }

    /// An integer within `range`, or `default`.
    pub fn integer(&self, key: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, ConfigError> {
        let n = match self.note(key) {
            None => default,
            Some(v) => {
                let n = v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| {
                    ConfigError::BadValue {
                        key: key.into(),
                        problem: format!("expected an integer, found {}", v.display()),
                    }
                })?;
                if n.fract() != 0.0 {
                    return Err(ConfigError::BadValue {
                        key: key.into(),
                        problem: format!("expected an integer, found {n}"),
                    });
                }
                n as i64
            }
        };
        if !range.contains(&n) {
            return Err(ConfigError::BadValue {
                key: key.into(),
                problem: format!("{n} is out of range; use a value from {} to {}", range.start(), range.end()),
            });
        }
        Ok(n)
    }

    /// A boolean, or `default`.
    pub fn boolean(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.note(key) {
            None => Ok(default),
            Some(v) => {
                v.as_bool().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| ConfigError::BadValue {
                    key: key.into(),
                    problem: format!("expected true or false, found {}", v.display()),
                })
            }
        }
    }

    /// Fails on the first key that was never read: a likely typo.
    pub fn reject_unread(&self) -> Result<(), ConfigError> {
        let read = self.read.borrow();
        let Some(key) = self.values.keys().find(|k| !read.contains(k)) else { return Ok(()) };
        let closest = read.iter().min_by_key(|r| edit_distance(r, key)).filter(|r| edit_distance(r, key) <= 3);
        Err(ConfigError::UnknownKey {
            key: key.clone(),
            hint: closest.map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default(),
            known: read.join(", "),
        })
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_files_round_trip_with_comments_and_reject_bad_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.toml");
        std::fs::write(&path, "# dev stack\n[config]\n\"aws:region\" = \"us-east-1\" # keep\n\"tap:cpu\" = 256\n")
            .unwrap();
        let mut f = StackFile::load(&path).unwrap();
        f.set_plain("tap:desiredCount", "3").unwrap();
        f.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# dev stack") && text.contains("# keep"));
        let v = StackFile::load(&path).unwrap().values(None).unwrap();
        assert_eq!(v["tap:desiredCount"], Value::from(3));
        assert_eq!(v["aws:region"], Value::from("us-east-1"));

        std::fs::write(&path, "[config]\nregion = \"x\"\n").unwrap();
        assert!(matches!(StackFile::load(&path), Err(ConfigError::BadKey(_))));
        std::fs::write(&path, "[config\n").unwrap();
        assert!(matches!(StackFile::load(&path), Err(ConfigError::Parse { .. })));
        std::fs::write(&path, "confg = 1\n").unwrap();
        assert!(matches!(StackFile::load(&path), Err(ConfigError::Parse { .. })));
    }

    #[test]
    fn typed_getters_name_the_key_and_unread_keys_suggest_a_fix() {
        let c = StackConfig::new(BTreeMap::from([
            ("tap:cpu".to_string(), Value::from("lots")),
            ("tap:desiredCont".to_string(), Value::from(2)),
        ]));
        let e = c.integer("tap:cpu", 256, 256..=4096).unwrap_err().to_string();
        assert!(e.contains("tap:cpu") && e.contains("integer"), "{e}");
        c.integer("tap:desiredCount", 2, 1..=10).unwrap();
        let e = c.reject_unread().unwrap_err().to_string();
        assert!(e.contains("tap:desiredCont") && e.contains("did you mean `tap:desiredCount`"), "{e}");
    }
}
