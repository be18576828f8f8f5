//! Abuse limits: failed logins per account and address and per address, messages of the
//! public form per address. In memory (one QeP process serves one prefecture).
//!
//! Each limit is governor's GCRA over a keyed store: a key may spend `burst` events at once,
//! then one more every `period / burst`; the wait is the time until the next one, so a
//! person who mistyped waits minutes rather than the whole window, while an attacker never
//! gets more than `burst` tries per `period`. Taking an event is one atomic step (the key's
//! state changes under its shard's lock): fifty parallel attempts cannot all pass a check
//! made before any of them is counted.
//!
//! Memory stays bounded: every [`RETAIN_EVERY`] events, keys whose state has returned to a
//! full budget are dropped (`retain_recent`), so only keys active within the last `period`
//! are kept, each a few dozen bytes. Addresses are keys as they are for IPv4, and as their
//! /64 network for IPv6 (what one subscriber usually gets).

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::Response;
use dashmap::DashMap;
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

/// How many events between two clean-ups of a limiter's keys.
pub const RETAIN_EVERY: u32 = 256;

/// An address as a limit key: IPv6 by /64 network. `None`: the server does not know it
/// (in-process tests), all such requests share one key.
pub type AddressKey = Option<IpAddr>;

pub fn address_key(addr: Option<IpAddr>) -> AddressKey {
    addr.map(|a| match a.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    })
}

/// The keyed GCRA state, as governor's `DashMapStateStore` keeps it (each key's theoretical
/// arrival time, in nanoseconds since the limiter started; 0 for a fresh key), shared with
/// the [`Limiter`] so that it can also give an event back or forget a key, which governor's
/// own store cannot.
struct Cells<K: Hash + Eq>(Arc<DashMap<K, u64>>);

impl<K: Hash + Eq + Clone> StateStore for Cells<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        // The entry holds its shard's write lock: reading, deciding and writing are one step.
        let mut tat = self.0.entry(key.clone()).or_insert(0);
        let previous = (*tat > 0).then(|| Nanos::from(*tat));
        let (outcome, next) = f(previous)?;
        *tat = next.into();
        Ok(outcome)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Cells<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        let drop_below = u64::from(drop_below);
        self.0.retain(|_, tat| *tat > drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `burst` events per `period` for each key.
pub struct Limiter<K: Hash + Eq + Clone, C: Clock = MonotonicClock> {
    limiter: RateLimiter<K, Cells<K>, C, NoOpMiddleware<C::Instant>>,
    cells: Arc<DashMap<K, u64>>,
    interval: u64,
    events: AtomicU32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(burst: u32, period: Duration) -> Self {
        Self::with_clock(burst, period, MonotonicClock)
    }
}

impl<K: Hash + Eq + Clone, C: Clock> Limiter<K, C> {
    pub fn with_clock(burst: u32, period: Duration, clock: C) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let interval = (period / burst.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        let cells = Arc::new(DashMap::new());
        Limiter {
            limiter: RateLimiter::new(quota, Cells(cells.clone()), clock),
            cells,
            interval: u64::from(Nanos::from(quota.replenish_interval())),
            events: AtomicU32::new(0),
        }
    }

    /// Spends one event of `key`, or says how long to wait for the next.
    pub fn take(&self, key: &K) -> Result<(), Duration> {
        if self.events.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            not_until
                .wait_time_from(self.limiter.clock().now())
                .max(Duration::from_secs(1))
        })
    }

    /// Gives back an event spent by [`take`](Self::take) that turned out not to count.
    pub fn give_back(&self, key: &K) {
        if let Some(mut tat) = self.cells.get_mut(key) {
            *tat = tat.saturating_sub(self.interval);
        }
    }

    /// Forgets `key`: it starts again with its whole budget.
    pub fn forget(&self, key: &K) {
        self.cells.remove(key);
    }

    /// Keys currently kept.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}

/// Tells a refused client when to come back (`Retry-After`, in whole seconds).
pub fn set_retry_after(res: &mut Response, wait: Duration) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
}

/// A login attempt's account, as a fixed-size key: what an attacker types is not kept.
pub type AccountKey = [u8; 16];

pub fn account_key(email: &str) -> AccountKey {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// How many more failures one address may have across accounts than per account.
pub const ADDRESS_FAILURES_FACTOR: u32 = 4;

/// Failed logins: `max_failures` per (account, address) within the window, and
/// [`ADDRESS_FAILURES_FACTOR`] times as many per address across accounts. An attacker
/// therefore cannot lock a user out: the user's own address has its own budget.
pub struct LoginLimits<C: Clock = MonotonicClock> {
    pair: Limiter<(AccountKey, AddressKey), C>,
    address: Limiter<AddressKey, C>,
}

/// A login attempt admitted by [`LoginLimits::begin`]: it counts as a failure unless
/// [`LoginLimits::succeeded`] says otherwise.
pub struct Attempt {
    pair: (AccountKey, AddressKey),
    address: AddressKey,
}

impl LoginLimits {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self::with_clock(max_failures, window, MonotonicClock)
    }
}

