//! Classifying IP addresses (public, loopback, private, link-local, reserved) and address ranges (`10.0.0.0/8`)
//! for the outbound policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why an address is not public: the kind of network it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Special {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7, fec0::/10.
    Private,
    /// 169.254/16 (with the cloud metadata address 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8 and `::` (on Linux a connection to them reaches the local host).
    Unspecified,
    /// Multicast, broadcast, documentation, benchmarking, reserved and translation ranges.
    Reserved,
}

impl Special {
    /// Words for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Special::Loopback => "a loopback address",
            Special::Private => "a private address",
            Special::LinkLocal => "a link-local address",
            Special::Unspecified => "an unspecified address",
            Special::Reserved => "a reserved address",
        }
    }
}

/// The kind of a non-public address, `None` for a public one. IPv4 addresses embedded in IPv6 (mapped,
/// compatible, NAT64, 6to4) are judged by the IPv4 address.
pub(crate) fn classify(ip: IpAddr) -> Option<Special> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Special> {
    let o = ip.octets();
    let in_net = |net: [u8; 4], prefix: u32| IpNet::v4(Ipv4Addr::from(net), prefix).contains(IpAddr::V4(ip));
    if o[0] == 0 {
        Some(Special::Unspecified)
    } else if o[0] == 127 {
        Some(Special::Loopback)
    } else if o[0] == 10 || in_net([172, 16, 0, 0], 12) || in_net([192, 168, 0, 0], 16) || in_net([100, 64, 0, 0], 10) {
        Some(Special::Private)
    } else if in_net([169, 254, 0, 0], 16) {
        Some(Special::LinkLocal)
    } else if in_net([192, 0, 0, 0], 24)
        || in_net([192, 0, 2, 0], 24)
        || in_net([198, 51, 100, 0], 24)
        || in_net([203, 0, 113, 0], 24)
        || in_net([198, 18, 0, 0], 15)
        || in_net([192, 88, 99, 0], 24)
        || o[0] >= 224
    {
        // IETF assignments, documentation, benchmarking, 6to4 relays, multicast, 240/4 and broadcast
        Some(Special::Reserved)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Special> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some(Special::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Special::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        return Some(Special::Private);
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return Some(Special::LinkLocal);
    }
    if s[0] & 0xff00 == 0xff00          // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0)      // Teredo tunnels
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        || s[0] == 0
    {
        return Some(Special::Reserved);
    }
    None
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[0..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && low.octets()[0] != 0)) {
        return Some(low);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// An address range, `10.0.0.0/8` or `fd00::/8` (a single address is a full-length range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpNet {
    addr: IpAddr,
    prefix: u32,
}

impl IpNet {
    fn v4(addr: Ipv4Addr, prefix: u32) -> IpNet {
        IpNet {
            addr: IpAddr::V4(addr),
            prefix,
        }
    }

    /// True when `ip` lies in the range (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for IpNet {
    type Err = String;

    /// Parses `a.b.c.d/n`, `x::y/n` or a single address.
    fn from_str(s: &str) -> Result<IpNet, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or address range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}' has an invalid prefix length"))?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<Special> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn addresses_are_classified() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert_eq!(class(public), None, "{public}");
        }
        for (ip, want) in [
            ("127.0.0.1", Special::Loopback),
            ("127.8.9.1", Special::Loopback),
            ("::1", Special::Loopback),
            ("::ffff:127.0.0.1", Special::Loopback),
            ("10.0.0.1", Special::Private),
            ("172.16.0.1", Special::Private),
            ("172.31.255.255", Special::Private),
            ("192.168.1.1", Special::Private),
            ("100.64.0.1", Special::Private),
            ("100.127.255.254", Special::Private),
            ("fc00::1", Special::Private),
            ("fd12:3456::1", Special::Private),
            ("::ffff:10.0.0.1", Special::Private),
            ("64:ff9b::a00:1", Special::Private),
            ("2002:a00:1::1", Special::Private),
            ("169.254.169.254", Special::LinkLocal),
            ("fe80::1", Special::LinkLocal),
            ("::ffff:169.254.169.254", Special::LinkLocal),
            ("0.0.0.0", Special::Unspecified),
            ("::", Special::Unspecified),
            ("224.0.0.1", Special::Reserved),
            ("255.255.255.255", Special::Reserved),
            ("192.0.2.1", Special::Reserved),
            ("ff02::1", Special::Reserved),
            ("2001:db8::1", Special::Reserved),
        ] {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn ranges_parse_and_match() {
        let net: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.200.1.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        let one: IpNet = "169.254.169.254".parse().unwrap();
        assert!(one.contains("169.254.169.254".parse().unwrap()));
        assert!(!one.contains("169.254.169.253".parse().unwrap()));
        let v6: IpNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd00:1::2".parse().unwrap()));
        assert!(!v6.contains("fe00::1".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("host.example".parse::<IpNet>().is_err());
    }
}
