//! Reading a deployment another tool wrote: what `pulumi stack export`
//! prints (`{"version":3,"deployment":{…}}`) or a Pulumi file backend's
//! checkpoint (`{"version":3,"checkpoint":{"latest":{…}}}`), from every
//! Pulumi CLI that writes version 3.
//!
//! Invariant: whatever is refused is refused here, before anything is
//! written, with the construct named and the command that fixes it; whatever
//! is accepted keeps every field tapctl does not interpret (see
//! [`super::checkpoint`]), so it is exported again unchanged.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::checkpoint::{Deployment, CHECKPOINT_VERSION};
use super::encoding::has_ciphertext;
use super::secrets::Crypter;

/// Why a file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not JSON at all.
    #[error("{} is not JSON ({detail}): give the file `pulumi stack export --file FILE` or `tapctl stack export` wrote", file.display())]
    NotJson {
        /// The file.
        file: PathBuf,
        /// The parser's complaint, with line and column.
        detail: String,
    },
    /// JSON of another shape.
    #[error("{} is not a Pulumi deployment: {why}; expected {{\"version\":3,\"deployment\":{{…}}}} as `pulumi stack export` writes, or a Pulumi checkpoint {{\"version\":3,\"checkpoint\":{{…}}}}", file.display())]
    NotADeployment {
        /// The file.
        file: PathBuf,
        /// What is missing or wrong.
        why: String,
    },
    /// A deployment version tapctl does not read.
    #[error("{} is a version {found} deployment; tapctl reads version 3, which current Pulumi CLIs write: import it into Pulumi and export it again with a current CLI (`pulumi stack import --file {}` then `pulumi stack export --file stack.json`)", file.display(), file.display())]
    UnsupportedVersion {
        /// The file.
        file: PathBuf,
        /// The version it declares.
        found: Json,
    },
    /// A checkpoint of a stack that was never deployed.
    #[error("{} is the checkpoint of a stack that has no deployment yet (no `latest`): there is nothing to import", file.display())]
    NoDeployment {
        /// The file.
        file: PathBuf,
    },
    /// A field of the deployment has the wrong shape.
    #[error("{} does not decode as a Pulumi version 3 deployment: {detail}", file.display())]
    Shape {
        /// The file.
        file: PathBuf,
        /// The decoder's complaint, naming the field.
        detail: String,
    },
    /// Secrets sealed by Pulumi's `b64` provider.
    #[error("{} seals its secrets with Pulumi's `b64` secrets provider, which tapctl does not read: switch the stack to a passphrase with `pulumi stack change-secrets-provider passphrase`, export it again, and import that", file.display())]
    B64Secrets {
        /// The file.
        file: PathBuf,
    },
    /// Secrets sealed by a cloud KMS or the Pulumi service.
    #[error("{} seals its secrets with Pulumi's `{kind}` secrets provider, which tapctl cannot open: export with `pulumi stack export --show-secrets --file FILE` (or `pulumi stack change-secrets-provider passphrase` first) and import that", file.display())]
    ForeignSecrets {
        /// The file.
        file: PathBuf,
        /// The provider type (`service`, `cloud`, …).
        kind: String,
    },
    /// Encrypted values but no provider to open them.
    #[error("{} holds encrypted secrets but names no secrets provider (`secrets_providers` is missing or has no salt): export it again with `pulumi stack export --show-secrets --file FILE` and import that", file.display())]
    NoSecretsProvider {
        /// The file.
        file: PathBuf,
    },
    /// A passphrase is needed and none was given.
    #[error("{} holds secrets sealed with the passphrase of the stack that wrote it: set TAPCTL_SOURCE_PASSPHRASE to that passphrase (TAPCTL_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE are tried when it is unset)", file.display())]
    NeedsPassphrase {
        /// The file.
        file: PathBuf,
    },
    /// The passphrase given does not open the file's secrets.
    #[error("the passphrase in {variable} does not open the secrets of {} (its `secrets_providers` salt): set TAPCTL_SOURCE_PASSPHRASE to the passphrase of the stack that wrote it", file.display())]
    WrongPassphrase {
        /// The file.
        file: PathBuf,
        /// The environment variable the passphrase came from.
        variable: &'static str,
    },
}

