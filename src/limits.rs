//! Per-client limits, pure and in memory: which peers are trusted proxies, how many requests a
//! client may make (GCRA), and how long a client waits after failed logins (doubling locks).
//!
//! Counts live in this process only (per instance) and hold no more than an address and a few
//! instants; nothing here is ever stored with a response.
//!
//! The rate limiter is a generic cell rate algorithm of some thirty lines rather than the
//! `governor` crate: its keyed store without `dashmap` is the same mutex around a hash map, we
//! need our own bound on memory anyway, and the arithmetic below is tested on its own clock.
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Above this many keys, a table forgets the entries that no longer restrict anyone.
const MAX_KEYS: usize = 100_000;

/// A setting of this module that does not read: the operator sees it at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("{item:?} is not an IP address or CIDR range")]
    Address {
        item: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("{item:?} has no valid prefix length (0–{max})")]
    Prefix { item: String, max: u8 },
    #[error("{0:?} is not a rate like 60/hour (N/second, /minute, /hour, /day)")]
    Rate(String),
}

/// `TRUSTED_PROXIES`: addresses and CIDR ranges whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses `10.0.0.1, 10.1.0.0/16, ::1, fd00::/8`; an empty string trusts no one.
    pub fn parse(list: &str) -> Result<TrustedProxies, LimitsError> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let addr: IpAddr = addr.parse().map_err(|source| LimitsError::Address {
                item: item.to_owned(),
                source,
            })?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => match b.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => {
                        return Err(LimitsError::Prefix {
                            item: item.to_owned(),
                            max,
                        });
                    }
                },
            };
            nets.push((addr, bits));
        }
        Ok(TrustedProxies { nets })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets
            .iter()
            .any(|&(net, bits)| match (canonical(net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
                    u32::from(n) & mask == u32::from(a) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                    u128::from(n) & mask == u128::from(a) & mask
                }
                _ => false,
            })
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is that IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// A limit such as `60/hour`: at most `count` at once, refilled evenly over `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    /// `N/s`, `N/min`, `N/h` or `N/day` (also `second`, `minute`, `hour`), N ≥ 1.
    pub fn parse(text: &str) -> Result<Rate, LimitsError> {
        let bad = || LimitsError::Rate(text.to_owned());
        let (count, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let seconds = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(bad());
        }
        Ok(Rate {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

/// A keyed generic cell rate algorithm: each key may use `count` at once, and one more every
/// `period / count` after that.
#[derive(Debug, Clone)]
pub struct RateLimiter<K> {
    interval: Duration,
    tolerance: Duration,
    /// Per key, the theoretical arrival time of its next request.
    due: Arc<Mutex<HashMap<K, Instant>>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(rate: Rate) -> RateLimiter<K> {
        let count = rate.count.max(1);
        let interval = rate.period / count;
        RateLimiter {
            interval,
            tolerance: interval * (count - 1),
            due: Arc::default(),
        }
    }

    /// Counts one request of `key`; `Err(wait)` if it is over its limit (and is not counted).
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-update; the map is still sane.
        let mut due = self.due.lock().unwrap_or_else(|e| e.into_inner());
        if due.len() > MAX_KEYS {
            due.retain(|_, t| *t > now);
        }
        let tat = due.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let ahead = tat.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        due.insert(key.clone(), tat + self.interval);
        Ok(())
    }
}

/// Whole seconds for `Retry-After`, at least 1.
pub fn retry_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Failed logins of one key: a lock once `limit` is reached, doubling with each further failure.
#[derive(Debug, Clone, Copy)]
struct Strikes {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

/// A key's failures are forgotten after this long without one (and with no lock running).
const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures of one client on one account before it must wait.
    pub per_account: u32,
    /// Failures of one client over all accounts before it must wait.
    pub per_client: u32,
    /// The first wait; each further failure doubles it.
    pub lock: Duration,
    /// The longest wait.
    pub max_lock: Duration,
}

/// Login throttling per client and per client × account: one client guessing cannot lock the
/// account's owner out (another client still logs in), and cannot spray passwords across
/// accounts either. No sleeping: the answer is 429 with `Retry-After`.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    limits: LoginLimits,
    clients: Arc<Mutex<HashMap<IpAddr, Strikes>>>,
    accounts: Arc<Mutex<HashMap<(IpAddr, String), Strikes>>>,
}

fn remaining<K: Hash + Eq>(
    table: &Mutex<HashMap<K, Strikes>>,
    key: &K,
    now: Instant,
) -> Option<Duration> {
    let table = table.lock().unwrap_or_else(|e| e.into_inner());
    let until = table.get(key)?.locked_until?;
    (until > now).then(|| until - now)
}

fn strike<K: Hash + Eq>(
    table: &Mutex<HashMap<K, Strikes>>,
    key: K,
    limit: u32,
    limits: &LoginLimits,
    now: Instant,
) -> Option<Duration> {
    let mut table = table.lock().unwrap_or_else(|e| e.into_inner());
    let stale = |s: &Strikes| {
        s.locked_until.is_none_or(|u| u <= now)
            && now.saturating_duration_since(s.last_failure) > FORGET_AFTER
    };
    if table.len() > MAX_KEYS {
        table.retain(|_, s| !stale(s));
    }
    let entry = table.entry(key).or_insert(Strikes {
        failures: 0,
        last_failure: now,
        locked_until: None,
    });
    if stale(entry) {
        entry.failures = 0;
    }
    entry.failures = entry.failures.saturating_add(1);
    entry.last_failure = now;
    if entry.failures < limit.max(1) {
        return None;
    }
    let doublings = (entry.failures - limit.max(1)).min(31);
    let lock = limits
        .lock
        .checked_mul(1 << doublings)
        .unwrap_or(limits.max_lock)
        .min(limits.max_lock);
    entry.locked_until = Some(now + lock);
    Some(lock)
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            limits,
            clients: Arc::default(),
            accounts: Arc::default(),
        }
    }

    /// How long this client must still wait before it may try `account` (a normalised key).
    pub fn locked(&self, client: IpAddr, account: &str, now: Instant) -> Option<Duration> {
        let by_client = remaining(&self.clients, &client, now);
        let by_account = remaining(&self.accounts, &(client, account.to_owned()), now);
        by_client.max(by_account)
    }

    /// Records a failed login; the wait it causes, if any.
    pub fn failed(&self, client: IpAddr, account: &str, now: Instant) -> Option<Duration> {
        let l = &self.limits;
        let by_client = strike(&self.clients, client, l.per_client, l, now);
        let by_account = strike(
            &self.accounts,
            (client, account.to_owned()),
            l.per_account,
            l,
            now,
        );
        by_client.max(by_account)
    }

    /// A successful login clears this client's failures on this account (not its count over all
    /// accounts, or one account of its own would let a client spray on).
    pub fn succeeded(&self, client: IpAddr, account: &str) {
        let mut table = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        table.remove(&(client, account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn trusted_proxies_match_addresses_and_ranges() {
        let p = TrustedProxies::parse(" 10.0.0.1, 192.168.0.0/16, fd00::/8 ,").expect("valid");
        assert!(p.contains(ip("10.0.0.1")));
        assert!(!p.contains(ip("10.0.0.2")));
        assert!(p.contains(ip("192.168.44.3")));
        assert!(!p.contains(ip("192.169.0.1")));
        assert!(p.contains(ip("fd12::1")));
        assert!(!p.contains(ip("fe80::1")));
        // An IPv4 peer on an IPv6 socket.
        assert!(p.contains(ip("::ffff:10.0.0.1")));
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("1.2.3.4"))
        );
        for bad in ["10.0.0", "10.0.0.0/33", "example.org", "::1/129"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_read_as_written() {
        assert_eq!(
            Rate::parse("60/hour"),
            Ok(Rate {
                count: 60,
                period: Duration::from_secs(3600)
            })
        );
        assert_eq!(Rate::parse(" 5 / min ").map(|r| r.count), Ok(5));
        for bad in ["0/h", "60", "x/h", "60/week", "-1/s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_client_gets_its_burst_then_one_per_interval_and_others_are_not_affected() {
        let limiter = RateLimiter::new(Rate {
            count: 3,
            period: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        let (a, b) = (ip("203.0.113.1"), ip("203.0.113.2"));
        for _ in 0..3 {
            assert!(limiter.check_at(&a, t0).is_ok());
        }
        assert_eq!(limiter.check_at(&a, t0), Err(Duration::from_secs(20)));
        // Refused requests are not counted: the wait does not grow.
        assert_eq!(
            limiter.check_at(&a, t0 + Duration::from_secs(5)),
            Err(Duration::from_secs(15))
        );
        assert!(limiter.check_at(&b, t0).is_ok());
        // One more after one interval, not two.
        let later = t0 + Duration::from_secs(20);
        assert!(limiter.check_at(&a, later).is_ok());
        assert!(limiter.check_at(&a, later).is_err());
        // After a full period the whole burst is back.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.check_at(&a, much_later).is_ok());
        }
        assert!(limiter.check_at(&a, much_later).is_err());
        assert_eq!(retry_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_seconds(Duration::from_millis(20_001)), 21);
    }

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(LoginLimits {
            per_account: 3,
            per_client: 5,
            lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(600),
        })
    }

    #[test]
    fn login_locks_double_per_further_failure_and_are_capped() {
        let t = throttle();
        let (c, now) = (ip("198.51.100.7"), Instant::now());
        assert_eq!(t.failed(c, "anna", now), None);
        assert_eq!(t.failed(c, "anna", now), None);
        assert_eq!(t.failed(c, "anna", now), Some(Duration::from_secs(60)));
        assert_eq!(t.locked(c, "anna", now), Some(Duration::from_secs(60)));
        let after = now + Duration::from_secs(61);
        assert_eq!(t.locked(c, "anna", after), None);
        assert_eq!(t.failed(c, "anna", after), Some(Duration::from_secs(120)));
        let after = after + Duration::from_secs(121);
        assert_eq!(t.failed(c, "anna", after), Some(Duration::from_secs(240)));
        let after = after + Duration::from_secs(241);
        assert_eq!(t.failed(c, "anna", after), Some(Duration::from_secs(480)));
        let after = after + Duration::from_secs(481);
        assert_eq!(t.failed(c, "anna", after), Some(Duration::from_secs(600)));
        // Success clears the account's strikes (the client's count over accounts stays).
        t.succeeded(c, "anna");
        let accounts = t.accounts.lock().expect("lock");
        assert!(!accounts.contains_key(&(c, "anna".to_owned())));
    }

    #[test]
    fn another_client_is_not_locked_out_but_a_sprayer_is() {
        let t = throttle();
        let (attacker, owner, now) = (ip("198.51.100.7"), ip("192.0.2.1"), Instant::now());
        for _ in 0..3 {
            t.failed(attacker, "anna", now);
        }
        assert!(t.locked(attacker, "anna", now).is_some());
        assert_eq!(t.locked(owner, "anna", now), None);
        assert_eq!(t.locked(attacker, "bert", now), None);
        // Five failures over five accounts: the client waits, whatever account it tries next.
        let sprayer = ip("198.51.100.8");
        for account in ["a", "b", "c", "d"] {
            assert_eq!(t.failed(sprayer, account, now), None);
        }
        assert_eq!(t.failed(sprayer, "e", now), Some(Duration::from_secs(60)));
        assert!(t.locked(sprayer, "zed", now).is_some());
        // A success on one account of its own does not reset the count over accounts.
        t.succeeded(sprayer, "own");
        assert!(t.locked(sprayer, "zed", now).is_some());
    }
}
