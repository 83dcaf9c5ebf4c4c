//! Signed result URLs: HMAC-SHA256 over job id, user and expiry with the server secret. A signed path segment is
//! `<expires>.<signature>`; expiry 0 means "as long as the job exists" (partial-job canonical links).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs and checks result links.
#[derive(Clone)]
pub(crate) struct Signer {
    secret: Vec<u8>,
}

/// Why a signed link was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// The signature does not match.
    Invalid,
    /// The link has expired.
    Expired,
}

impl Signer {
    pub(crate) fn new(secret: Vec<u8>) -> Signer {
        Signer { secret }
    }

    fn mac(&self, job: &str, user: &str, expires: u64) -> Vec<u8> {
        // An HMAC accepts keys of any length, so this cannot fail.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(format!("{job}|{user}|{expires}").as_bytes());
        m.finalize().into_bytes().to_vec()
    }

    /// The signed segment for `job` of `user` valid until `expires` (Unix seconds; 0 = no expiry).
    pub(crate) fn sign(&self, job: &str, user: &str, expires: u64) -> String {
        format!("{expires}.{}", URL_SAFE_NO_PAD.encode(self.mac(job, user, expires)))
    }

    /// Checks a signed segment.
    pub(crate) fn verify(&self, job: &str, user: &str, segment: &str, now: u64) -> Result<(), LinkError> {
        let (exp, sig) = segment.split_once('.').ok_or(LinkError::Invalid)?;
        let expires: u64 = exp.parse().map_err(|_| LinkError::Invalid)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| LinkError::Invalid)?;
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).map_err(|_| LinkError::Invalid)?;
        m.update(format!("{job}|{user}|{expires}").as_bytes());
        m.verify_slice(&sig).map_err(|_| LinkError::Invalid)?;
        if expires != 0 && expires < now {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_detect_tampering_and_expiry() {
        let s = Signer::new(b"secret".to_vec());
        let seg = s.sign("j1", "alice", 100);
        assert_eq!(s.verify("j1", "alice", &seg, 50), Ok(()));
        assert_eq!(s.verify("j1", "alice", &seg, 101), Err(LinkError::Expired));
        assert_eq!(s.verify("j2", "alice", &seg, 50), Err(LinkError::Invalid));
        assert_eq!(s.verify("j1", "bob", &seg, 50), Err(LinkError::Invalid));
        let tampered = seg.replacen("100", "999", 1);
        assert_eq!(s.verify("j1", "alice", &tampered, 50), Err(LinkError::Invalid));
        assert_eq!(s.verify("j1", "alice", &s.sign("j1", "alice", 0), u64::MAX), Ok(()));
    }
}
