//! `fleet-server serve`: check the configuration, migrate the database when
//! it is behind, build the MDM services and the API, start the periodic
//! jobs and serve until SIGINT or SIGTERM.

pub mod resolve;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use tokio::net::TcpListener;

use crate::api::{ApiSettings, DEFAULT_SESSION_TTL, FleetApi};
use crate::config::{ConfigError, DatabaseArgs, MdmArgs, ServerArgs};
use crate::db::{Db, DbError, prepare_db};
use crate::enrollments::ManualEnrollments;
use crate::enrollments::profile::{EnrollProfileHandler, EnrollProfileSettings, ProfileSigner};
use crate::hosts::{HostHook, Hosts};
use crate::jobs::{self, Job};
use crate::mdm;
use crate::server::metrics::{Metrics, MetricsHook};
use crate::server::routes::{Handler, HandlerBox};
use crate::server::{self, Routes, tls};

pub use resolve::{DevMode, Settings, resolve};

/// The flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    #[allow(missing_docs, reason = "flattened: the fields carry the docs")]
    pub server: ServerArgs,
    #[command(flatten)]
    #[allow(missing_docs, reason = "flattened: the fields carry the docs")]
    pub database: DatabaseArgs,
    #[command(flatten)]
    #[allow(missing_docs, reason = "flattened: the fields carry the docs")]
    pub mdm: MdmArgs,
    /// Development mode: needs nothing. SQLite in the dev data directory
    /// (unless FLEET_MYSQL_ADDRESS is set), a generated SCEP CA and push
    /// certificate, a built-in APNs sink, plain HTTP, Apple MDM on.
    #[arg(long)]
    pub dev: bool,
    /// Where --dev keeps its generated files and database.
    #[arg(long, env = "FLEET_DEV_DATA_DIR", default_value = None)]
    pub dev_data_dir: Option<PathBuf>,
    /// Seconds between runs of the periodic maintenance job (which one
    /// replica runs at a time, under a database lock).
    #[arg(long, env = "FLEET_CLEANUPS_INTERVAL", default_value_t = 60)]
    pub cleanups_interval: u64,
}

/// Why `serve` stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database failed at start.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The listener cannot be bound.
    #[error("cannot listen on {address}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Building the MDM services failed.
    #[error("cannot start Apple MDM")]
    Mdm(#[source] nanomdm::store::StoreError),
}

