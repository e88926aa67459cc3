//! A cap on the connections one client holds open at once (issue 15, item 3,
//! `MAX_CONNECTIONS_PER_CLIENT`): a single address opening hundreds of connections must not use
//! up the process's file descriptors for everybody else.
//!
//! Counted per TCP peer when a connection opens and released when it closes. Trusted proxies are
//! exempt (they carry many clients; their per-client limits are the request rate limits). A
//! connection beyond the cap gets 429 with `Retry-After` to its first request and is closed.
use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;

use super::error::WebError;
use crate::limits::{TrustedProxies, canonical};

#[derive(Debug, Clone, Default)]
pub struct ConnectionCap {
    /// 0: no cap.
    max: usize,
    exempt: TrustedProxies,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A connection's place in the count, kept in its connection data; dropped when it closes.
struct Slot {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    client: IpAddr,
    over_cap: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

impl ConnectionCap {
    pub fn new(max: usize, exempt: TrustedProxies) -> ConnectionCap {
        ConnectionCap {
            max,
            exempt,
            open: Default::default(),
        }
    }

    /// Counts a new connection (`HttpServer::on_connect`).
    pub fn on_connect(&self, io: &dyn Any, data: &mut Extensions) {
        if self.max == 0 {
            return;
        }
        let Some(client) = io
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|stream| stream.peer_addr().ok())
            .map(|addr| canonical(addr.ip()))
        else {
            return;
        };
        if self.exempt.contains(client) {
            return;
        }
        let over_cap = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let n = open.entry(client).or_default();
            *n += 1;
            *n > self.max
        };
        data.insert(Slot {
            open: Arc::clone(&self.open),
            client,
            over_cap,
        });
    }

    /// Connections open now for `client` (for tests and logs).
    pub fn open(&self, client: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(&canonical(client)).copied().unwrap_or(0)
    }
}

/// Answers a request on a connection beyond its client's cap with 429 and closes it.
pub async fn refuse_over_cap(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.conn_data::<Slot>().is_some_and(|slot| slot.over_cap) {
        let mut error = WebError::rate_limited(1);
        if !req.path().starts_with("/api/") {
            error = error.html(super::i18n::request_lang(req.request(), None));
        }
        let mut response = actix_web::ResponseError::error_response(&error);
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_given_back_when_connections_close() {
        let cap = ConnectionCap::new(2, TrustedProxies::default());
        let client: IpAddr = "192.0.2.7".parse().expect("ip");
        let slot = |over_cap| Slot {
            open: Arc::clone(&cap.open),
            client,
            over_cap,
        };
        cap.open.lock().expect("lock").insert(client, 2);
        let first = slot(false);
        let second = slot(false);
        assert_eq!(cap.open(client), 2);
        drop(first);
        assert_eq!(cap.open(client), 1);
        drop(second);
        assert_eq!(cap.open(client), 0);
        assert!(
            cap.open.lock().expect("lock").is_empty(),
            "no entry left behind"
        );
    }
}
