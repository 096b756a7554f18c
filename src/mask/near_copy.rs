//! Whether a text holds the admin credential or a near copy of it: a "new secret" that does is
//! not shown.

use super::{ADMIN, WINDOW, is_public};
use crate::credential::SECRET_PREFIXES;

/// Whether `s` holds a registered admin credential or something like it: a "new secret" that
/// does must not be shown. Compared after folding (see [`fold`]: case, invisible characters,
/// controls, escape sequences, white space and fullwidth forms do not count), `s` holds it
/// when it holds the whole credential, or any telling 8-byte window of the credential's secret
/// part (its public prefix removed, see [`key_prefix_len`]; windows of fewer than three
/// distinct bytes, or only of the prefix's characters, tell nothing), also once the separators
/// `-`, `_` and `.` are left out of both (`…ADMINq-8w7e6r-5t4y3u…`), and read backwards. A real key of the credential's own kind shares
/// only the public prefix: the chance that a random tail of 32 characters shares a window of 8
/// with another is below 10^-6.
pub fn holds_credential(s: &str) -> bool {
    let originals = ADMIN
        .originals
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if originals.is_empty() {
        return false;
    }
    let new = fold(s);
    originals
        .iter()
        .any(|c| s.contains(c.as_str()) || like(&fold(c), &new))
}

