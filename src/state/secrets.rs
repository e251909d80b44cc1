//! Pulumi-compatible `passphrase` secrets manager.
//!
//! tapctl stores secret configuration values and secret outputs exactly the way Pulumi's
//! `passphrase` secrets provider does, so that a stack file or state written by tapctl can be
//! opened by `pulumi` with the same passphrase and vice versa. Inventing our own format would
//! strand users on one tool; matching Pulumi byte for byte costs nothing extra.
//!
//! # Format
//!
//! * **Key.** `PBKDF2-HMAC-SHA256(passphrase, salt, 1_000_000 rounds, 32 bytes)`. The
//!   passphrase is used as its UTF-8 bytes. The round count is Pulumi's and is deliberately
//!   slow (around a second in an optimised build), which is why a [`Crypter`] should be built
//!   once per stack and then cloned, never re-derived per value.
//! * **Secret values** (`secure:` config entries, `ciphertext` fields in state):
//!   `v1:<base64 nonce>:<base64 ciphertext>`, AES-256-GCM with a fresh random 12-byte nonce,
//!   no associated data; the ciphertext includes the 16-byte GCM tag. Base64 is the standard
//!   alphabet with padding.
//! * **`encryptionsalt`** (stored in `Pulumi.<stack>.yaml`):
//!   `v1:<base64 salt>:<secret value>`, i.e. `v1:<salt>:v1:<nonce>:<ciphertext>`, where the
//!   salt is 8 random bytes and the embedded secret value is the encryption of the fixed check
//!   string `pulumi` under the derived key. Opening a stack derives the key and decrypts the
//!   check value; if that fails, or yields anything but `pulumi`, the passphrase is wrong.
//!
//! # Passphrase source
//!
//! [`passphrase_from_env`] reads `TAPCTL_CONFIG_PASSPHRASE`, falling back to Pulumi's
//! `PULUMI_CONFIG_PASSPHRASE`. As in Pulumi, a variable that is set to the empty string
//! supplies a valid, empty passphrase.
//!
//! # Key hygiene
//!
//! Error messages never contain plaintexts, keys or passphrases, and `Debug` for [`Crypter`]
//! prints only `Crypter { .. }`. The raw derived key is overwritten (best effort) once the
//! cipher has been initialised; the cipher's internal AES key schedule itself is not wiped on
//! drop, because the `zeroize` feature of `aes-gcm` is not enabled.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;

/// The only format version Pulumi has defined, for both salts and secret values.
const VERSION: &str = "v1";
/// PBKDF2 round count used by Pulumi's passphrase provider.
const PBKDF2_ROUNDS: u32 = 1_000_000;
/// AES-256 key length in bytes.
const KEY_LEN: usize = 32;
/// Length of the random salt Pulumi generates for a new stack.
const SALT_LEN: usize = 8;
/// AES-GCM nonce length in bytes.
const NONCE_LEN: usize = 12;
/// AES-GCM authentication tag length in bytes.
const TAG_LEN: usize = 16;
/// Plaintext encrypted into the `encryptionsalt` to check a passphrase.
const CHECK_PLAINTEXT: &str = "pulumi";
/// tapctl's own passphrase variable, read first.
const ENV_TAPCTL: &str = "TAPCTL_CONFIG_PASSPHRASE";
/// Pulumi's passphrase variable, read when tapctl's is unset.
const ENV_PULUMI: &str = "PULUMI_CONFIG_PASSPHRASE";

/// Encrypts and decrypts secret values for one stack.
///
/// Built with [`Crypter::create`] (new stack) or [`Crypter::open`] (existing stack); both run
/// the expensive key derivation once. Cloning is cheap and does not re-derive the key.
#[derive(Clone)]
pub struct Crypter {
    cipher: Aes256Gcm,
}

/// Errors from creating, opening or using a [`Crypter`].
///
/// No variant ever carries plaintext, key material or the passphrase.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Neither `TAPCTL_CONFIG_PASSPHRASE` nor `PULUMI_CONFIG_PASSPHRASE` is set.
    #[error(
        "no passphrase available for the stack's secrets: set TAPCTL_CONFIG_PASSPHRASE or \
         PULUMI_CONFIG_PASSPHRASE to the stack's passphrase \
         (e.g. `export PULUMI_CONFIG_PASSPHRASE='...'`; an empty value is allowed)"
    )]
    MissingPassphrase,
    /// The passphrase does not open this stack's `encryptionsalt`.
    #[error(
        "incorrect passphrase: it does not unlock this stack's encryptionsalt; the passphrase is \
         read from TAPCTL_CONFIG_PASSPHRASE, or from PULUMI_CONFIG_PASSPHRASE when that is unset"
    )]
    WrongPassphrase,
    /// The `encryptionsalt` string is not of the form `v1:<salt>:v1:<nonce>:<ciphertext>`.
    #[error(
        "malformed encryptionsalt: {0}; expected v1:<salt>:v1:<nonce>:<ciphertext> \
         with standard base64 fields"
    )]
    MalformedSalt(String),
    /// A secret value is malformed or cannot be decrypted with this stack's key.
    #[error("malformed or undecryptable secret value: {0}")]
    MalformedCiphertext(String),
}

