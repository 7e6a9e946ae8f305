//! Admin hooks under `/_depsim/`, for tests that run the simulator in
//! another process (`examples/depsim.rs`). Not part of Apple's API.
//!
//! | request | effect |
//! |---|---|
//! | `GET /_depsim/tokens` | the OAuth tokens JSON (Apple's depsim has `GET /token`) |
//! | `POST /_depsim/token` with a PEM certificate | the `.p7m` token file encrypted to it |
//! | `POST /_depsim/devices` with a JSON array of devices | adds them (`added` events) |
//! | `DELETE /_depsim/devices/<serial>` | deletes one (`deleted` event) |
//! | `GET /_depsim/devices` | the assigned devices |

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use super::DepSim;
use super::state::{error, json};
use crate::api::Device;

pub(super) fn handle(sim: &DepSim, request: &Request<Bytes>) -> Response<Bytes> {
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::GET, "/_depsim/tokens") => json(StatusCode::OK, &sim.tokens()),
        (&Method::POST, "/_depsim/token") => {
            let pem = String::from_utf8_lossy(request.body());
            match sim.token_file(&pem) {
                Ok(p7m) => {
                    let mut response = Response::new(Bytes::from(p7m));
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/pkcs7-mime"),
                    );
                    response
                }
                Err(_) => error(StatusCode::BAD_REQUEST, "CERTIFICATE_INVALID"),
            }
        }
        (&Method::GET, "/_depsim/devices") => json(StatusCode::OK, &sim.devices()),
        (&Method::POST, "/_depsim/devices") => {
            match serde_json::from_slice::<Vec<Device>>(request.body()) {
                Ok(devices) => {
                    let count = devices.len();
                    devices.into_iter().for_each(|d| sim.add_device(d));
                    json(StatusCode::OK, &serde_json::json!({ "added": count }))
                }
                Err(_) => error(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST_BODY"),
            }
        }
        (&Method::DELETE, _) if path.starts_with("/_depsim/devices/") => {
            let serial = &path["/_depsim/devices/".len()..];
            match sim.delete_device(serial) {
                true => json(StatusCode::OK, &serde_json::json!({ "deleted": serial })),
                false => error(StatusCode::NOT_FOUND, "NOT_FOUND"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "NOT_FOUND"),
    }
}
