//! Unit tests of a base URL's credential refusal (a user name alone, a password alone, or
//! both) and of which base URLs count as TLS (https) for the HTTP client.

use super::BaseUrl;

#[test]
fn a_base_url_carrying_any_part_of_a_credential_is_refused() {
    for url in [
        "https://user:S3CRETPW@example.com",
        "https://admin@example.com",
        "https://:S3CRETPW@example.com",
        "http://admin@127.0.0.1:8080",
    ] {
        let e = BaseUrl::parse(url).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{url}: {e}");
        assert!(e.to_string().contains("contains credentials"), "{url}: {e}");
        assert!(!e.to_string().contains("S3CRETPW"), "{url}: {e}");
        assert!(!e.to_string().contains("admin@"), "{url}: {e}");
    }
}

#[test]
fn https_base_urls_are_tls_and_loopback_http_ones_are_not() {
    for url in ["https://api.venice.ai", "https://proxy.example:8443/gw"] {
        assert!(BaseUrl::parse(url).unwrap().is_tls(), "{url}");
    }
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
    ] {
        assert!(!BaseUrl::parse(url).unwrap().is_tls(), "{url}");
    }
}
