//! Pulumi YAML programs, run natively: a folder holding a `Pulumi.yaml` with
//! `runtime: yaml` (the program in it, or in `Main.yaml` / `Main.json` beside
//! it or in its `main:` folder) builds a [`crate::model::Program`] whose URNs,
//! default provider and auto-names are what Pulumi's YAML runtime would
//! record, so a stack moves between the two tools unchanged.
//!
//! Invariant: every mistake in a program is reported with its file, line and
//! column before any cloud call — nothing here talks to a cloud except through
//! the [`Invoker`] the caller passes for `fn::invoke`.

mod build;
pub mod expr;
pub mod invokes;
pub mod node;

use std::path::{Path, PathBuf};

pub use build::{full_token, Invoker};
use node::{Kind, Node, Pos};

use crate::programs::{Built, ProgramContext};

/// A mistake in a YAML program, or a file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A mistake at a place in a file.
    #[error("{}:{pos}: {message}", file.display())]
    At {
        /// The file.
        file: PathBuf,
        /// Where.
        pos: Pos,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// A declared config value (`config:` in `Pulumi.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDecl {
    /// The key, without the project namespace.
    pub name: String,
    /// `String`, `Integer`, `Boolean`, `Number`, `List<…>` or `Object`, when declared.
    pub type_name: Option<String>,
    /// The value when the stack sets none.
    pub default: Option<serde_json::Value>,
    /// Whether the value must be set as a secret.
    pub secret: bool,
}

/// A parsed Pulumi YAML project.
#[derive(Debug, Clone)]
pub struct YamlProgram {
    dir: PathBuf,
    project: String,
    /// The file the program (resources, variables, outputs) is in.
    file: PathBuf,
    template: Node,
    /// `Pulumi.yaml`, for its `config:` declarations.
    project_file: PathBuf,
    project_node: Node,
}

impl YamlProgram {
    /// Reads `Pulumi.yaml` (runtime `yaml`) and the program in it or in
    /// `Main.yaml` / `Main.json` beside it (or in its `main:` folder).
    pub fn load(project_dir: &Path) -> Result<YamlProgram, YamlError> {
        let project_file = project_dir.join("Pulumi.yaml");
        let project_node = read(&project_file)?;
        let at = |pos: Pos, message: String| YamlError::At { file: project_file.clone(), pos, message };
        if project_node.as_map().is_none() {
            return Err(at(project_node.pos, "Pulumi.yaml must be a mapping with `name` and `runtime`".into()));
        }
        let project = match project_node.get("name") {
            Some(n) => n
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| at(n.pos, format!("`name` must be a non-empty string, not {}", n.describe())))?,
            None => return Err(at(project_node.pos, "Pulumi.yaml has no `name`: add `name: <project>`".into())),
        };
        let runtime = project_node.get("runtime");
        let runtime_name = runtime.and_then(|r| r.as_str().or_else(|| r.get("name").and_then(Node::as_str)));
        match (runtime, runtime_name) {
            (_, Some("yaml")) => {}
            (Some(r), Some(other)) => {
                return Err(at(
                    r.pos,
                    format!("tapctl runs Pulumi YAML programs, and this project's runtime is `{other}`: write the program in YAML (runtime: yaml), or as a Rust crate on tapctl (see the README)"),
                ))
            }
            (Some(r), None) => return Err(at(r.pos, "`runtime` must be `yaml` or `{name: yaml}`".into())),
            (None, _) => return Err(at(project_node.pos, "Pulumi.yaml has no `runtime`: add `runtime: yaml`".into())),
        }
        let has_program = ["resources", "variables", "outputs"].iter().any(|k| project_node.get(k).is_some());
        let (file, template) = if has_program {
            (project_file.clone(), project_node.clone())
        } else {
            let main_dir = match project_node.get("main") {
                Some(m) => {
                    project_dir.join(m.as_str().ok_or_else(|| at(m.pos, "`main` must be a folder name".into()))?)
                }
                None => project_dir.to_path_buf(),
            };
            let found = ["Main.yaml", "Main.yml", "Main.json"].iter().map(|f| main_dir.join(f)).find(|p| p.exists());
            match found {
                Some(main) => {
                    let node = read(&main)?;
                    (main, node)
                }
                None => (project_file.clone(), project_node.clone()),
            }
        };
        Ok(YamlProgram { dir: project_dir.to_path_buf(), project, file, template, project_file, project_node })
    }

    /// The project name.
    pub fn project_name(&self) -> &str {
        &self.project
    }

    /// The file the program is in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The config the program declares (`config:`, or the legacy
    /// `configuration:`, in `Pulumi.yaml` or the program file).
    pub fn config_schema(&self) -> Result<Vec<ConfigDecl>, YamlError> {
        let mut out = Vec::new();
        for (file, node) in [(&self.project_file, &self.project_node), (&self.file, &self.template)] {
            for section in ["config", "configuration"] {
                let Some(decls) = node.get(section) else { continue };
                let Some(entries) = decls.as_map() else {
                    return Err(YamlError::At {
                        file: file.clone(),
                        pos: decls.pos,
                        message: format!("`{section}` must be a mapping of config keys"),
                    });
                };
                for (k, v) in entries {
                    let name = k.as_str().unwrap_or_default().to_string();
                    let name = name.strip_prefix(&format!("{}:", self.project)).map(str::to_string).unwrap_or(name);
                    if out.iter().any(|d: &ConfigDecl| d.name == name) {
                        continue;
                    }
                    out.push(config_decl(file, &name, v)?);
                }
            }
        }
        Ok(out)
    }

    /// Builds the resources for one stack; `fn::invoke` of the functions
    /// the command already knows the answer to ([`invokes::FUNCTIONS`]).
    pub fn build(&self, ctx: &ProgramContext<'_>) -> Result<Built, YamlError> {
        self.build_with(ctx, &invokes::ContextInvoker::new(ctx))
    }

    /// Builds the resources for one stack, running `fn::invoke` through `invoker`.
    pub fn build_with(&self, ctx: &ProgramContext<'_>, invoker: &dyn Invoker) -> Result<Built, YamlError> {
        let decls = self.config_schema()?;
        build::build(self, &decls, ctx, invoker)
    }
}

