//! The `metadata.self` and `related` URLs of v3 resources (absolute, built like a consumer's
//! `base_uri`) and their resource names (`crn://<authority>/kafka=<cluster>/…`).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header::HOST;
use axum::http::request::Parts;
use serde_json::{json, Value};
use url::Url;

use crate::config::Config;
use crate::consumers::UrlSettings;
use crate::http::state::AppState;

/// What every request's links are built from.
pub struct LinkSettings {
    urls: UrlSettings,
    /// `confluent.resource.name.authority`, without surrounding slashes.
    crn_authority: String,
}

impl LinkSettings {
    pub fn from_config(config: &Config) -> Self {
        LinkSettings {
            urls: UrlSettings::from_config(config),
            crn_authority: config.crn_authority.trim_matches('/').to_string(),
        }
    }
}

/// One request's link builder.
pub struct Links {
    /// `http://<authority>/v3`.
    base: Url,
    /// `crn://<authority>`.
    crn_base: String,
}

impl FromRequestParts<AppState> for Links {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let settings = &state.links;
        let base = Url::parse(&format!("{}/v3", settings.urls.base_url(host)))
            .unwrap_or_else(|_| Url::parse("http://localhost/v3").expect("valid URL"));
        Ok(Links {
            base,
            crn_base: format!("crn://{}", settings.crn_authority),
        })
    }
}

impl Links {
    /// The absolute URL of the proxy's root, without a trailing `/`.
    pub fn root(&self) -> String {
        let mut url = self.base.clone();
        url.set_path("");
        url.as_str().trim_end_matches('/').to_string()
    }

    /// The absolute URL of `/v3/<segments…>`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str]) -> String {
        self.url_of(segments).into()
    }

    fn url_of(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }

    /// `crn://<authority>/<type>=<id>/…`; a component with an empty id is just `<type>`.
    pub fn crn(&self, components: &[(&str, &str)]) -> String {
        components
            .iter()
            .fold(self.crn_base.clone(), |crn, (kind, id)| match id.is_empty() {
                true => format!("{crn}/{kind}"),
                false => format!("{crn}/{kind}={id}"),
            })
    }

    /// A resource's `metadata`: its URL and its resource name.
    pub fn metadata(&self, segments: &[&str], crn: &[(&str, &str)]) -> Value {
        json!({ "self": self.url(segments), "resource_name": self.crn(crn) })
    }

    /// A collection's `metadata` (Confluent never pages: `next` is null).
    pub fn list_metadata(&self, segments: &[&str]) -> Value {
        json!({ "self": self.url(segments), "next": null })
    }

    /// `{"related": <URL>}`, a link to another resource.
    pub fn related(&self, segments: &[&str]) -> Value {
        json!({ "related": self.url(segments) })
    }

    /// A collection of `kind` at `segments`.
    pub fn list(&self, kind: &str, segments: &[&str], data: Vec<Value>) -> Value {
        json!({ "kind": kind, "metadata": self.list_metadata(segments), "data": data })
    }

    /// Links inside cluster `id`: paths under `/v3/clusters/<id>`, names under `kafka=<id>`.
    pub fn cluster<'a>(&'a self, id: &'a str) -> ClusterLinks<'a> {
        ClusterLinks { links: self, id }
    }
}

/// [`Links`] relative to one cluster.
#[derive(Clone, Copy)]
pub struct ClusterLinks<'a> {
    links: &'a Links,
    id: &'a str,
}

impl ClusterLinks<'_> {
    pub fn url(&self, tail: &[&str]) -> String {
        self.links.url(&self.path(tail))
    }

    /// [`Self::url`] with a query string.
    pub fn url_with_query(&self, tail: &[&str], query: &[(&str, String)]) -> String {
        let mut url = self.links.url_of(&self.path(tail));
        url.query_pairs_mut().extend_pairs(query);
        url.into()
    }

    pub fn metadata(&self, tail: &[&str], crn: &[(&str, &str)]) -> Value {
        let crn = [&[("kafka", self.id)], crn].concat();
        self.links.metadata(&self.path(tail), &crn)
    }

    pub fn related(&self, tail: &[&str]) -> Value {
        self.links.related(&self.path(tail))
    }

    pub fn list(&self, kind: &str, tail: &[&str], data: Vec<Value>) -> Value {
        self.links.list(kind, &self.path(tail), data)
    }

    fn path<'s>(&'s self, tail: &[&'s str]) -> Vec<&'s str> {
        [&["clusters", self.id], tail].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_authority(authority: &str) -> Links {
        Links {
            base: Url::parse("http://proxy:8082/v3").unwrap(),
            crn_base: format!("crn://{authority}"),
        }
    }

    #[test]
    fn urls_encode_segments_and_crns_name_components() {
        let links = with_authority("");
        assert_eq!(
            links.url(&["clusters", "c1", "consumer-groups", "a b/c"]),
            "http://proxy:8082/v3/clusters/c1/consumer-groups/a%20b%2Fc"
        );
        assert_eq!(
            links.crn(&[("kafka", "c1"), ("topic", "t")]),
            "crn:///kafka=c1/topic=t"
        );
        let metadata = links.cluster("c1").metadata(&["topics", "t"], &[("topic", "t")]);
        assert_eq!(metadata["self"], "http://proxy:8082/v3/clusters/c1/topics/t");
        assert_eq!(metadata["resource_name"], "crn:///kafka=c1/topic=t");
        assert_eq!(
            with_authority("example.com").crn(&[("kafka", "c1")]),
            "crn://example.com/kafka=c1"
        );
    }
}
