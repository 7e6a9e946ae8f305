//! What an MDM needs to install and configure Munki after enrollment:
//! the flat package's identity ([`xar`]), the manifest an
//! InstallApplication / InstallEnterpriseApplication command points at
//! ([`app_manifest`]) and the ManagedInstalls configuration profile
//! ([`profile`]).

pub mod app_manifest;
pub mod profile;
pub mod xar;

pub use app_manifest::{AppManifest, build_app_manifest};
pub use profile::ManagedInstallsProfile;
pub use xar::{FlatPackage, PackageIdentity};
