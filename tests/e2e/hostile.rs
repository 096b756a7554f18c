//! Hostile servers and hostile input: malformed and over-size answers, proxies, credentials with
//! odd bytes, secrets in URLs, unreadable Venice limits, unanswered writes.
