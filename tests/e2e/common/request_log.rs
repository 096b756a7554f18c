//! What a wiremock server received, as text a test compares: `METHOD path` lines (with or
//! without the query), paths alone, or the paths of one method.

use wiremock::MockServer;

/// Every request, in order, as `METHOD path`.
pub async fn seen(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// Every request, in order, as `METHOD path?query` (`METHOD path` without a query).
pub async fn seen_with_query(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let q = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{} {}{q}", r.method, r.url.path())
        })
        .collect()
}

/// Every request's path, in order.
pub async fn paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .map(|r| r.url.path().to_string())
        .collect()
}

/// The paths of the requests of method `m`, in order.
pub async fn paths_of(server: &MockServer, m: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .filter(|r| r.method.as_str() == m)
        .map(|r| r.url.path().to_string())
        .collect()
}