impl Crypter {
    /// Sets up secrets for a new stack: generates a random 8-byte salt, derives the key from
    /// `passphrase`, and returns the crypter together with the `encryptionsalt` string to store
    /// in the stack file (`v1:<salt>:v1:<nonce>:<ciphertext>`).
    ///
    /// Never fails today; the `Result` leaves room for passphrase policy checks.
    pub fn create(passphrase: &str) -> Result<(Crypter, String), SecretsError> {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let crypter = Crypter::from_passphrase(passphrase, &salt);
        let check = crypter.encrypt(CHECK_PLAINTEXT);
        let encryption_salt = format!("{VERSION}:{}:{check}", BASE64.encode(salt));
        Ok((crypter, encryption_salt))
    }

    /// Opens an existing stack's secrets with `passphrase` and the stack's `encryptionsalt`.
    ///
    /// The salt string is checked for well-formedness before the (slow) key derivation, so a
    /// malformed string fails fast with [`SecretsError::MalformedSalt`]. A passphrase that
    /// does not decrypt the embedded check value to `pulumi` yields
    /// [`SecretsError::WrongPassphrase`].
    pub fn open(passphrase: &str, encryption_salt: &str) -> Result<Crypter, SecretsError> {
        let mut parts = encryption_salt.splitn(3, ':');
        let (Some(version), Some(salt_b64), Some(check)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretsError::MalformedSalt("expected at least three ':'-separated fields".to_owned()));
        };
        if version != VERSION {
            return Err(SecretsError::MalformedSalt("unsupported version tag (only v1 is supported)".to_owned()));
        }
        let salt =
            BASE64.decode(salt_b64).map_err(|_| SecretsError::MalformedSalt("salt is not valid base64".to_owned()))?;
        let check = Sealed::parse(check).map_err(|why| SecretsError::MalformedSalt(format!("check value: {why}")))?;

        let crypter = Crypter::from_passphrase(passphrase, &salt);
        match crypter.open_sealed(&check) {
            Ok(plaintext) if plaintext == CHECK_PLAINTEXT.as_bytes() => Ok(crypter),
            _ => Err(SecretsError::WrongPassphrase),
        }
    }

    /// Encrypts `plaintext` into a secret value `v1:<base64 nonce>:<base64 ciphertext>` with a
    /// fresh random nonce, so encrypting the same plaintext twice gives different results.
    ///
    /// # Panics
    ///
    /// Panics if the operating system's random number generator fails, or if `plaintext` is
    /// beyond AES-GCM's limit of about 64 GiB.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-256-GCM encryption failed: plaintext exceeds the AES-GCM size limit");
        format!("{VERSION}:{}:{}", BASE64.encode(nonce), BASE64.encode(ciphertext))
    }

    /// Decrypts a secret value of the form `v1:<base64 nonce>:<base64 ciphertext>`.
    ///
    /// Returns [`SecretsError::MalformedCiphertext`] if the value is malformed, was encrypted
    /// under a different key, has been tampered with, or does not decrypt to UTF-8 text.
    pub fn decrypt(&self, ciphertext: &str) -> Result<String, SecretsError> {
        let sealed = Sealed::parse(ciphertext).map_err(|why| {
            SecretsError::MalformedCiphertext(format!(
                "{why}; expected v1:<nonce>:<ciphertext> with standard base64 fields"
            ))
        })?;
        let plaintext = self.open_sealed(&sealed).map_err(|()| {
            SecretsError::MalformedCiphertext(
                "authentication failed (encrypted with a different passphrase, or corrupted)".to_owned(),
            )
        })?;
        String::from_utf8(plaintext)
            .map_err(|_| SecretsError::MalformedCiphertext("decrypted value is not valid UTF-8".to_owned()))
    }

    /// Derives the key for `passphrase` and `salt` and builds a crypter from it.
    fn from_passphrase(passphrase: &str, salt: &[u8]) -> Crypter {
        let mut key = derive_key(passphrase, salt);
        let crypter = Crypter::from_key(&key);
        // Best-effort wipe of the raw key; `black_box` keeps the store from being elided.
        key.fill(0);
        std::hint::black_box(&key);
        crypter
    }

    /// Builds a crypter directly from a 32-byte AES key.
    fn from_key(key: &[u8; KEY_LEN]) -> Crypter {
        Crypter { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) }
    }

    /// Authenticates and decrypts a parsed secret value, returning the raw plaintext bytes.
    fn open_sealed(&self, sealed: &Sealed) -> Result<Vec<u8>, ()> {
        self.cipher.decrypt(Nonce::from_slice(&sealed.nonce), sealed.ciphertext.as_slice()).map_err(|_| ())
    }
}