/// Runs the server until `shutdown` completes.
pub async fn run(args: ServeArgs, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    let listener = TcpListener::bind(args.server.server_address)
        .await
        .map_err(|source| ServeError::Listen {
            address: args.server.server_address,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| ServeError::Listen {
        address: args.server.server_address,
        source,
    })?;
    let settings = resolve(&args, bound, SystemTime::now())?;
    let db = Db::open(&settings.db)?;
    migrate_if_behind(&db).await?;

    let metrics = Metrics::new();
    let routes = routes(&db, &settings, bound, &metrics).await?;
    let acceptor = match &settings.tls {
        Some((cert, key)) => {
            let client_ca = settings
                .mdm
                .as_ref()
                .map(|m| x509_cert::der::Encode::to_der(&m.ca.certificate))
                .transpose()
                .map_err(|e| ConfigError::invalid("FLEET_MDM_APPLE_SCEP_CERT", e))?;
            Some(tls::acceptor(cert, key, client_ca.as_deref())?)
        }
        None => None,
    };
    announce(&settings, bound);

    let owner = jobs::replica_id();
    let cleanup = cleanup_job(&db, Duration::from_secs(args.cleanups_interval.max(1)));
    let job_task = tokio::spawn(jobs::run(
        db.clone(),
        owner.clone(),
        cleanup.clone(),
        metrics.clone(),
    ));
    server::serve(listener, acceptor, Arc::new(routes), shutdown).await;
    job_task.abort();
    jobs::release(&db, &owner, &cleanup).await;
    tracing::info!("stopped");
    Ok(())
}

/// Runs pending migrations, saying so; refuses a database from a newer
/// build.
async fn migrate_if_behind(db: &Db) -> Result<(), DbError> {
    let status = db.migration_status().await?;
    if !status.is_current() {
        tracing::info!(
            pending = status.pending.len(),
            "the database schema is behind: running migrations"
        );
        let applied = prepare_db(db).await?;
        tracing::info!(?applied, "migrations applied");
    }
    Ok(())
}

async fn routes(
    db: &Db,
    settings: &Settings,
    bound: SocketAddr,
    metrics: &Arc<Metrics>,
) -> Result<Routes, ServeError> {
    let server_url = match &settings.mdm {
        Some(mdm) => mdm.server_url.clone(),
        None => format!("http://{bound}"),
    };
    let api = Arc::new(FleetApi::new(db.clone(), ApiSettings::new(server_url)));
    let api: Handler = Arc::new(move |request| {
        let api = Arc::clone(&api);
        Box::pin(async move { api.handle(request).await })
    });
    let mut routes = Routes {
        db: db.clone(),
        metrics: metrics.clone(),
        scep: None,
        mdm: None,
        enroll: None,
        api: Some(HandlerBox(api)),
    };
    if let Some(mdm_settings) = &settings.mdm {
        let hooks: Vec<Arc<dyn nanomdm::service::Hook>> = vec![
            Arc::new(HostHook::new(Hosts::new(db.clone()))),
            Arc::new(MetricsHook(metrics.clone())),
        ];
        // resolve() refuses MDM without FLEET_SERVER_PRIVATE_KEY.
        let Some(cipher) = settings.cipher.clone() else {
            return Err(ConfigError::Missing {
                variable: "FLEET_SERVER_PRIVATE_KEY",
                why: "when Apple MDM is enabled",
            }
            .into());
        };
        let built = mdm::build(db, mdm_settings, cipher, hooks)
            .await
            .map_err(ServeError::Mdm)?;
        routes.scep = Some(built.scep);
        routes.mdm = Some(built.handler);
        // Profiles are signed by the SCEP CA, which every replica has.
        let profile = EnrollProfileSettings {
            server_url: mdm_settings.server_url.clone(),
            scep_challenge: mdm_settings.scep_challenge.expose().to_owned(),
            apns_topic: mdm_settings.push.topic().to_owned(),
            sign_message: !settings.verifies_client_certificates(),
            signer: Some(ProfileSigner {
                certificate: mdm_settings.ca.certificate.clone(),
                key: mdm_settings.ca.key.clone(),
            }),
        };
        let enroll = Arc::new(EnrollProfileHandler::new(
            ManualEnrollments::new(db.clone()),
            Arc::new(profile),
        ));
        let enroll: Handler = Arc::new(move |request| {
            let enroll = Arc::clone(&enroll);
            Box::pin(async move { enroll.handle(request).await })
        });
        routes.enroll = Some(HandlerBox(enroll));
    }
    Ok(routes)
}

/// The maintenance job: what one replica does periodically.
fn cleanup_job(db: &Db, interval: Duration) -> Job {
    let db = db.clone();
    Job {
        name: "cleanups_then_aggregation",
        interval,
        run: Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let swept = db
                    .delete_expired_sessions(DEFAULT_SESSION_TTL, SystemTime::now())
                    .await?;
                if swept > 0 {
                    tracing::info!(swept, "expired sessions deleted");
                }
                Ok(())
            })
        }),
    }
}

/// Logs where the server listens; in dev mode, also prints what to do next.
fn announce(settings: &Settings, bound: SocketAddr) {
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(address = %bound, scheme, mdm = settings.mdm.is_some(), "listening");
    // Tests and scripts wait for this line.
    println!("fleet-server listening on {scheme}://{bound}");
    let (Some(dev), Some(mdm)) = (&settings.dev, &settings.mdm) else {
        return;
    };
    let url = &mdm.server_url;
    // For the newcomer: on standard output, apart from the logs.
    println!(
        "\nfleet-server (dev mode) is listening on {url}\n\
         data directory: {}\n\
         APNs topic: {} (pushes are recorded by the built-in sink, not sent)\n\n\
         Create the first admin:\n  \
           curl -s {url}/api/v1/setup -H 'Content-Type: application/json' -d '{{\"admin\": {{\"email\": \"admin@example.com\", \"name\": \"Admin\", \"password\": \"change-me-now-1!\", \"password_confirmation\": \"change-me-now-1!\"}}, \"org_info\": {{\"org_name\": \"Example\"}}, \"server_url\": \"{url}\"}}'\n\n\
         Create a manual enrollment with the returned token:\n  \
           curl -s {url}/api/v1/fleet/mdm/apple/enrollments -H \"Authorization: Bearer $TOKEN\" -d '{{\"name\": \"dev\"}}'\n\n\
         Enroll simulated Macs with the enrollment's url:\n  \
           cargo run -p mdm-examples --bin device-sim -- --profile '<enrollment url>' --devices 10\n",
        dev.data_dir.display(),
        mdm.push.topic(),
    );
}
