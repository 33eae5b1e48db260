//! `GET /openapi.json`: the OpenAPI 3 document of every route krest serves (API v2, v3 and
//! krest's own), with the URL krest advertises as its server.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{json, Value};

use super::v3::Links;

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("openapi.json")).expect("openapi.json is JSON (a unit test reads it)")
});

pub async fn document(links: Links) -> Json<Value> {
    let mut document = DOCUMENT.clone();
    document["servers"] = json!([{"url": links.root()}]);
    Json(document)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// `(METHOD, path)` with every `{parameter}` written `{}`: the document uses Confluent's
    /// parameter names, the router krest's.
    fn shape(method: &str, path: &str) -> (String, String) {
        let mut shaped = String::new();
        let mut in_parameter = false;
        for c in path.chars() {
            match c {
                '{' => in_parameter = true,
                '}' => {
                    in_parameter = false;
                    shaped.push_str("{}");
                }
                _ if !in_parameter => shaped.push(c),
                _ => {}
            }
        }
        (method.to_ascii_uppercase(), shaped)
    }

    #[test]
    fn documents_exactly_the_routes_served() {
        let routes = super::super::routes();
        let served: BTreeSet<_> = routes.served().iter().map(|(m, p)| shape(m, p)).collect();
        assert_eq!(served.len(), routes.served().len(), "a route is added twice");
        let paths = DOCUMENT["paths"].as_object().expect("paths");
        let documented: BTreeSet<_> = paths
            .iter()
            .flat_map(|(path, item)| {
                let methods = item.as_object().expect("path item").keys();
                methods
                    .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                    .map(move |m| shape(m, path))
            })
            .collect();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let not_served: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && not_served.is_empty(),
            "served but not documented: {undocumented:?}\ndocumented but not served: {not_served:?}"
        );
    }

    #[test]
    fn every_operation_has_a_unique_id_and_its_path_parameters() {
        let mut ids = BTreeSet::new();
        for (path, item) in DOCUMENT["paths"].as_object().expect("paths") {
            let names: BTreeSet<_> = path
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            for (method, operation) in item.as_object().expect("path item") {
                let id = operation["operationId"].as_str().unwrap_or_default();
                assert!(
                    ids.insert(id.to_string()),
                    "{method} {path}: operationId {id:?} missing or repeated"
                );
                let declared: BTreeSet<_> = [&item["parameters"], &operation["parameters"]]
                    .into_iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .filter_map(|p| resolve(p))
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect();
                assert_eq!(declared, names, "{method} {path}: path parameters");
            }
        }
    }

    /// A parameter, or the one its `$ref` names under `#/components/parameters/`.
    fn resolve(parameter: &Value) -> Option<&Value> {
        match parameter["$ref"].as_str() {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/parameters/")?;
                DOCUMENT["components"]["parameters"].get(name)
            }
            None => Some(parameter),
        }
    }
}