/// `s` as compared with the credential: what a terminal shows of it (escape sequences,
/// controls and invisible characters dropped, see `visible`), fullwidth ASCII forms
/// (`Ａ`…`ｚ`, `０`…`９`, U+FF01..U+FF5E) read as the ASCII they stand for, without white
/// space, in lower case.
fn fold(s: &str) -> String {
    crate::visible::visible(s)
        .into_iter()
        .map(|v| match v.c {
            c @ '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Separators a near copy may have inserted (or a key may be written with): left out of both
/// sides of the window comparison.
fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

fn without_separators(s: &str) -> String {
    s.chars().filter(|c| !is_separator(*c)).collect()
}

/// Whether the folded `new` holds the folded credential `cred` whole, or a telling window of
/// its secret part, as written or with separators (`-`, `_`, `.`) left out of both. (Reversed
/// forms are not compared: a reversed window of a random key meets sequences such as
/// `9876543210` in ordinary ones, and any encoding a hostile server might choose is beyond a
/// window rule anyway.)
fn like(cred: &str, new: &str) -> bool {
    let bare_cred = without_separators(cred);
    let bare_new = without_separators(new);
    if cred.len() >= 4 && (new.contains(cred) || bare_new.contains(&bare_cred)) {
        return true;
    }
    let (prefix, tail) = cred.split_at(key_prefix_len(cred));
    // A JWT's header and claims are the same in every key of an issuer and account (io.net's
    // `io-v2-eyJ…`): its signature is the secret part.
    let tail = jwt_signature(tail).unwrap_or(tail);
    let bare_tail = without_separators(tail);
    let telling = |w: &[u8]| {
        let mut distinct: Vec<u8> = w.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.len() >= 3 && !w.iter().all(|b| prefix.as_bytes().contains(b)) && !is_public(w)
    };
    [new, bare_new.as_str()]
        .into_iter()
        .zip([tail, bare_tail.as_str()])
        .any(|(new, tail)| {
            let new = new.as_bytes();
            if new.len() < WINDOW {
                return false;
            }
            let seen: std::collections::HashSet<&[u8]> = new.windows(WINDOW).collect();
            tail.as_bytes()
                .windows(WINDOW)
                .any(|w| seen.contains(w) && telling(w))
        })
}

/// The signature of a folded JWT (`eyj….eyj….sig`), if `t` is one.
fn jwt_signature(t: &str) -> Option<&str> {
    let mut parts = t.split('.');
    let (h, c, sig) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && h.starts_with("eyj") && c.starts_with("eyj") && sig.len() >= 16)
        .then_some(sig)
}

/// The length of the public start of a folded (lower-case) key: a documented prefix (the
/// `public` part of [`SECRET_PREFIXES`]), else up
/// to five leading word segments (letters, then digits: `sk-`, `live-`, `v1-`, `acme-`), each
/// ended by `-` or `_`, within the first 40 bytes. A random tail starts with a digit or mixes
/// them among its letters, so it is not taken for a prefix.
pub fn key_prefix_len(s: &str) -> usize {
    if let Some(n) = SECRET_PREFIXES
        .iter()
        .map(|p| p.public)
        .filter(|p| {
            !p.is_empty()
                && s.len() >= p.len()
                && s.bytes()
                    .zip(p.bytes())
                    .all(|(c, p)| c == p.to_ascii_lowercase())
        })
        .map(str::len)
        .max()
    {
        return n;
    }
    let b = s.as_bytes();
    let (mut i, mut end) = (0, 0);
    for _ in 0..5 {
        let start = i;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        if i == start {
            break;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < 40 && i < b.len() && matches!(b[i], b'-' | b'_') {
            i += 1;
            end = i;
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::register_text;
    use crate::mask::tests::REGISTRY;

    /// Issue 20, finding 7: a "new secret" like the admin credential is refused; a real key of
    /// its kind, which shares its public prefix, is not.
    #[test]
    fn near_copies_of_the_credential_are_held_and_keys_of_its_kind_are_not() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let admin = "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";
        register_text(admin);
        let tail = &admin[9..];
        for near in [
            admin.to_string(),
            admin[..admin.len() - 1].to_string(),
            admin[1..].to_string(),
            admin.to_ascii_uppercase(),
            format!("{}\u{200b}{}", &admin[..30], &admin[30..]),
            format!("{}\u{1b}[0m{}", &admin[..30], &admin[30..]),
            format!(
                "{}\u{ad}{}\u{feff}{}",
                &admin[..12],
                &admin[12..40],
                &admin[40..]
            ),
            format!("{} {}", &admin[..30], &admin[30..]),
            format!("prefix {admin} suffix"),
            format!("sk-or-v1-{}ZZZZ9999", tail[20..28].to_ascii_uppercase()),
            tail[40..].to_string(),
        ] {
            assert!(holds_credential(&near), "{near:?}");
        }
        // Keys of the kind: the prefix and two more characters shared, or seven of the tail.
        for other in [
            "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",
            "sk-or-v1-ea45e3e0000000000000000000000000000000000000000000000000000000000",
            "SK-OR-V1-EA45E3E",
            "sk-or-v1-",
            "",
        ] {
            assert!(!holds_credential(other), "{other:?}");
        }

        // A window of one repeated character, or of fewer than three, tells nothing.
        register_text("sk-or-v1-aaaaaaaaaaaaaaaababababab1c9f3e7d2a8b4");
        assert!(!holds_credential(
            "sk-or-v1-aaaaaaaaaaaaabababab0d6e2f8a1c7b5"
        ));
        assert!(holds_credential(
            "sk-or-v1-AAAAAAAAAAAAAAAABABABABAB1C9F3E7"
        ));

        // Venice: an inference key made with an admin key shares `VENICE_` and `_KEY_`.
        register_text("VENICE_ADMIN_KEY_QrGWp5uQ67XbSuqJBQfxkY5SusMyjPhP");
        assert!(!holds_credential(
            "VENICE_INFERENCE_KEY_QrV8SYPv4h17vXAeAXbhfAt3baDixpiG"
        ));
        assert!(holds_credential(
            "venice_admin_key_qrgwp5uq67xbsuqjbqfxky5susmyjph"
        ));

        // io.net keys are `io-v2-` and a JWT: header and claims are the same for every key of
        // an account; only the signature counts.
        let claims = "eyJvd25lciI6Ijk1Y2U5MzYxLTQ0N2YtNGVjMC1hNjk4LTc2NGMyYTJkMTViOSJ9";
        let head = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
        register_text(&format!(
            "io-v2-{head}.{claims}.Xk3vQ9pLm2Zr7TyWq4Ns8Bd1Hf6Jc0Gu"
        ));
        assert!(!holds_credential(&format!(
            "io-v2-{head}.{claims}.Mn5bV2cX8zL1kJ7hG4fD9sA3qW6eR0tY"
        )));
        assert!(holds_credential(&format!(
            "io-v2-{head}.{claims}.Xk3vQ9pLm2Zr7TyWq4Ns8Bd1Hf6Jc0G"
        )));
        // A key of another kind (a custom io.net prefix) holding the same signature piece.
        assert!(holds_credential("acme-v2-x.y.Q9pLm2Zr7TyW"));
    }

    /// The false-positive rate, measured: random keys of the admin key's own kind (hex tails
    /// of 64, alphanumeric tails of 32) are never taken for near copies.
    #[test]
    fn random_keys_of_the_same_kind_are_not_near_copies() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = fastrand::Rng::with_seed(20);
        let hex = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
                .collect()
        };
        let alnum = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n).map(|_| rng.alphanumeric()).collect()
        };
        for _ in 0..200 {
            register_text(&format!("sk-or-v1-{}", hex(&mut rng, 64)));
            for _ in 0..50 {
                let k = format!("sk-or-v1-{}", hex(&mut rng, 64));
                assert!(!holds_credential(&k), "{k}");
            }
            register_text(&format!("VENICE_ADMIN_KEY_{}", alnum(&mut rng, 32)));
            for _ in 0..50 {
                let k = format!("VENICE_INFERENCE_KEY_{}", alnum(&mut rng, 32));
                assert!(!holds_credential(&k), "{k}");
            }
        }
    }

    #[test]
    fn key_prefixes() {
        for (key, prefix) in [
            ("sk-or-v1-ea45e3e6", "sk-or-v1-"),
            ("venice_admin_key_qrgwp5uq", "venice_admin_key_"),
            ("io-v2-eyjhbgcioi", "io-v2-"),
            ("acme-v2-eyjhbgcioi", "acme-v2-"),
            ("sk-mg-v1-0a1b2c", "sk-mg-v1-"),
            ("sk-live-topsecret-4f9a2c7e1b", "sk-live-topsecret-"),
            ("4f9a2c7e1b", ""),
            ("ab12cd-ef", ""),
            ("a-b-c-d-e-f-g", "a-b-c-d-e-"),
            ("", ""),
        ] {
            assert_eq!(&key[..key_prefix_len(key)], prefix, "{key}");
        }
    }

    /// Issue 20, attacker's pass (F5): near copies outside the 8-byte rule as written:
    /// separators inserted every 6 or 7 characters, fullwidth forms.
    #[test]
    fn near_copies_with_separators_or_fullwidth_are_held() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let admin = "sk-mg-v1-ADMINq8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3j2k1l0";
        register_text(admin);
        let tail = &admin[9..];
        let every = |n: usize, sep: &str| -> String {
            let chunks: Vec<String> = tail
                .as_bytes()
                .chunks(n)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            format!("sk-mg-v1-{}", chunks.join(sep))
        };
        let fullwidth: String = admin
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
                c => c,
            })
            .collect();
        for near in [
            every(6, "-"),
            every(7, "-"),
            every(6, "_"),
            every(7, "."),
            every(5, "-"),
            every(3, "-_."),
            fullwidth,
        ] {
            assert!(holds_credential(&near), "{near:?}");
        }
        // Keys of the kind, written with separators, are not.
        for other in [
            "sk-mg-v1-Zx9cV8bN7mQ1wE2rT3yU4iO5pA6sD7fG8hJ9kL0",
            "sk-mg-v1-ADMIN-x9cV8b-N7mQ1w-E2rT3y",
            "sk_mg_v1_",
        ] {
            assert!(!holds_credential(other), "{other:?}");
        }
    }

    /// The false-positive rate after F5, measured on 20,000 more random same-kind pairs: io.net
    /// JWT keys (base64url signatures, which hold `-` and `_`) and `sk-mg-v1-` keys with
    /// alphanumeric tails. None is taken for a near copy.
    #[test]
    fn random_jwt_and_dashed_keys_of_the_same_kind_are_not_near_copies() {
        let _one = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = fastrand::Rng::with_seed(2020);
        let b64url = |rng: &mut fastrand::Rng, n: usize| -> String {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            (0..n).map(|_| char::from(A[rng.usize(..64)])).collect()
        };
        let alnum = |rng: &mut fastrand::Rng, n: usize| -> String {
            (0..n).map(|_| rng.alphanumeric()).collect()
        };
        let head = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";
        let claims = "eyJvd25lciI6Ijk1Y2U5MzYxLTQ0N2YtNGVjMC1hNjk4LTc2NGMyYTJkMTViOSJ9";
        let mut refused = 0;
        for _ in 0..200 {
            register_text(&format!("io-v2-{head}.{claims}.{}", b64url(&mut rng, 43)));
            for _ in 0..50 {
                let k = format!("io-v2-{head}.{claims}.{}", b64url(&mut rng, 43));
                refused += usize::from(holds_credential(&k));
            }
            register_text(&format!("sk-mg-v1-{}", alnum(&mut rng, 48)));
            for _ in 0..50 {
                let k = format!("sk-mg-v1-{}", alnum(&mut rng, 48));
                refused += usize::from(holds_credential(&k));
            }
        }
        assert_eq!(refused, 0);
    }
}