impl std::fmt::Debug for Crypter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crypter").finish_non_exhaustive()
    }
}

/// Returns the passphrase from `TAPCTL_CONFIG_PASSPHRASE`, or else from
/// `PULUMI_CONFIG_PASSPHRASE`, or `None` if neither is set.
///
/// A variable set to the empty string counts as set and yields an empty passphrase, matching
/// Pulumi. A variable whose value is not valid UTF-8 is treated as unset. Callers map `None`
/// to [`SecretsError::MissingPassphrase`].
pub fn passphrase_from_env() -> Option<String> {
    passphrase_from_lookup(|name| std::env::var(name).ok())
}

/// The lookup order of [`passphrase_from_env`], with the environment abstracted for tests.
fn passphrase_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    [ENV_TAPCTL, ENV_PULUMI].into_iter().find_map(lookup)
}

/// PBKDF2-HMAC-SHA256 with Pulumi's parameters.
fn derive_key(passphrase: &str, salt: &[u8]) -> [u8; KEY_LEN] {
    tapctl_kdf::pbkdf2_hmac_sha256(passphrase.as_bytes(), salt, PBKDF2_ROUNDS)
}

/// A parsed `v1:<nonce>:<ciphertext>` secret value.
struct Sealed {
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// Parses a secret value; the error is a short reason that never echoes the input.
    fn parse(value: &str) -> Result<Sealed, String> {
        let fields: Vec<&str> = value.split(':').collect();
        let [version, nonce_b64, ciphertext_b64] = fields.as_slice() else {
            return Err(format!("expected 3 ':'-separated fields, found {}", fields.len()));
        };
        if *version != VERSION {
            return Err("unsupported version tag (only v1 is supported)".to_owned());
        }
        let nonce = BASE64.decode(nonce_b64).map_err(|_| "nonce is not valid base64".to_owned())?;
        let nonce: [u8; NONCE_LEN] =
            nonce.try_into().map_err(|n: Vec<u8>| format!("nonce is {} bytes, expected {NONCE_LEN}", n.len()))?;
        let ciphertext = BASE64.decode(ciphertext_b64).map_err(|_| "ciphertext is not valid base64".to_owned())?;
        if ciphertext.len() < TAG_LEN {
            return Err(format!(
                "ciphertext is {} bytes, shorter than the {TAG_LEN}-byte authentication tag",
                ciphertext.len()
            ));
        }
        Ok(Sealed { nonce, ciphertext })
    }
}

#[cfg(test)]
mod tests {
    //! Key derivations are slow (1,000,000 PBKDF2 rounds), so these tests run exactly six:
    //! the shared fixture, one reopen, Pulumi's fixture with the right and the wrong
    //! passphrase, and two for the known-answer vector. Everything else uses the shared
    //! fixture or `Crypter::from_key`.

    use super::*;
    use std::sync::OnceLock;

    const PASSPHRASE: &str = "tapctl unit-test passphrase";

