//! Accounts: argon2id password hashes and generated passwords. Hashing is deliberately
//! slow and takes about 19 MiB per hash, so at most [`MAX_CONCURRENT_HASHES`] run at once,
//! whoever asks (logins, account creation, the command line): a flood of anonymous logins
//! waits in line instead of exhausting the server's memory.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore as _;
use tokio::sync::Semaphore;

/// Hashes run at once, process-wide.
pub const MAX_CONCURRENT_HASHES: usize = 2;

static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hachage du mot de passe : {0}")]
pub struct PasswordError(String);

/// An argon2id PHC string. Blocks for the hash's duration: async code calls
/// [`hash_password_async`].
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// [`hash_password`] off the async threads, within the process-wide cap.
pub async fn hash_password_async(password: String) -> Result<String, PasswordError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| PasswordError(e.to_string()))?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| PasswordError(e.to_string()))?
}

/// [`verify_password`] off the async threads, within the process-wide cap.
pub async fn verify_password_async(password: String, phc: String) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false)
}

/// How many hashes are running now (for metrics and the cap's test).
pub fn hashes_running() -> usize {
    MAX_CONCURRENT_HASHES - HASHING.available_permits()
}

/// A password for a new account, shown once: 20 characters from an alphabet without
/// look-alikes (about 110 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_generated_passwords_are_valid() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 23);
        assert_ne!(a, b);
        assert!(qep_core::account::validate_password(&a).is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_cap_hash_at_once() {
        let mut tasks = Vec::new();
        for i in 0..6 {
            tasks.push(tokio::spawn(hash_password_async(format!(
                "mot-de-passe-{i}"
            ))));
        }
        let mut peak = 0;
        while tasks.iter().any(|t| !t.is_finished()) {
            peak = peak.max(hashes_running());
            assert!(hashes_running() <= MAX_CONCURRENT_HASHES);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        for t in tasks {
            assert!(t.await.expect("joined").is_ok());
        }
        assert!(peak >= 1, "hashing was observed");
    }
}
