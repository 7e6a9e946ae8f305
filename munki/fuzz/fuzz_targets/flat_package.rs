//! Fuzzes the flat package (xar) reader: any bytes give an identity or an
//! error, never a panic or an unbounded allocation.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use munki::bootstrap::FlatPackage;

fuzz_target!(|data: &[u8]| {
    let mut reader = Cursor::new(data);
    if let Ok(package) = FlatPackage::read(&mut reader) {
        let _ = package.identity(&mut reader);
    }
});