    /// A stack created once and shared by the tests (one key derivation).
    fn fixture() -> &'static (Crypter, String) {
        static FIXTURE: OnceLock<(Crypter, String)> = OnceLock::new();
        FIXTURE.get_or_init(|| Crypter::create(PASSPHRASE).expect("create"))
    }

    /// Taken from Pulumi's own tests (pkg/secrets/passphrase/manager_test.go): an
    /// `encryptionsalt` produced by Pulumi for the passphrase "password".
    const PULUMI_SALT: &str = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";

    /// Known-answer vector computed independently with Python 3: the key with
    /// `hashlib.pbkdf2_hmac("sha256", PASS, salt, 1_000_000, 32)`, the check value and
    /// secret with `cryptography`'s `AESGCM` using fixed nonces.
    const KAT_PASSPHRASE: &str = "tapctl kat: correct horse 🐎";
    const KAT_SALT: [u8; 8] = [0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18];
    const KAT_KEY_HEX: &str = "0c798b2a1240c274320b0fd564290ae96a585a27219f37e62240bae6b0361732";
    const KAT_ENCRYPTION_SALT: &str = "v1:obLD1OX2Bxg=:v1:AAECAwQFBgcICQoL:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==";
    const KAT_SECRET: &str = "v1:8ODQwLCgkIBwYFBA:TBGhtDLJipI3dnLFl0dhpVYCSSxxezrKtckaCPaqUlQ=";
    const KAT_SECRET_PLAINTEXT: &str = "s3cr3t value ✓";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn round_trip() {
        let (crypter, _) = fixture();
        for plaintext in ["", "hunter2", "with:colons:inside", "ünïcødé 🔐", &"x".repeat(10_000)] {
            let ciphertext = crypter.encrypt(plaintext);
            assert_eq!(crypter.decrypt(&ciphertext).unwrap(), plaintext);
        }
    }

    #[test]
    fn secret_value_format() {
        let (crypter, _) = fixture();
        let ciphertext = crypter.encrypt("hello");
        let fields: Vec<&str> = ciphertext.split(':').collect();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0], "v1");
        assert_eq!(BASE64.decode(fields[1]).unwrap().len(), NONCE_LEN);
        assert_eq!(BASE64.decode(fields[2]).unwrap().len(), "hello".len() + TAG_LEN);
    }

    #[test]
    fn encryption_salt_format() {
        let (crypter, salt) = fixture();
        let fields: Vec<&str> = salt.split(':').collect();
        assert_eq!(fields.len(), 5, "{salt}");
        assert_eq!(fields[0], "v1");
        assert_eq!(BASE64.decode(fields[1]).unwrap().len(), SALT_LEN);
        assert_eq!(fields[2], "v1");
        assert_eq!(BASE64.decode(fields[3]).unwrap().len(), NONCE_LEN);
        assert_eq!(BASE64.decode(fields[4]).unwrap().len(), CHECK_PLAINTEXT.len() + TAG_LEN);
        let check = salt.splitn(3, ':').nth(2).unwrap();
        assert_eq!(crypter.decrypt(check).unwrap(), CHECK_PLAINTEXT);
    }

    #[test]
    fn reopen_with_same_passphrase_decrypts() {
        let (crypter, salt) = fixture();
        let ciphertext = crypter.encrypt("persisted secret");
        let reopened = Crypter::open(PASSPHRASE, salt).unwrap();
        assert_eq!(reopened.decrypt(&ciphertext).unwrap(), "persisted secret");
        assert_eq!(crypter.decrypt(&reopened.encrypt("other way")).unwrap(), "other way");
    }

    #[test]
    fn opens_pulumi_generated_salt() {
        let crypter = Crypter::open("password", PULUMI_SALT).unwrap();
        let check = PULUMI_SALT.splitn(3, ':').nth(2).unwrap();
        assert_eq!(crypter.decrypt(check).unwrap(), "pulumi");
    }

    #[test]
    fn wrong_passphrase() {
        let err = Crypter::open("password123", PULUMI_SALT).unwrap_err();
        assert!(matches!(err, SecretsError::WrongPassphrase), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("incorrect passphrase"), "{message}");
        assert!(message.contains(ENV_TAPCTL), "{message}");
        assert!(message.contains(ENV_PULUMI), "{message}");
    }

    #[test]
    fn known_answer_key() {
        assert_eq!(hex(&derive_key(KAT_PASSPHRASE, &KAT_SALT)), KAT_KEY_HEX);
    }

    #[test]
    fn known_answer_open_and_decrypt() {
        let crypter = Crypter::open(KAT_PASSPHRASE, KAT_ENCRYPTION_SALT).unwrap();
        assert_eq!(crypter.decrypt(KAT_SECRET).unwrap(), KAT_SECRET_PLAINTEXT);
    }

    #[test]
    fn malformed_salt() {
        let bad = [
            "",
            "v1",
            "v1:obLD1OX2Bxg=",
            "v2:obLD1OX2Bxg=:v1:AAECAwQFBgcICQoL:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==",
            "v1:not base64!:v1:AAECAwQFBgcICQoL:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==",
            "v1:obLD1OX2Bxg=:v2:AAECAwQFBgcICQoL:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==",
            "v1:obLD1OX2Bxg=:v1:AAECAwQF:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==",
            "v1:obLD1OX2Bxg=:v1:AAECAwQFBgcICQoL",
            "v1:obLD1OX2Bxg=:v1:AAECAwQFBgcICQoL:39P7u637WxKxNvxVaEsKEo/Ku/tMLQ==:extra",
            "v1:obLD1OX2Bxg=:v1:AAECAwQFBgcICQoL:AAAA",
            // Pulumi's own "brokenState" test fixture.
            "fozI5u6B030=:v1:F+6ZduL:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
        ];
        for salt in bad {
            let err = Crypter::open(KAT_PASSPHRASE, salt).unwrap_err();
            assert!(matches!(err, SecretsError::MalformedSalt(_)), "{salt:?}: {err:?}");
            assert!(err.to_string().contains("v1:<salt>:v1:<nonce>:<ciphertext>"), "{err}");
        }
    }

    #[test]
    fn malformed_ciphertext() {
        let (crypter, _) = fixture();
        let good = crypter.encrypt("top secret plaintext");
        let (nonce, body) = {
            let mut fields = good.split(':').skip(1);
            (fields.next().unwrap(), fields.next().unwrap())
        };
        let mut tampered_bytes = BASE64.decode(body).unwrap();
        tampered_bytes[0] ^= 1;
        let tampered = format!("v1:{nonce}:{}", BASE64.encode(tampered_bytes));
        let other_key = Crypter::from_key(&[7u8; KEY_LEN]).encrypt("top secret plaintext");

        let bad = [
            String::new(),
            "v1".to_owned(),
            format!("v2:{nonce}:{body}"),
            format!("v1:{nonce}"),
            format!("v1:{nonce}:{body}:extra"),
            format!("v1:!!!:{body}"),
            format!("v1:AAECAwQF:{body}"),
            format!("v1:{nonce}:not base64!"),
            format!("v1:{nonce}:AAAA"),
            tampered,
            other_key,
        ];
        for ciphertext in &bad {
            let err = crypter.decrypt(ciphertext).unwrap_err();
            assert!(matches!(err, SecretsError::MalformedCiphertext(_)), "{ciphertext:?}: {err:?}");
            assert!(!err.to_string().contains("top secret"), "{err}");
            assert!(!format!("{err:?}").contains("top secret"), "{err:?}");
        }
    }

    #[test]
    fn non_utf8_plaintext_is_rejected() {
        let crypter = Crypter::from_key(&[9u8; KEY_LEN]);
        let nonce = [1u8; NONCE_LEN];
        let ciphertext = crypter.cipher.encrypt(Nonce::from_slice(&nonce), &[0xff, 0xfe][..]).unwrap();
        let value = format!("v1:{}:{}", BASE64.encode(nonce), BASE64.encode(ciphertext));
        assert!(matches!(crypter.decrypt(&value), Err(SecretsError::MalformedCiphertext(_))));
    }

    #[test]
    fn same_plaintext_encrypts_differently() {
        let (crypter, _) = fixture();
        let a = crypter.encrypt("same");
        let b = crypter.encrypt("same");
        assert_ne!(a, b);
        assert_eq!(crypter.decrypt(&a).unwrap(), "same");
        assert_eq!(crypter.decrypt(&b).unwrap(), "same");
    }

    #[test]
    fn debug_does_not_leak_key() {
        let crypter = Crypter::from_key(&[0x41; KEY_LEN]);
        assert_eq!(format!("{crypter:?}"), "Crypter { .. }");
        assert_eq!(format!("{crypter:#?}"), "Crypter { .. }");
        assert_eq!(format!("{:?}", fixture().0), "Crypter { .. }");
    }

    #[test]
    fn clone_shares_key() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Crypter>();
        let (crypter, _) = fixture();
        let copy = crypter.clone();
        assert_eq!(copy.decrypt(&crypter.encrypt("v")).unwrap(), "v");
    }

    #[test]
    fn missing_passphrase_message_names_both_variables() {
        let message = SecretsError::MissingPassphrase.to_string();
        assert!(message.contains(ENV_TAPCTL), "{message}");
        assert!(message.contains(ENV_PULUMI), "{message}");
        assert!(message.contains("set"), "{message}");
    }

    #[test]
    fn passphrase_lookup_order() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        assert_eq!(passphrase_from_lookup(env(&[])), None);
        assert_eq!(passphrase_from_lookup(env(&[(ENV_PULUMI, "p")])).as_deref(), Some("p"));
        assert_eq!(passphrase_from_lookup(env(&[(ENV_PULUMI, "p"), (ENV_TAPCTL, "t")])).as_deref(), Some("t"));
        // Set-but-empty is a valid, empty passphrase and still takes precedence.
        assert_eq!(passphrase_from_lookup(env(&[(ENV_TAPCTL, ""), (ENV_PULUMI, "p")])).as_deref(), Some(""));
        assert_eq!(passphrase_from_lookup(env(&[(ENV_PULUMI, "")])).as_deref(), Some(""));
    }
}
