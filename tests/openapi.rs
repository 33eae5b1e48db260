//! `GET /openapi.json`: a valid OpenAPI 3 document (checked by the reference validator) whose
//! every operation reaches its handler on a running krest, with the advertised URL as server.

mod support;

use reqwest::Method;
use serde_json::Value;
use support::{cluster_id, http, python_script, temp_dir, Proxy};

#[tokio::test]
async fn the_served_document_is_valid_and_every_operation_is_routed() {
    let proxy = Proxy::start(&[]);
    let response = http().get(proxy.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.0.3");
    assert_eq!(document["servers"][0]["url"], proxy.base.as_str());

    let file = temp_dir("krest-openapi").join("openapi.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let verdict = python_script("validate_openapi.py", &[file.to_str().unwrap()]).await;
    assert_eq!(verdict.trim(), "valid");

    // Every documented operation, called with placeholder arguments (and no body): whatever
    // the handler answers, the router must have matched the path and the method.
    let cluster = cluster_id();
    let paths = document["paths"].as_object().unwrap();
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let url = proxy.url(&with_arguments(path, &cluster));
            let status = http()
                .request(method.clone(), &url)
                .send()
                .await
                .unwrap()
                .status();
            assert_ne!(status, 405, "{method} {path}");
            operations.push((method.to_string(), path.clone()));
        }
    }
    assert!(operations.len() > 70, "{} operations", operations.len());

    let metrics = proxy.metrics().await;
    for (method, path) in &operations {
        let routed = metrics.lines().any(|line| {
            line.starts_with("krest_http_requests_total{")
                && label(line, "method") == Some(method.as_str())
                && label(line, "route").is_some_and(|route| shape(route) == shape(path))
                && label(line, "status") != Some("405")
        });
        assert!(routed, "{method} {path} reached no route:\n{metrics}");
    }
}

/// `path` with `{cluster_id}` the real cluster and every other parameter a harmless name.
fn with_arguments(path: &str, cluster: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{cluster_id}" => cluster.to_string(),
            s if s.starts_with('{') && s.ends_with('}') => "openapi-probe".to_string(),
            s => s.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A route with each `{parameter}` written `{}` (the document and the router name them apart).
fn shape(route: &str) -> String {
    route
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The value of `name="…"` in a Prometheus sample line.
fn label<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let start = line.find(&format!("{name}=\""))? + name.len() + 2;
    line[start..].split('"').next()
}
