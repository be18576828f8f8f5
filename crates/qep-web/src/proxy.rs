//! Who the client is behind a reverse proxy: the TCP peer, unless that peer is a proxy we
//! trust, in which case the address it forwarded (`Forwarded: for=`, RFC 7239, or else
//! `X-Forwarded-For`). Rate limits are keyed by this address.
//!
//! A forwarding header is a list that each proxy appends to, so only its right-hand end was
//! written by proxies we trust: it is read from the right, trusted proxies are skipped, and
//! the first other address is the client. Whatever lies further left came from the client
//! and is ignored. Headers from a peer that is not a trusted proxy are never read, so a
//! client cannot choose its own address by sending them.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;

use crate::AppState;

/// The client's address, seen through the trusted proxies; `None` when the server does not
/// know the peer (in-process tests).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddr(peer.map(|peer| {
            client_address(peer.ip(), &parts.headers, &state.config.trusted_proxies)
        })))
    }
}

/// The addresses and ranges of the reverse proxies whose forwarding headers are believed
/// (`trusted_proxies`). Empty: none, the TCP peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`127.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`); the error is
    /// the first entry that is neither.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        entries
            .into_iter()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                IpNet::from_str(e)
                    .map(|net| net.trunc())
                    .or_else(|_| IpAddr::from_str(e).map(|a| IpNet::from(a.to_canonical())))
                    .map_err(|_| e.to_owned())
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&entries.join(", "))
    }
}

/// The client of a request that came from `peer` with `headers`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let forwarded = joined(headers, header::FORWARDED).map(|v| from_forwarded(&v, trusted));
    let x_forwarded_for =
        joined(headers, "x-forwarded-for").map(|v| from_x_forwarded_for(&v, trusted));
    match (forwarded, x_forwarded_for) {
        (Some(a), Some(b)) if a != b => {
            // The proxy writes one of them and passes the other on from the client, and we
            // cannot tell which: believe neither.
            tracing::debug!("Forwarded and X-Forwarded-For disagree: the peer is the client");
            peer
        }
        (Some(found), _) | (None, Some(found)) => found.unwrap_or(peer),
        (None, None) => peer,
    }
}

/// Every line of a header, in order, as one comma-separated list (RFC 9110, 5.3). Bytes
/// that are not text stay as replacement characters: a header a client made unreadable is
/// still there, and is read from the right like any other.
fn joined(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<String> {
    let lines: Vec<_> = headers
        .get_all(name)
        .iter()
        .map(|line| String::from_utf8_lossy(line.as_bytes()))
        .collect();
    (!lines.is_empty()).then(|| lines.join(","))
}

/// Walks a list of hops from the right: the first address that is not a trusted proxy, or
/// the leftmost when all are; `None` (the peer is then the client) if a hop written by our
/// proxies cannot be read.
fn first_untrusted(hops: Vec<Option<IpAddr>>, trusted: &TrustedProxies) -> Option<IpAddr> {
    let mut last = None;
    for hop in hops.into_iter().rev() {
        let addr = hop?.to_canonical();
        if !trusted.contains(addr) {
            return Some(addr);
        }
        last = Some(addr);
    }
    last
}

fn from_x_forwarded_for(value: &str, trusted: &TrustedProxies) -> Option<IpAddr> {
    first_untrusted(value.split(',').map(node_address).collect(), trusted)
}

fn from_forwarded(value: &str, trusted: &TrustedProxies) -> Option<IpAddr> {
    let hops = value
        .split(',')
        .map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| node_address(value))?
            })
        })
        .collect();
    first_untrusted(hops, trusted)
}

