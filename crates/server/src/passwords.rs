//! Password accounts under attack: guessing, enumeration, and hashing as a
//! way to exhaust the server.
//!
//! * **Guessing.** [`LoginThrottle`] counts an attempt as failed *when it
//!   starts* and forgives it only when the password proves right, so
//!   parallel guesses cannot slip past the limit while earlier ones are
//!   still being checked: of 24 guesses at once, exactly `max_failures`
//!   are checked.
//! * **Enumeration.** A sign-in for an unknown account verifies against a
//!   dummy hash, so it costs the same time as a wrong password.
//! * **Exhaustion.** Argon2id takes ~19 MiB and tens of milliseconds per
//!   hash. At most `password_hashes_at_once` run at a time; up to
//!   `password_hash_queue` more wait for a slot, and beyond that a request
//!   is refused at once (70169) instead of queueing without bound.
//!   [`SignupLimiter`] caps how many accounts one address creates.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use natter_proto::codes;
use tokio::sync::Semaphore;

use crate::config::Limits;
use crate::error::{Result, ServerError};

/// Wrong passwords allowed per account within [`LOGIN_FAILURE_WINDOW`].
pub const MAX_LOGIN_FAILURES: u32 = 5;
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Entries a per-key limiter keeps before it sweeps out expired ones.
const SWEEP_AT: usize = 10_000;

/// Hashing, verification and the limits around them; one per server.
pub struct Passwords {
    hashing: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue_limit: usize,
    pub throttle: LoginThrottle,
    pub signups: SignupLimiter,
    /// Verified against when the account has no password, to take the time a real check takes.
    dummy_hash: OnceLock<String>,
}

/// Holds a place among the requests that wait for (or use) a hashing slot.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    pub fn new(limits: &Limits) -> Self {
        Passwords {
            hashing: Arc::new(Semaphore::new(limits.password_hashes_at_once.max(1))),
            waiting: AtomicUsize::new(0),
            queue_limit: limits.password_hashes_at_once.max(1) + limits.password_hash_queue,
            throttle: LoginThrottle::new(MAX_LOGIN_FAILURES, LOGIN_FAILURE_WINDOW),
            signups: SignupLimiter::new(
                limits.registrations_per_address_per_hour,
                Duration::from_secs(3600),
            ),
            dummy_hash: OnceLock::new(),
        }
    }

    /// Runs CPU-heavy `work` on the blocking pool once a hashing slot is free.
    ///
    /// The slot goes with the work, not with this future: a client that
    /// hangs up mid-hash drops the future, but the hash runs on, and must
    /// keep its slot until it is done or hangups would unbound the work.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue_limit {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ServerError::Busy);
        }
        let _place = QueuePlace(&self.waiting);
        let slot = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServerError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| {
            ServerError::bad_request(codes::INTERNAL_ERROR, format!("hashing failed: {e}"))
        })
    }

    /// An Argon2id hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || hash_password(&password)).await?
    }

    /// Checks `password` for `user` against `stored` (None: no such password
    /// account), counting it against the account's lock-out. Fails with
    /// 70003 when wrong and 70050 while locked out.
    pub async fn verify(&self, user: &str, password: String, stored: Option<String>) -> Result<()> {
        self.throttle.begin(user)?;
        let has_password = stored.is_some();
        let checked = async {
            let hash = match stored {
                Some(hash) => hash,
                None => self.dummy_hash().await?,
            };
            self.run(move || verify_password(&password, &hash)).await
        };
        let ok = match checked.await {
            Ok(ok) => ok,
            Err(e) => {
                // Refused for load, not for the password: this attempt does
                // not count (but the account's earlier failures still do).
                self.throttle.withdraw(user);
                return Err(e);
            }
        };
        // An account without a password never signs in this way (nobody
        // knows the dummy's password, but its check must not decide).
        if ok && has_password {
            self.throttle.forgive(user);
            Ok(())
        } else {
            Err(ServerError::BadPassword)
        }
    }

    /// Makes the dummy hash ahead of the first sign-in that needs it, so
    /// that sign-in takes no longer than any other.
    pub async fn prepare(&self) -> Result<()> {
        self.dummy_hash().await.map(drop)
    }

    async fn dummy_hash(&self) -> Result<String> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let secret: [u8; 16] = rand::random();
        let made = self
            .run(move || hash_password(&format!("{secret:?}")))
            .await??;
        Ok(self.dummy_hash.get_or_init(|| made).clone())
    }
}

