//! A reference MDM server like nanomdm's `cmd/nanomdm`: the MDM endpoints
//! and the nanomdm-compatible API over a memory or file store.
//!
//! ```text
//! cargo run -p nanomdm --example nanomdm -- --listen 127.0.0.1:9000 \
//!     --ca ca.pem --api sekrit --storage file --storage-dsn db
//! ```
//!
//! Routes: `/mdm` (check-ins and command reports, told apart by content
//! type; command reports only with `--checkin`), `/checkin` (with
//! `--checkin`), `/v1/enqueue/{ids}`, `/v1/push/{ids}`, `/v1/pushcert`
//! (with `--api`), `/migration` (with `--migration`), `/version`. Pushes go
//! to APNs with the certificate uploaded to `/v1/pushcert`. TLS is terminated in front of it, as with
//! nanomdm: devices identify with `Mdm-Signature`, or with the certificate
//! a TLS-terminating proxy puts in `--cert-header`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http::{HeaderName, StatusCode};
use mdm_examples::{Handler, plain, serve_http};
use nanomdm::http::MdmHandler;
use nanomdm::http::api::Api;
use nanomdm::identity::{ExtractConfig, TrustStore};
use nanomdm::push::apns::{ApnsConfig, ApnsFactory};
use nanomdm::push::{PushService, Pusher};
use nanomdm::service::{
    CertAuth, CertAuthOptions, Core, Dump, Hooked, Service, UserAuthenticatePolicy,
};
use nanomdm::store::{AllStorage, FileStore, MemoryStore};

/// Where enrollments and the queue live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Storage {
    /// In memory: everything is lost on exit.
    Memory,
    /// Files under `--storage-dsn`.
    File,
}

/// A reference MDM server (port of nanomdm's cmd/nanomdm).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:9000")]
    listen: SocketAddr,
    /// PEM file of the CA certificate(s) that issue device identities.
    #[arg(long)]
    ca: PathBuf,
    /// PEM file of intermediate CA certificates between --ca and devices.
    #[arg(long)]
    intermediate: Option<PathBuf>,
    /// API key: enables /v1/ with HTTP Basic user "nanomdm".
    #[arg(long, env = "NANOMDM_API")]
    api: Option<String>,
    /// Storage backend.
    #[arg(long, value_enum, default_value_t = Storage::File)]
    storage: Storage,
    /// Directory of the file store.
    #[arg(long, default_value = "db")]
    storage_dsn: PathBuf,
    /// Header a TLS-terminating proxy puts the client certificate in
    /// (URL-escaped PEM or RFC 9440), instead of Mdm-Signature.
    #[arg(long)]
    cert_header: Option<HeaderName>,
    /// Serve check-ins at /checkin and only command reports at /mdm.
    #[arg(long)]
    checkin: bool,
    /// Associate unseen certificates on any message (migrated devices).
    #[arg(long)]
    retro: bool,
    /// Answer UserAuthenticate with a zero-length digest challenge instead
    /// of declining additional users.
    #[arg(long)]
    ua_zl_dc: bool,
    /// Write every request and response body to standard output.
    #[arg(long)]
    dump: bool,
    /// Serve /migration (behind the API key): check-ins sent straight to
    /// the core service, without identity or certauth, as nanomdm's
    /// nano2nano sends them.
    #[arg(long, requires = "api")]
    migration: bool,
    /// APNs base URL (the production service by default; the development
    /// one is https://api.sandbox.push.apple.com).
    #[arg(long, default_value = nanomdm::push::apns::PRODUCTION_URL)]
    push_url: http::Uri,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let trust = trust_store(&args)?;
    let store: Arc<dyn AllStorage> = match args.storage {
        Storage::Memory => Arc::new(MemoryStore::new()),
        Storage::File => Arc::new(
            FileStore::open(&args.storage_dsn)
                .with_context(|| format!("opening {}", args.storage_dsn.display()))?,
        ),
    };
    let core = core_service(&args, store.clone());
    let migration = args
        .migration
        .then(|| MdmHandler::without_identity(Arc::new(core.clone())));
    let service = service_chain(&args, core, store.clone());
    let extract = match &args.cert_header {
        Some(name) => ExtractConfig::with_cert_header(name.clone()),
        None => ExtractConfig::new(),
    };
    let mdm = MdmHandler::new(service, extract, trust);
    // Push certificates are uploaded through PUT /v1/pushcert and read from
    // the store on each push, so a renewal needs no restart.
    let factory = ApnsFactory::new(ApnsConfig::with_base_url(args.push_url.clone()));
    let pusher: Arc<dyn Pusher> = Arc::new(PushService::new(
        store.clone(),
        store.clone(),
        Arc::new(factory),
    ));
    let api = args
        .api
        .as_ref()
        .map(|key| Api::new(store.clone(), pusher, key.clone()));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    println!("nanomdm listening on http://{}", listener.local_addr()?);
    let max_body = mdm.max_body();
    let router = Arc::new(Router {
        mdm,
        api,
        migration,
        separate_checkin: args.checkin,
    });
    let handler: Handler = Arc::new(move |request| {
        let router = Arc::clone(&router);
        Box::pin(async move { router.route(request).await })
    });
    serve_http(listener, max_body, handler)
        .await
        .context("serving")
}

