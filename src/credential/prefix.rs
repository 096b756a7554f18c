//! The providers' documented key-secret prefixes: the one list that the key-shape checks
//! (`mask::looks_like_key`), the near-copy check (`mask::key_prefix_len`) and the key-id check
//! (`provider::refuse_secret_id`, through [`secret_shaped`]) read.

/// A documented start of a provider's key secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretPrefix {
    /// How a secret starts, as written (case matters): a text that starts so is a secret.
    pub start: &'static str,
    /// The part of such a secret that is the same in every key of its kind (compared without
    /// case), which tells nothing about one key; empty when none is documented (a JWT's `eyJ`
    /// is only the encoding of `{"`).
    pub public: &'static str,
}

/// The documented prefixes of key secrets (never of key ids).
pub const SECRET_PREFIXES: [SecretPrefix; 5] = [
    SecretPrefix {
        start: "sk-or-",
        public: "sk-or-v1-",
    },
    SecretPrefix {
        start: "VENICE_ADMIN_KEY_",
        public: "VENICE_ADMIN_KEY_",
    },
    SecretPrefix {
        start: "VENICE_INFERENCE_KEY_",
        public: "VENICE_INFERENCE_KEY_",
    },
    SecretPrefix {
        start: "io-v2-",
        public: "io-v2-",
    },
    SecretPrefix {
        start: "eyJ",
        public: "",
    },
];

/// Whether `s` starts like a key's secret (one of the providers' secret prefixes).
pub fn secret_shaped(s: &str) -> bool {
    let s = s.trim();
    SECRET_PREFIXES.iter().any(|p| s.starts_with(p.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_public_part_starts_like_its_secret() {
        for p in SECRET_PREFIXES {
            assert!(
                p.public.is_empty() || p.public.starts_with(p.start),
                "{p:?}"
            );
        }
        assert!(secret_shaped(" sk-or-v1-abc"));
        assert!(secret_shaped("eyJhbGciOi"));
        assert!(!secret_shaped("SK-OR-v1-abc"));
        assert!(!secret_shaped("a1b2c3"));
    }
}
