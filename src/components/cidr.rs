//! IPv4 CIDR blocks: parsing with clear errors, and carving subnets.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network in CIDR form, with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        let shorter = self.prefix.min(other.prefix);
        let mask = if shorter == 0 { 0 } else { u32::MAX << (32 - shorter) };
        self.network & mask == other.network & mask
    }

    /// The `index`-th subnet of length `prefix` inside this block.
    pub fn subnet(&self, prefix: u8, index: u32) -> Option<Ipv4Cidr> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if u64::from(index) >= count {
            return None;
        }
        let size = if prefix == 0 { 0 } else { 1u32 << (32 - prefix) };
        Some(Ipv4Cidr { network: self.network + index * size, prefix })
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a CIDR block (expected a.b.c.d/n, e.g. 10.0.0.0/16)"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| format!("`{addr}` in `{s}` is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`/{prefix}` in `{s}` is not a prefix length from 0 to 32"))?;
        let bits = u32::from(addr);
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        if bits & !mask != 0 {
            return Err(format!("`{s}` has host bits set; the network is {}/{prefix}", Ipv4Addr::from(bits & mask)));
        }
        Ok(Ipv4Cidr { network: bits, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_carves() {
        let c: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
        assert_eq!(c.subnet(20, 0).unwrap().to_string(), "10.0.0.0/20");
        assert_eq!(c.subnet(20, 3).unwrap().to_string(), "10.0.48.0/20");
        assert!(c.subnet(20, 16).is_none());
        assert!(c.subnet(8, 0).is_none());
    }

    #[test]
    fn overlap_is_shared_addresses() {
        let c = |s: &str| s.parse::<Ipv4Cidr>().unwrap();
        assert!(c("10.0.0.0/16").overlaps(&c("10.0.128.0/24")));
        assert!(c("10.0.128.0/24").overlaps(&c("10.0.0.0/16")));
        assert!(!c("10.1.0.0/16").overlaps(&c("10.2.0.0/16")));
        assert!(c("0.0.0.0/0").overlaps(&c("192.168.0.0/16")));
    }

    #[test]
    fn malformed_blocks_are_explained() {
        for (bad, says) in [
            ("10.0.0.0", "not a CIDR"),
            ("10.0.0.300/16", "not an IPv4"),
            ("10.0.0.0/33", "prefix length"),
            ("10.0.1.0/16", "host bits"),
        ] {
            let e = bad.parse::<Ipv4Cidr>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
