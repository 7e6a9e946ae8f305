//! Test support, behind the `testing` feature: a simulated device (for
//! end-to-end tests and `device-sim`) and the storage conformance suite.

pub mod device;
