#![doc = include_str!("../README.md")]

pub mod depot;
mod error;
pub mod http;
pub mod message;
pub mod service;

pub use depot::{Depot, MemoryDepot};
pub use error::{BoxError, Error, Result};
pub use message::PkiMessage;
pub use service::{Service, ServiceConfig};
