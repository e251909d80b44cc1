//! Values to and from Pulumi's JSON property encoding: a secret becomes
//! `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:…"}`
//! whose ciphertext is the encrypted JSON text of the plaintext value, and an
//! unknown becomes Pulumi's unknown sentinel string.

use serde_json::{Map, Value as Json};

use super::secrets::Crypter;
use super::StateError;
use crate::model::value::number_to_json;
use crate::model::{PropertyMap, Value, UNKNOWN_SENTINEL};

/// The key that marks a special (signed) object in Pulumi's encoding.
pub const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
/// The signature value of a secret.
pub const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";

/// Encodes a property map, encrypting every secret with `crypter`.
pub fn encode_map(map: &PropertyMap, crypter: Option<&Crypter>) -> Result<Map<String, Json>, StateError> {
    map.iter().map(|(k, v)| Ok((k.clone(), encode(v, crypter)?))).collect()
}

/// Decodes a property map, decrypting every secret with `crypter`.
pub fn decode_map(map: &Map<String, Json>, crypter: Option<&Crypter>) -> Result<PropertyMap, StateError> {
    map.iter().map(|(k, v)| Ok((k.clone(), decode(v, crypter)?))).collect()
}

/// Encodes one value.
pub fn encode(v: &Value, crypter: Option<&Crypter>) -> Result<Json, StateError> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_to_json(*n),
        Value::String(s) => Json::String(s.clone()),
        Value::Array(a) => Json::Array(a.iter().map(|x| encode(x, crypter)).collect::<Result<_, _>>()?),
        Value::Object(o) => Json::Object(
            o.iter().map(|(k, x)| Ok((k.clone(), encode(x, crypter)?))).collect::<Result<_, StateError>>()?,
        ),
        Value::Secret(inner) => {
            let crypter = crypter.ok_or(StateError::SecretsNeedPassphrase)?;
            let plaintext = inner.to_plain_json().to_string();
            let mut m = Map::new();
            m.insert(SIG_KEY.into(), Json::String(SECRET_SIG.into()));
            m.insert("ciphertext".into(), Json::String(crypter.encrypt(&plaintext)));
            Json::Object(m)
        }
        Value::Unknown | Value::Output(_) | Value::Concat(_) | Value::JsonString(_) => {
            Json::String(UNKNOWN_SENTINEL.into())
        }
    })
}

/// Decodes one value.
pub fn decode(j: &Json, crypter: Option<&Crypter>) -> Result<Value, StateError> {
    Ok(match j {
        Json::Object(o) if o.get(SIG_KEY).and_then(Json::as_str) == Some(SECRET_SIG) => {
            if let Some(ct) = o.get("ciphertext").and_then(Json::as_str) {
                let crypter = crypter.ok_or(StateError::SecretsNeedPassphrase)?;
                let plaintext = crypter.decrypt(ct)?;
                let inner: Json = serde_json::from_str(&plaintext)
                    .map_err(|_| StateError::Invalid("a decrypted secret is not JSON".into()))?;
                Value::secret(decode(&inner, Some(crypter))?)
            } else if let Some(plain) = o.get("plaintext").and_then(Json::as_str) {
                // The form `pulumi stack export --show-secrets` writes.
                let inner: Json = serde_json::from_str(plain)
                    .map_err(|_| StateError::Invalid("a plaintext secret is not JSON".into()))?;
                Value::secret(decode(&inner, crypter)?)
            } else {
                return Err(StateError::Invalid("a secret has neither ciphertext nor plaintext".into()));
            }
        }
        Json::Object(o) => Value::Object(
            o.iter().map(|(k, x)| Ok((k.clone(), decode(x, crypter)?))).collect::<Result<_, StateError>>()?,
        ),
        Json::Array(a) => Value::Array(a.iter().map(|x| decode(x, crypter)).collect::<Result<_, _>>()?),
        other => Value::from_plain_json(other),
    })
}

/// Rewrites every encrypted secret in `j` as Pulumi's plaintext form
/// (`{"4dabf…": "1b47…", "plaintext": "<json>"}`), as `stack export
/// --show-secrets` prints it.
pub fn reveal_secrets(j: &mut Json, crypter: &Crypter) -> Result<(), StateError> {
    match j {
        Json::Object(o) if o.get(SIG_KEY).and_then(Json::as_str) == Some(SECRET_SIG) => {
            if let Some(ct) = o.get("ciphertext").and_then(Json::as_str) {
                let plaintext = crypter.decrypt(ct)?;
                o.remove("ciphertext");
                o.insert("plaintext".into(), Json::String(plaintext));
            }
        }
        Json::Object(o) => o.values_mut().try_for_each(|v| reveal_secrets(v, crypter))?,
        Json::Array(a) => a.iter_mut().try_for_each(|v| reveal_secrets(v, crypter))?,
        _ => {}
    }
    Ok(())
}

/// Whether `j` holds an encrypted secret anywhere.
pub fn has_ciphertext(j: &Json) -> bool {
    match j {
        Json::Object(o) if o.get(SIG_KEY).and_then(Json::as_str) == Some(SECRET_SIG) => o.contains_key("ciphertext"),
        Json::Object(o) => o.values().any(has_ciphertext),
        Json::Array(a) => a.iter().any(has_ciphertext),
        _ => false,
    }
}
