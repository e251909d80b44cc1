//! PBKDF2-HMAC-SHA256, the key derivation of Pulumi's passphrase secrets
//! provider.
//!
//! Why a crate of its own: `pbkdf2_hmac::<Sha256>` is generic, so its code is
//! generated in the crate that names the digest. Named inside tapctl, a debug
//! build ran Pulumi's 1,000,000 rounds unoptimized — seconds of CPU on every
//! command of a stack with secrets. Named here, the workspace's
//! `[profile.dev.package.tapctl-kdf]` setting compiles it optimized in every
//! profile. Its known-answer test lives with its caller, tapctl's
//! `state::secrets` (checked against Python's `hashlib.pbkdf2_hmac`).

#![deny(missing_docs)]

/// Derives a 32-byte key from `passphrase` and `salt` with `rounds` rounds of
/// PBKDF2-HMAC-SHA256.
pub fn pbkdf2_hmac_sha256(passphrase: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(passphrase, salt, rounds)
}