/// Parses the text of an exported deployment or a checkpoint.
pub fn parse_export(file: &Path, text: &str) -> Result<Deployment, ImportError> {
    let file_buf = || file.to_path_buf();
    let raw: Json =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson { file: file_buf(), detail: e.to_string() })?;
    let Json::Object(mut top) = raw else {
        return Err(ImportError::NotADeployment { file: file_buf(), why: "the top level is not an object".into() });
    };
    match top.get("version") {
        None => {
            return Err(ImportError::NotADeployment { file: file_buf(), why: "it has no `version`".into() });
        }
        Some(v) if v.as_u64() == Some(u64::from(CHECKPOINT_VERSION)) => {}
        Some(v) => return Err(ImportError::UnsupportedVersion { file: file_buf(), found: v.clone() }),
    }
    let deployment = if let Some(d) = top.remove("deployment") {
        d
    } else if let Some(checkpoint) = top.remove("checkpoint") {
        let Json::Object(mut checkpoint) = checkpoint else {
            return Err(ImportError::NotADeployment { file: file_buf(), why: "`checkpoint` is not an object".into() });
        };
        // Go's JSON decoder matches field names case-insensitively, so
        // Pulumi reads `Latest` too.
        let key = checkpoint.keys().find(|k| k.eq_ignore_ascii_case("latest")).cloned();
        match key.and_then(|k| checkpoint.remove(&k)) {
            Some(latest) if !latest.is_null() => latest,
            _ => return Err(ImportError::NoDeployment { file: file_buf() }),
        }
    } else {
        return Err(ImportError::NotADeployment {
            file: file_buf(),
            why: "it has neither `deployment` nor `checkpoint`".into(),
        });
    };
    serde_json::from_value(deployment).map_err(|e| ImportError::Shape { file: file_buf(), detail: e.to_string() })
}

/// Whether any resource or pending operation of `d` holds an encrypted secret.
pub fn holds_ciphertext(d: &Deployment) -> bool {
    let sealed = |m: &Map<String, Json>| m.values().any(has_ciphertext);
    d.resources
        .iter()
        .chain(d.pending_operations.iter().map(|p| &p.resource))
        .any(|r| sealed(&r.inputs) || sealed(&r.outputs))
}

/// A passphrase and the variable it came from (named in errors).
#[derive(Debug, Clone)]
pub struct SourcePassphrase {
    /// The passphrase.
    pub passphrase: String,
    /// `TAPCTL_SOURCE_PASSPHRASE`, `TAPCTL_CONFIG_PASSPHRASE`, ….
    pub variable: &'static str,
}

