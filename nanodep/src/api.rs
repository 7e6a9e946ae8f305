//! The DEP API's vocabulary: request and response bodies of every endpoint
//! and Apple's error codes. Pure data; the client sends
//! them. Ported from Go `godep`.
//!
//! Every response struct keeps fields this crate does not name in `extra`,
//! so nothing Apple adds is lost when a response is stored or passed on.

mod error_code;

pub use self::error_code::ErrorCode;
