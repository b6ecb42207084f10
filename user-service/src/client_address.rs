//! Who a request comes from, for rate limiting: the peer address, or behind
//! a trusted proxy the address that proxy saw.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client a request is limited as. IPv6 clients are keyed by their /64:
/// one subscriber usually holds a whole /64, and could otherwise rotate
/// through it to escape any limit.
pub fn client_key(req: &HttpRequest, trusted_proxies: &[IpNet]) -> IpAddr {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    key_of(client_address(peer, &forwarded, trusted_proxies))
}

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// the rightmost `X-Forwarded-For` entry that is not a trusted proxy (each
/// proxy appends what it saw, so entries left of that are the client's own
/// claims and are ignored).
pub fn client_address(peer: Option<IpAddr>, forwarded_for: &str, trusted: &[IpNet]) -> IpAddr {
    let unspecified = IpAddr::from([0, 0, 0, 0]);
    let Some(peer) = peer else {
        return unspecified;
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut last_trusted = peer;
    for entry in forwarded_for
        .rsplit(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        match parse_forwarded_address(entry) {
            Some(ip) if is_trusted(&ip) => last_trusted = ip,
            Some(ip) => return ip,
            // Garbage from an untrusted hop: stop at the last proxy we trust.
            None => return last_trusted,
        }
    }
    last_trusted
}

/// An `X-Forwarded-For` entry: an address, `ipv4:port` or `[ipv6]:port`
/// (some proxies append the port they saw).
fn parse_forwarded_address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (v6, port) = rest.split_once(']')?;
        return (port.is_empty() || is_port(port.strip_prefix(':')?))
            .then(|| v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
            .flatten();
    }
    let (v4, port) = entry.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    v4.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.parse::<u16>().is_ok()
}

/// The limiter key of an address: IPv4 as it is, IPv6 by its /64
/// (IPv4-mapped IPv6 as the IPv4 address).
pub fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), "1.2.3.4", &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(Some(ip("203.0.113.9")), "1.2.3.4", &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client forged "6.6.6.6"; the edge proxy appended what it saw.
        assert_eq!(
            client_address(
                Some(ip("10.0.0.2")),
                "6.6.6.6, 198.51.100.7, 10.0.0.1",
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), "", &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), "junk, 10.0.0.1", &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_addresses_with_ports_are_understood() {
        let trusted = nets(&["10.0.0.0/8"]);
        for (forwarded, client) in [
            ("198.51.100.7:4711", "198.51.100.7"),
            ("[2001:db8::7]:4711", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("198.51.100.7:4711, 10.0.0.1:80", "198.51.100.7"),
        ] {
            assert_eq!(
                client_address(Some(ip("10.0.0.2")), forwarded, &trusted),
                ip(client),
                "{forwarded}"
            );
        }
        for junk in ["198.51.100.7:port", "[2001:db8::7]:99999", "[nonsense]:1"] {
            assert_eq!(
                client_address(Some(ip("10.0.0.2")), junk, &trusted),
                ip("10.0.0.2"),
                "{junk}"
            );
        }
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(
            key_of(ip("2001:db8:1:2:aaaa::1")),
            key_of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(key_of(ip("2001:db8:1:2::1")), key_of(ip("2001:db8:1:3::1")));
        assert_eq!(key_of(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(key_of(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