/// Locks an account out after `max_failures` wrong passwords within `window`
/// (counted from the first), until the window has passed.
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, (u32, Instant)>>,
    max_failures: u32,
    window: Duration,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginThrottle {
            attempts: Mutex::default(),
            max_failures,
            window,
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts an attempt for `user`, counted as a failure until [`forgive`]
    /// says otherwise; fails with 70050 while `user` is locked out.
    ///
    /// [`forgive`]: LoginThrottle::forgive
    pub fn begin(&self, user: &str) -> Result<()> {
        let mut map = self.map();
        if map.len() >= SWEEP_AT {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map.entry(user.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        if entry.0 >= self.max_failures {
            return Err(ServerError::TooManyAttempts);
        }
        entry.0 += 1;
        Ok(())
    }

    /// The password proved right: the account's failures are cleared.
    pub fn forgive(&self, user: &str) {
        self.map().remove(user);
    }

    /// An attempt that was never checked (refused for load) stops counting.
    pub fn withdraw(&self, user: &str) {
        if let Some(entry) = self.map().get_mut(user) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

/// Allows each source address `per_window` new accounts per `window`
/// (counted from its first), refusing more with 60007.
pub struct SignupLimiter {
    created: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    per_window: u32,
    window: Duration,
}

impl SignupLimiter {
    pub fn new(per_window: u32, window: Duration) -> Self {
        SignupLimiter {
            created: Mutex::default(),
            per_window,
            window,
        }
    }

    /// Takes one sign-up from `address`' allowance.
    pub fn take(&self, address: IpAddr) -> Result<()> {
        let mut map = self.created.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map.entry(address).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        if entry.0 >= self.per_window {
            return Err(ServerError::TooManySignups);
        }
        entry.0 += 1;
        Ok(())
    }
}

/// Hashes a password with Argon2id (CPU-heavy: call off the async runtime).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServerError::bad_request(codes::ACCOUNT_INVALID_PARAMETER, e.to_string()))
}

/// Checks a password against a stored hash (CPU-heavy: call off the async runtime).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_attempts_in_flight() {
        let t = LoginThrottle::new(3, Duration::from_millis(200));
        // Three attempts start before any finishes: the fourth is refused.
        for _ in 0..3 {
            assert!(t.begin("eve").is_ok());
        }
        assert_eq!(t.begin("eve").unwrap_err().code(), 70050);
        assert!(t.begin("bob").is_ok(), "other accounts are not affected");
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.begin("eve").is_ok(), "the lock-out ends with its window");
        t.forgive("bob");
        assert!(t.map().get("bob").is_none());
        // An attempt refused for load gives back only its own count.
        assert!(t.begin("eve").is_ok() && t.begin("eve").is_ok());
        t.withdraw("eve");
        assert!(t.begin("eve").is_ok());
        assert_eq!(t.begin("eve").unwrap_err().code(), 70050);
    }

    #[test]
    fn signups_per_address() {
        let s = SignupLimiter::new(2, Duration::from_millis(200));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(s.take(a).is_ok() && s.take(a).is_ok());
        assert_eq!(s.take(a).unwrap_err().code(), codes::REST_FREQUENCY_LIMIT);
        assert!(s.take(b).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(s.take(a).is_ok());
    }

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[tokio::test]
    async fn a_hash_keeps_its_slot_when_its_caller_hangs_up() {
        let limits = Limits {
            password_hashes_at_once: 1,
            ..Limits::default()
        };
        let p = std::sync::Arc::new(Passwords::new(&limits));
        let caller = tokio::spawn({
            let p = p.clone();
            async move { p.hash("a password".into()).await }
        });
        while p.hashing.available_permits() == 1 {
            tokio::task::yield_now().await;
        }
        // The caller goes away while its hash runs (~20 ms of Argon2).
        caller.abort();
        let _ = caller.await;
        assert_eq!(
            p.hashing.available_permits(),
            0,
            "the running hash still holds the slot"
        );
        let freed = async {
            while p.hashing.available_permits() == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), freed)
            .await
            .expect("the slot comes back when the hash is done");
    }

    #[tokio::test]
    async fn hashing_beyond_the_queue_is_refused() {
        let limits = Limits {
            password_hashes_at_once: 1,
            password_hash_queue: 1,
            ..Limits::default()
        };
        let p = std::sync::Arc::new(Passwords::new(&limits));
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let p = p.clone();
                tokio::spawn(async move { p.hash(format!("password {i}")).await })
            })
            .collect();
        let mut busy = 0;
        for c in calls {
            match c.await.unwrap() {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.code(), codes::SERVER_BUSY);
                    busy += 1;
                }
            }
        }
        assert!(
            busy >= 4,
            "one hashing and one waiting, the rest refused: {busy}"
        );
        assert!(p.hash("after the rush".into()).await.is_ok());
    }
}
