//! `device-sim profile`: a test enrollment profile.

use anyhow::Context as _;
use nanomdm::profile::EnrollmentProfile;

use crate::args::ProfileArgs;

/// Writes the profile `args` describe.
pub(crate) fn write(args: &ProfileArgs) -> anyhow::Result<()> {
    let mut builder = EnrollmentProfile::builder()
        .identifier("device-sim.enrollment")
        .display_name("device-sim enrollment")
        .scep_url(&args.scep_url)
        .keysize(2048)
        .subject_component("O", "device-sim")
        .subject_component("CN", "%HardwareUUID%")
        .server_url(&args.server_url)
        .topic(&args.topic)
        .sign_message(true)
        .allow_insecure_urls();
    if let Some(challenge) = &args.challenge {
        builder = builder.challenge(challenge);
    }
    if let Some(url) = &args.check_in_url {
        builder = builder.check_in_url(url);
    }
    let xml = builder
        .build()
        .context("building the profile")?
        .to_xml()
        .context("encoding the profile")?;
    std::fs::write(&args.out, xml).with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {}", args.out.display());
    Ok(())
}
