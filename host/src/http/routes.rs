//! A router built one method and path at a time, so that test builds can list what it serves
//! and check the OpenAPI document (`GET /openapi.json`) against the routes themselves.

use std::convert::Infallible;

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::{self, MethodRouter, Route};
use axum::Router;
use tower::{Layer, Service};

/// An axum [`Router`] whose routes are added per method.
pub struct Routes<S> {
    router: Router<S>,
    /// `(METHOD, path)` of every route added, in test builds.
    #[cfg(test)]
    served: Vec<(&'static str, String)>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            #[cfg(test)]
            served: Vec::new(),
        }
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("GET", path, routing::get(handler))
    }

    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("POST", path, routing::post(handler))
    }

    pub fn put<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("PUT", path, routing::put(handler))
    }

    pub fn patch<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("PATCH", path, routing::patch(handler))
    }

    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add("DELETE", path, routing::delete(handler))
    }

    /// axum merges the method routers of one path.
    fn add(mut self, _method: &'static str, path: &str, route: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, route);
        #[cfg(test)]
        self.served.push((_method, path.to_string()));
        self
    }

    /// [`Router::route_layer`]: `layer` wraps the routes added so far.
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.route_layer(layer);
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        #[cfg(test)]
        self.served.extend(other.served);
        self
    }

    /// `other`'s routes served under `prefix`.
    pub fn nest(mut self, prefix: &str, other: Routes<S>) -> Self {
        self.router = self.router.nest(prefix, other.router);
        #[cfg(test)]
        self.served.extend(
            other
                .served
                .into_iter()
                .map(|(method, path)| (method, format!("{prefix}{path}"))),
        );
        self
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }

    /// `(METHOD, path)` of every route, in the order added.
    #[cfg(test)]
    pub fn served(&self) -> &[(&'static str, String)] {
        &self.served
    }
}