/// The crypter that opens the secrets of an imported deployment. `None` when
/// nothing in it is encrypted (Pulumi fails only when a value is actually
/// decrypted, so a salt that would not open does not matter then) or when it
/// shares `stack_salt`, the importing stack's own salt.
pub fn source_crypter(
    d: &Deployment,
    file: &Path,
    stack_salt: Option<&str>,
    passphrase: Option<SourcePassphrase>,
) -> Result<Option<Crypter>, ImportError> {
    if !holds_ciphertext(d) {
        return Ok(None);
    }
    let file = file.to_path_buf();
    let Some(provider) = &d.secrets_providers else { return Err(ImportError::NoSecretsProvider { file }) };
    match provider.kind.as_str() {
        "passphrase" => {}
        "b64" => return Err(ImportError::B64Secrets { file }),
        other => return Err(ImportError::ForeignSecrets { file, kind: other.to_string() }),
    }
    let Some(salt) = provider.state.get("salt").and_then(Json::as_str) else {
        return Err(ImportError::NoSecretsProvider { file });
    };
    if Some(salt) == stack_salt {
        return Ok(None);
    }
    let Some(source) = passphrase else { return Err(ImportError::NeedsPassphrase { file }) };
    Crypter::open(&source.passphrase, salt).map(Some).map_err(|e| match e {
        super::SecretsError::MalformedSalt(detail) => {
            ImportError::Shape { file, detail: format!("secrets_providers.state.salt is malformed ({detail})") }
        }
        _ => ImportError::WrongPassphrase { file, variable: source.variable },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#""manifest":{"time":"2024-05-14T10:56:24Z","magic":"m","version":"v3.100.0"}"#;

    fn parse(text: &str) -> Result<Deployment, ImportError> {
        parse_export(Path::new("stack.json"), text)
    }

    #[test]
    fn the_checkpoint_form_is_read_like_an_export() {
        let text =
            format!(r#"{{"version":3,"checkpoint":{{"stack":"dev","Latest":{{{MANIFEST},"resources":null}}}}}}"#);
        let d = parse(&text).unwrap();
        assert!(d.resources.is_empty());
        let e = parse(r#"{"version":3,"checkpoint":{"stack":"dev"}}"#).unwrap_err().to_string();
        assert!(e.contains("no deployment yet"), "{e}");
    }

    #[test]
    fn other_versions_are_refused_with_the_pulumi_commands_that_convert_them() {
        let e = parse(r#"{"version":2,"deployment":{}}"#).unwrap_err().to_string();
        assert!(e.contains("version 2 deployment") && e.contains("pulumi stack export"), "{e}");
        let e = parse(r#"{"deployment":{}}"#).unwrap_err().to_string();
        assert!(e.contains("no `version`"), "{e}");
        let e = parse("[1]").unwrap_err().to_string();
        assert!(e.contains("not an object"), "{e}");
        let e = parse("{").unwrap_err().to_string();
        assert!(e.contains("is not JSON") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn unknown_fields_are_kept_at_every_level() {
        let text = format!(
            r#"{{"version":3,"deployment":{{{MANIFEST},"future":{{"a":1}},"resources":[
              {{"urn":"urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev","custom":false,"type":"pulumi:pulumi:Stack",
                "sourcePosition":"project:///index.ts#1","propertyDependencies":{{"region":null}},"dependencies":null}}],
              "pending_operations":[{{"resource":{{"urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b","custom":true,
                "type":"aws:s3/bucket:Bucket"}},"type":"importing","future":true}}]}}}}"#
        );
        let d = parse(&text).unwrap();
        assert_eq!(d.extra.get("future"), Some(&serde_json::json!({"a": 1})));
        assert_eq!(d.manifest.extra.len(), 0);
        assert_eq!(d.resources[0].extra.get("sourcePosition"), Some(&serde_json::json!("project:///index.ts#1")));
        assert_eq!(d.pending_operations[0].extra.get("future"), Some(&Json::Bool(true)));
        let out = serde_json::to_value(&d).unwrap();
        assert_eq!(out["future"], serde_json::json!({"a": 1}));
        assert_eq!(out["pending_operations"][0]["future"], Json::Bool(true));
    }

    /// A passphrase provider whose salt was made with the passphrase `right`.
    fn passphrase_provider() -> String {
        let (_, salt) = Crypter::create("right").unwrap();
        format!(r#"{{"type":"passphrase","state":{{"salt":"{salt}"}}}}"#)
    }

    fn with_secret(provider: &str) -> Deployment {
        let text = format!(
            r#"{{"version":3,"deployment":{{{MANIFEST},"secrets_providers":{provider},"resources":[
              {{"urn":"urn:pulumi:dev::p::aws:ssm/parameter:Parameter::x","custom":true,"id":"x",
                "type":"aws:ssm/parameter:Parameter","inputs":{{"value":{{"4dabf18193072939515e22adb298388d":
                "1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:AAAA:BBBB"}}}}}}]}}}}"#
        );
        parse(&text).unwrap()
    }

    #[test]
    fn secrets_providers_tapctl_cannot_open_are_named_with_the_fix() {
        let file = Path::new("stack.json");
        let e = source_crypter(&with_secret(r#"{"type":"b64"}"#), file, None, None).unwrap_err().to_string();
        assert!(e.contains("`b64`") && e.contains("change-secrets-provider passphrase"), "{e}");
        let e =
            source_crypter(&with_secret(r#"{"type":"service","state":{}}"#), file, None, None).unwrap_err().to_string();
        assert!(e.contains("`service`") && e.contains("--show-secrets"), "{e}");
        let e = source_crypter(&with_secret(&passphrase_provider()), file, None, None).unwrap_err().to_string();
        assert!(e.contains("stack.json") && e.contains("TAPCTL_SOURCE_PASSPHRASE"), "{e}");
    }

    #[test]
    fn a_salt_that_does_not_open_matters_only_when_something_is_encrypted() {
        let mut d = with_secret(&passphrase_provider());
        let wrong = SourcePassphrase { passphrase: "wrong".into(), variable: "TAPCTL_SOURCE_PASSPHRASE" };
        let e = source_crypter(&d, Path::new("stack.json"), None, Some(wrong.clone())).unwrap_err().to_string();
        assert!(e.contains("TAPCTL_SOURCE_PASSPHRASE does not open") && e.contains("stack.json"), "{e}");
        d.resources[0].inputs.clear();
        assert!(source_crypter(&d, Path::new("stack.json"), None, Some(wrong)).unwrap().is_none());
    }
}