/// Whether `raw`, as `config set` stores it, reads as the declared
/// `type_name` (the same conversion the program applies); why not if not.
pub fn check_config_value(raw: &str, type_name: &str) -> Result<(), String> {
    build::typed(crate::model::Value::from(raw), type_name).map(|_| ())
}

fn read(path: &Path) -> Result<Node, YamlError> {
    let text = std::fs::read_to_string(path).map_err(|source| YamlError::Io { path: path.to_path_buf(), source })?;
    node::parse(&text).map_err(|(pos, why)| YamlError::At {
        file: path.to_path_buf(),
        pos,
        message: format!("this is not valid YAML: {why}"),
    })
}

/// A `config:` entry: a bare default (`key: value`) or `{type, default, secret}`.
fn config_decl(file: &Path, name: &str, v: &Node) -> Result<ConfigDecl, YamlError> {
    let at = |pos: Pos, message: String| YamlError::At { file: file.to_path_buf(), pos, message };
    let Some(entries) = v.as_map() else {
        return Ok(ConfigDecl { name: name.to_string(), type_name: None, default: Some(plain_json(v)), secret: false });
    };
    let mut decl = ConfigDecl { name: name.to_string(), type_name: None, default: None, secret: false };
    for (k, val) in entries {
        match k.as_str().unwrap_or_default() {
            "type" => {
                let t = val.as_str().unwrap_or_default();
                let known = ["String", "Integer", "Boolean", "Number", "Object"].contains(&t)
                    || (t.starts_with("List<") && t.ends_with('>'));
                if !known {
                    return Err(at(
                        val.pos,
                        format!(
                            "config `{name}` has type `{t}`; use String, Integer, Boolean, Number, List<…> or Object"
                        ),
                    ));
                }
                decl.type_name = Some(t.to_string());
            }
            "default" | "value" => decl.default = Some(plain_json(val)),
            "secret" => decl.secret = matches!(val.kind, Kind::Bool(true)),
            "description" | "items" => {}
            other => {
                return Err(at(
                    k.pos,
                    format!("config `{name}` has no field `{other}`; use type, default, secret or description"),
                ))
            }
        }
    }
    Ok(decl)
}

/// A node without expressions as JSON.
fn plain_json(n: &Node) -> serde_json::Value {
    match &n.kind {
        Kind::Null => serde_json::Value::Null,
        Kind::Bool(b) => (*b).into(),
        Kind::Int(i) => (*i).into(),
        Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
        Kind::Str(s) => s.clone().into(),
        Kind::Seq(items) => items.iter().map(plain_json).collect(),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), plain_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// The candidate closest to `name`, when it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 3).max(2);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        // A typo, or a name cut short (`cidr` for `cidrBlock`).
        .filter(|(d, c)| *d <= limit || (lower.len() >= 3 && c.to_lowercase().starts_with(&lower)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