/// One node: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, possibly
/// quoted (RFC 7239 quotes IPv6 and ports). `unknown` and obfuscated names are not
/// addresses.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    let node = node
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(node);
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.parse::<Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries.iter().copied()).expect("valid")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        h
    }

    fn client(peer: &str, pairs: &[(&'static str, &str)], proxies: &[&str]) -> IpAddr {
        client_address(ip(peer), &headers(pairs), &trusted(proxies))
    }

    #[test]
    fn parses_addresses_and_ranges_and_names_a_bad_entry() {
        let t = trusted(&["127.0.0.1", " 10.0.0.0/8 ", "::1", "fd00::/8", ""]);
        assert!(t.contains(ip("127.0.0.1")) && t.contains(ip("10.200.3.4")));
        assert!(t.contains(ip("::1")) && t.contains(ip("fd12::7")));
        assert!(!t.contains(ip("127.0.0.2")) && !t.contains(ip("11.0.0.1")));
        assert!(!t.contains(ip("2001:db8::1")));
        // An IPv4 peer seen through a dual-stack socket is still itself.
        assert!(t.contains(ip("::ffff:10.1.1.1")));
        assert!(trusted(&["::ffff:192.0.2.1"]).contains(ip("192.0.2.1")));
        // Host bits in a range are ignored, as in most proxy configurations.
        assert!(trusted(&["10.1.2.3/8"]).contains(ip("10.9.9.9")));
        assert_eq!(t.to_string(), "127.0.0.1/32, 10.0.0.0/8, ::1/128, fd00::/8");
        assert!(trusted(&[]).is_empty());
        for bad in ["10.0.0.0/33", "localhost", "10.0.0", "1.2.3.4/", "::1/129"] {
            assert_eq!(
                TrustedProxies::parse(["127.0.0.1", bad]),
                Err(bad.to_owned())
            );
        }
    }

    #[test]
    fn without_a_trusted_peer_the_headers_are_ignored() {
        let spoofed = [
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ];
        assert_eq!(client("198.51.100.7", &spoofed, &[]), ip("198.51.100.7"));
        assert_eq!(
            client("198.51.100.7", &spoofed, &["127.0.0.1"]),
            ip("198.51.100.7")
        );
        assert_eq!(client("127.0.0.1", &[], &["127.0.0.1"]), ip("127.0.0.1"));
        assert_eq!(client("::ffff:192.0.2.4", &[], &[]), ip("192.0.2.4"));
    }

    #[test]
    fn x_forwarded_for_is_read_from_the_right_skipping_trusted_proxies() {
        let proxies = ["127.0.0.1", "10.0.0.0/8"];
        let xff = |v| client("127.0.0.1", &[("x-forwarded-for", v)], &proxies);
        assert_eq!(xff("203.0.113.9"), ip("203.0.113.9"));
        // What the client wrote itself (left) is not believed.
        assert_eq!(xff("6.6.6.6, 203.0.113.9"), ip("203.0.113.9"));
        // Hops through our own proxies are skipped.
        assert_eq!(xff("6.6.6.6, 203.0.113.9, 10.0.0.2"), ip("203.0.113.9"));
        assert_eq!(xff(" 2001:db8::5 ,10.1.1.1"), ip("2001:db8::5"));
        assert_eq!(xff("203.0.113.9:51000"), ip("203.0.113.9"));
        assert_eq!(xff("[2001:db8::5]:443"), ip("2001:db8::5"));
        // A request from inside, through the proxy: the leftmost trusted hop.
        assert_eq!(xff("10.0.0.7, 10.0.0.2"), ip("10.0.0.7"));
        // Garbage written by the client, left of its real address, does not matter...
        assert_eq!(xff("n'importe quoi, 203.0.113.9"), ip("203.0.113.9"));
        // ...but a hop our proxies wrote and we cannot read: the peer.
        assert_eq!(xff("203.0.113.9, garbage"), ip("127.0.0.1"));
        assert_eq!(xff("203.0.113.9, , 10.0.0.2"), ip("127.0.0.1"));
        assert_eq!(xff(""), ip("127.0.0.1"));
        assert_eq!(xff("unknown"), ip("127.0.0.1"));
        // Several header lines form one list, in order.
        let two_lines = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
        ];
        assert_eq!(client("127.0.0.1", &two_lines, &proxies), ip("203.0.113.9"));
        // An IPv4-mapped hop is the IPv4 address.
        assert_eq!(xff("::ffff:203.0.113.9"), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_is_read_like_rfc_7239_says() {
        let proxies = ["127.0.0.1", "10.0.0.0/8"];
        let fwd = |v| client("127.0.0.1", &[("forwarded", v)], &proxies);
        assert_eq!(
            fwd("for=192.0.2.60;proto=http;by=203.0.113.43"),
            ip("192.0.2.60")
        );
        assert_eq!(
            fwd("For=\"[2001:db8:cafe::17]:4711\""),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(fwd("for=\"192.0.2.43:47011\""), ip("192.0.2.43"));
        assert_eq!(
            fwd("for=6.6.6.6, for=192.0.2.60, for=10.0.0.2"),
            ip("192.0.2.60")
        );
        assert_eq!(fwd("proto=https; for=192.0.2.60"), ip("192.0.2.60"));
        assert_eq!(fwd("for=192.0.2.60, for=unknown"), ip("127.0.0.1"));
        assert_eq!(fwd("for=192.0.2.60, for=_hidden"), ip("127.0.0.1"));
        assert_eq!(fwd("for=192.0.2.60, proto=https"), ip("127.0.0.1"));
        assert_eq!(fwd("for=\"[2001:db8::1\""), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_comes_first_and_both_must_agree() {
        let proxies = ["127.0.0.1"];
        let both = |f, x| {
            client(
                "127.0.0.1",
                &[("forwarded", f), ("x-forwarded-for", x)],
                &proxies,
            )
        };
        assert_eq!(both("for=192.0.2.60", "192.0.2.60"), ip("192.0.2.60"));
        // A client sends one header, the proxy appends to the other: neither is believed.
        assert_eq!(both("for=6.6.6.6", "192.0.2.60"), ip("127.0.0.1"));
        assert_eq!(
            client("127.0.0.1", &[("forwarded", "for=192.0.2.60")], &proxies),
            ip("192.0.2.60")
        );
    }
}
