//! Serves a Munki repository over HTTP/1.1 with `munki::http::RepoServer`,
//! streaming files in chunks:
//!
//! ```text
//! cargo run -p munki --example munkiserver -- --repo DIR --listen 127.0.0.1:8080 [--basic-auth USER:PASS]
//! ```
//!
//! Point clients at it with `SoftwareRepoURL` = `http://ADDR` (plain HTTP:
//! put a TLS-terminating proxy in front for real use).

use std::convert::Infallible;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use munki::FileRepo;
use munki::http::{BasicAuth, RepoServer};
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response body fed chunk by chunk by a task reading the repository.
struct Streamed(mpsc::Receiver<Result<Bytes, BoxError>>);

impl HttpBody for Streamed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

async fn respond(
    server: Arc<RepoServer>,
    request: http::Request<Incoming>,
) -> Result<http::Response<Streamed>, Infallible> {
    let (parts, plan) = server.handle(&request).await.into_parts();
    // Two chunks in flight at most: a slow client never makes us buffer a package.
    let (tx, rx) = mpsc::channel(2);
    if let munki::http::Body::Range { start, .. } = &plan {
        let mut offset = *start;
        tokio::spawn(async move {
            while let Some(chunk) = server.chunk(&plan, offset).await {
                let chunk = chunk.map_err(BoxError::from);
                offset += chunk.as_ref().map_or(0, |c| c.len() as u64);
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    break; // client gone, or the file changed under us
                }
            }
        });
    }
    Ok(http::Response::from_parts(parts, Streamed(rx)))
}

struct Args {
    repo: String,
    listen: String,
    basic_auth: Option<(String, String)>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut repo, mut listen, mut basic_auth) = (None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--repo" => repo = Some(value),
            "--listen" => listen = Some(value),
            "--basic-auth" => {
                let (user, pass) = value
                    .split_once(':')
                    .ok_or("--basic-auth takes USER:PASS")?;
                basic_auth = Some((user.to_owned(), pass.to_owned()));
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        repo: repo.ok_or("--repo DIR is required")?,
        listen: listen.unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
        basic_auth,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "munkiserver: {e}\nusage: munkiserver --repo DIR [--listen ADDR] [--basic-auth USER:PASS]"
            );
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("munkiserver: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let repo = FileRepo::open(&args.repo)
        .map_err(|e| format!("cannot open repository {}: {e}", args.repo))?;
    let mut server = RepoServer::new(Arc::new(repo));
    if let Some((user, pass)) = args.basic_auth {
        server = server.with_authorizer(Arc::new(BasicAuth::new(user, pass)));
    }
    let server = Arc::new(server);
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    println!(
        "munkiserver: serving {} on http://{}",
        args.repo,
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let handler = service_fn(move |request| respond(Arc::clone(&server), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_parse_with_defaults_and_bad_ones_are_refused() {
        let parsed = args(&["--repo", "/r", "--basic-auth", "u:p:q"]).unwrap();
        assert_eq!(
            (parsed.repo.as_str(), parsed.listen.as_str()),
            ("/r", "127.0.0.1:8080")
        );
        assert_eq!(parsed.basic_auth, Some(("u".into(), "p:q".into())));
        assert!(args(&[]).is_err());
        assert!(args(&["--repo"]).is_err());
        assert!(args(&["--repo", "/r", "--basic-auth", "nopass"]).is_err());
        assert!(args(&["--repo", "/r", "--port", "1"]).is_err());
    }
}
