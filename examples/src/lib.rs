//! Runnable programs that embed the workspace's MDM libraries; see the
//! binaries under `src/bin/`. The library part only holds what several
//! programs share.