impl<C: Clock + Clone> LoginLimits<C> {
    pub fn with_clock(max_failures: u32, window: Duration, clock: C) -> Self {
        let max_failures = max_failures.max(1);
        LoginLimits {
            pair: Limiter::with_clock(max_failures, window, clock.clone()),
            address: Limiter::with_clock(
                max_failures.saturating_mul(ADDRESS_FAILURES_FACTOR),
                window,
                clock,
            ),
        }
    }

    /// Counts an attempt as a failure before the password is checked, so that parallel
    /// attempts cannot overtake the count; `Err` is how long to wait.
    pub fn begin(&self, email: &str, addr: Option<IpAddr>) -> Result<Attempt, Duration> {
        let address = address_key(addr);
        let pair = (account_key(email), address);
        self.pair.take(&pair)?;
        if let Err(wait) = self.address.take(&address) {
            self.pair.give_back(&pair);
            return Err(wait);
        }
        Ok(Attempt { pair, address })
    }

    /// The password was right: the attempt was not a failure, and this account's failures
    /// from this address are forgotten. The address keeps its other failures (a valid
    /// account of one's own must not reset the count of guesses at others).
    pub fn succeeded(&self, attempt: Attempt) {
        self.pair.forget(&attempt.pair);
        self.address.give_back(&attempt.address);
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn a_limiter_spends_its_burst_then_refills_progressively() {
        let clock = FakeRelativeClock::default();
        let l = Limiter::with_clock(3, Duration::from_secs(60), clock.clone());
        for i in 0..3 {
            assert_eq!(l.take(&"a"), Ok(()), "event {i}");
        }
        assert_eq!(l.take(&"a"), Err(Duration::from_secs(20)));
        assert_eq!(l.take(&"b"), Ok(()));
        clock.advance(Duration::from_secs(15));
        assert_eq!(l.take(&"a"), Err(Duration::from_secs(5)));
        clock.advance(Duration::from_secs(5));
        assert_eq!(l.take(&"a"), Ok(()), "one more after a third of the period");
        assert!(l.take(&"a").is_err());
        l.give_back(&"a");
        assert_eq!(l.take(&"a"), Ok(()), "given back");
        l.forget(&"a");
        for _ in 0..3 {
            assert_eq!(l.take(&"a"), Ok(()));
        }
    }

    #[test]
    fn a_limiter_drops_keys_that_are_back_to_a_full_budget() {
        let clock = FakeRelativeClock::default();
        let l = Limiter::with_clock(2, Duration::from_secs(60), clock.clone());
        for n in 0..RETAIN_EVERY - 1 {
            assert_eq!(l.take(&n), Ok(()));
        }
        assert_eq!(l.len(), RETAIN_EVERY as usize - 1);
        clock.advance(Duration::from_secs(61));
        // The next event cleans up first: only its own key remains.
        assert_eq!(l.take(&u32::MAX), Ok(()));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn parallel_takes_never_exceed_the_burst() {
        let l = Arc::new(Limiter::new(5, Duration::from_secs(3600)));
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.take(&"victim").is_ok())
            })
            .collect();
        let passed = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .filter(|ok| *ok)
            .count();
        assert_eq!(passed, 5);
    }

    #[test]
    fn ipv6_addresses_are_limited_by_their_64_network() {
        assert_eq!(
            address_key(ip("2001:db8:1:2:3:4:5:6")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(address_key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(address_key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(address_key(None), None);
    }

    #[test]
    fn an_attacker_cannot_lock_a_user_out() {
        let clock = FakeRelativeClock::default();
        let limits = LoginLimits::with_clock(3, Duration::from_secs(900), clock.clone());
        let (attacker, user) = (ip("198.51.100.66"), ip("203.0.113.9"));
        for _ in 0..3 {
            assert!(limits.begin("agent@pref.gouv.fr", attacker).is_ok());
        }
        let wait = limits
            .begin("Agent@Pref.gouv.fr ", attacker)
            .err()
            .expect("the pair is used up");
        assert_eq!(wait, Duration::from_secs(300));
        // The real user, from their own address, still gets in.
        let attempt = limits
            .begin("agent@pref.gouv.fr", user)
            .expect("own budget");
        limits.succeeded(attempt);
        // The attacker tries other accounts: limited per address after 4 × 3 failures.
        for n in 0..9 {
            assert!(
                limits
                    .begin(&format!("a{n}@pref.gouv.fr"), attacker)
                    .is_ok()
            );
        }
        let wait = limits.begin("other@pref.gouv.fr", attacker).err();
        assert_eq!(
            wait,
            Some(Duration::from_secs(75)),
            "the address is used up"
        );
        // The user is still not affected.
        assert!(limits.begin("agent@pref.gouv.fr", user).is_ok());
    }

    #[test]
    fn successes_do_not_count() {
        let limits = LoginLimits::new(2, Duration::from_secs(900));
        let office = ip("10.1.2.3");
        // Forty colleagues behind one address log in at nine.
        for n in 0..40 {
            let attempt = limits
                .begin(&format!("agent{n}@pref.gouv.fr"), office)
                .expect("not a failure");
            limits.succeeded(attempt);
        }
        // A user's own mistakes are forgotten once they get it right.
        for _ in 0..2 {
            // A wrong password: the attempt is left counted.
            let _failed = limits.begin("agent0@pref.gouv.fr", office).expect("ok");
            let attempt = limits.begin("agent0@pref.gouv.fr", office).expect("ok");
            limits.succeeded(attempt);
        }
    }
}