/// The configured CA certificates; at least one root is required.
fn trust_store(args: &Args) -> anyhow::Result<TrustStore> {
    let roots = certificates("--ca", &args.ca)?;
    let intermediates = match &args.intermediate {
        Some(path) => certificates("--intermediate", path)?,
        None => Vec::new(),
    };
    Ok(TrustStore::new(roots).with_intermediates(intermediates))
}

/// The certificates of a PEM file given with `flag`; at least one.
fn certificates(
    flag: &str,
    path: &std::path::Path,
) -> anyhow::Result<Vec<cryptoutil::cert::Certificate>> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading {flag} {}", path.display()))?;
    let certificates = cryptoutil::cert::from_pem(&pem)
        .with_context(|| format!("parsing {flag} {}", path.display()))?;
    if certificates.is_empty() {
        bail!("{flag} {} holds no certificate", path.display());
    }
    Ok(certificates)
}

/// The core service with the configured UserAuthenticate policy.
fn core_service(args: &Args, store: Arc<dyn AllStorage>) -> Core {
    let policy = if args.ua_zl_dc {
        UserAuthenticatePolicy::ZeroLengthChallenge
    } else {
        UserAuthenticatePolicy::Decline
    };
    Core::new(store).with_user_authenticate(policy)
}

/// dump → certauth → hooks → core, as nanomdm's reference server.
fn service_chain(args: &Args, core: Core, store: Arc<dyn AllStorage>) -> Arc<dyn Service> {
    let options = CertAuthOptions::default().allow_retroactive(args.retro);
    let certauth = CertAuth::new(Hooked::new(core), store, options);
    if args.dump {
        let stdout: Arc<Mutex<dyn std::io::Write + Send>> = Arc::new(Mutex::new(std::io::stdout()));
        Arc::new(Dump::new(certauth, stdout))
    } else {
        Arc::new(certauth)
    }
}

struct Router {
    mdm: MdmHandler,
    api: Option<Api>,
    migration: Option<MdmHandler>,
    separate_checkin: bool,
}

impl Router {
    async fn route(&self, request: http::Request<Bytes>) -> http::Response<Bytes> {
        let path = request.uri().path().to_owned();
        match (path.as_str(), &self.api) {
            ("/mdm", _) if self.separate_checkin => self.mdm.command(request).await,
            ("/mdm", _) => self.mdm.mdm(request).await,
            ("/checkin", _) if self.separate_checkin => self.mdm.checkin(request).await,
            ("/migration", Some(api)) if self.migration.is_some() => {
                match (api.authorize(request.headers()), &self.migration) {
                    (Ok(()), Some(migration)) => migration.checkin(request).await,
                    (Err(unauthorized), _) => unauthorized,
                    (Ok(()), None) => plain(StatusCode::NOT_FOUND, "not found"),
                }
            }
            ("/version", Some(api)) => api.version(),
            ("/version", None) => version(),
            (path, Some(api)) if path.starts_with("/v1/") => {
                let rest = path.trim_start_matches("/v1/").to_owned();
                api.handle(&rest, request).await
            }
            _ => plain(StatusCode::NOT_FOUND, "not found"),
        }
    }
}

fn version() -> http::Response<Bytes> {
    let body = format!("{{\"version\":\"{}\"}}\n", env!("CARGO_PKG_VERSION"));
    let mut response = http::Response::new(Bytes::from(body));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
