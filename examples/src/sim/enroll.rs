//! Enrollment of one device, as a Mac installing the profile does it: a
//! key, a SCEP PKCSReq with the profile's Challenge and Subject, then
//! Authenticate and TokenUpdate to the check-in URL.

use anyhow::{Context as _, bail};
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::Certificate;
use nanomdm::testing::device::Device;
use scep::client::Enrollment;
use scep::message::{MessageType, Requester};

use super::Simulator;
use super::identity::{copy_key, signer, subject};

impl Simulator {
    /// Generates a key of the profile's `Keysize` on a blocking thread
    /// (RSA key generation takes tens of milliseconds of CPU).
    ///
    /// # Errors
    ///
    /// If the key size is not one aws-lc generates, or generation fails.
    pub async fn generate_key(&self) -> anyhow::Result<RsaPrivateKey> {
        let bits = self.target.keysize;
        tokio::task::spawn_blocking(move || RsaPrivateKey::generate(bits))
            .await
            .context("key generation task")?
            .with_context(|| format!("generating an RSA-{bits} key"))
    }

    /// Enrolls a new device with identity key `key`: SCEP, Authenticate,
    /// TokenUpdate. The device gets a random UDID, serial number, push
    /// magic and token.
    ///
    /// # Errors
    ///
    /// If the SCEP server refuses or fails, or a check-in is not answered
    /// with 200.
    pub async fn enroll(&self, key: RsaPrivateKey) -> anyhow::Result<Device> {
        let device = self.scep_identity(key).await?;
        self.check_in(&device, &device.authenticate()).await?;
        self.check_in(&device, &device.token_update()).await?;
        Ok(device)
    }

    /// A device whose identity the profile's SCEP server issued.
    async fn scep_identity(&self, key: RsaPrivateKey) -> anyhow::Result<Device> {
        let signer = signer(&key).context("making the SCEP signer certificate")?;
        let mut device = Device::with_identity(self.target.topic.clone(), signer, copy_key(&key)?);
        let name = subject(&self.target.subject, &device)?;
        let csr = cryptoutil::csr::build(name, &key, self.target.challenge.as_deref(), &[])
            .context("building the CSR")?;
        let ca = self.ca_certificates().await?;
        let requester = Requester {
            certificate: device.certificate(),
            key: &key,
        };
        let issued = match self
            .scep
            .enroll(&csr, requester, ca, MessageType::PkcsReq)
            .await
            .with_context(|| format!("SCEP PKCSReq to {}", self.target.scep_url))?
        {
            Enrollment::Issued(certificate) => certificate,
            Enrollment::Pending { .. } => {
                bail!(
                    "SCEP server {} answered PENDING; device-sim needs immediate issuance",
                    self.target.scep_url
                )
            }
            other => bail!("SCEP server {} answered {other:?}", self.target.scep_url),
        };
        device.set_identity(issued, key);
        Ok(device)
    }

    /// The CA certificates (GetCACert), fetched once per run.
    async fn ca_certificates(&self) -> anyhow::Result<&[Certificate]> {
        let ca = self
            .ca
            .get_or_try_init(|| async {
                self.scep
                    .ca_certificates(None)
                    .await
                    .with_context(|| format!("SCEP GetCACert from {}", self.target.scep_url))
            })
            .await?;
        Ok(ca)
    }
}
