//! The HTTP adapter driven in the Munki client's request order, in memory.

use std::sync::Arc;

use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use munki::http::{BasicAuth, Body, Credentials, RepoServer};
use munki::manifest::resolve::ClientFacts;
use munki::{Catalog, IconHashes, Manifest};

use crate::support::{PKG, PKG_LEN, SERIAL, build_repo, pkg_bytes};

/// A Munki client's view of a response.
struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

async fn send(server: &RepoServer, method: Method, path: &str, extra: &[(&str, &str)]) -> Got {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    let response: Response<Body> = server.handle(&builder.body(()).unwrap()).await;
    let body = server.collect(response.body()).await.unwrap().to_vec();
    Got {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}

async fn get(server: &RepoServer, path: &str, extra: &[(&str, &str)]) -> Got {
    send(server, Method::GET, path, extra).await
}

/// The client percent-encodes resource names (`urlPathAllowed`).
fn url(kind: &str, name: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2F", "/")
        .replace("%2E", ".")
        .replace("%2D", "-")
        .replace("%5F", "_");
    format!("/repo/{kind}/{encoded}")
}

#[tokio::test]
async fn a_client_run_finds_its_manifest_downloads_resumes_and_revalidates() {
    let dir = tempfile::tempdir().unwrap();
    let repo = build_repo(dir.path()).await;
    let server = RepoServer::new(Arc::new(repo)).mounted_at("/repo/");

    // Primary manifest: host name, short host name, then the serial.
    let facts = ClientFacts {
        hostname: Some("mac-01.example.test".into()),
        serial_number: Some(SERIAL.into()),
        ..ClientFacts::default()
    };
    let mut primary = None;
    for name in facts.manifest_candidates() {
        let got = get(&server, &url("manifests", &name), &[]).await;
        if got.status == StatusCode::OK {
            primary = Some((name, got));
            break;
        }
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{name}");
    }
    let (name, got) = primary.unwrap();
    assert_eq!(name, SERIAL);
    assert_eq!(got.headers[header::CONTENT_TYPE], "application/xml");
    let manifest = Manifest::from_bytes(&got.body).unwrap();
    let manifest_etag = got.headers[header::ETAG].to_str().unwrap().to_owned();

    // Included manifests, then the catalogs.
    for included in manifest.all_included_manifests() {
        let got = get(&server, &url("manifests", included), &[]).await;
        assert_eq!(got.status, StatusCode::OK, "{included}");
        assert_eq!(
            Manifest::from_bytes(&got.body).unwrap().managed_installs,
            Some(vec!["Tool".into()])
        );
    }
    let got = get(&server, &url("catalogs", "production"), &[]).await;
    let catalog_modified = got.headers[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();
    let catalog = Catalog::from_bytes(&got.body).unwrap();
    let item = catalog.items_named("Tool").next().unwrap();
    let location = item.installer_item_location.clone().unwrap();
    assert_eq!(location, PKG);

    // The package: the connection drops after 300 000 bytes; the client
    // resumes with Range and checks the ETag is unchanged.
    let first = get(&server, &url("pkgs", &location), &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.headers[header::CONTENT_LENGTH],
        PKG_LEN.to_string().as_str()
    );
    assert_eq!(first.headers[header::ACCEPT_RANGES], "bytes");
    let mut partial = first.body[..300_000].to_vec();
    let etag = first.headers[header::ETAG].to_str().unwrap();
    let rest = get(
        &server,
        &url("pkgs", &location),
        &[("range", "bytes=300000-")],
    )
    .await;
    assert_eq!(rest.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(rest.headers[header::ETAG], etag);
    assert_eq!(
        rest.headers[header::CONTENT_RANGE],
        format!("bytes 300000-{}/{PKG_LEN}", PKG_LEN - 1).as_str()
    );
    assert_eq!(
        rest.headers[header::CONTENT_LENGTH],
        (PKG_LEN - 300_000).to_string().as_str()
    );
    partial.extend_from_slice(&rest.body);
    assert_eq!(partial, pkg_bytes());

    // Icons and client resources.
    let hashes = get(&server, &url("icons", "_icon_hashes.plist"), &[]).await;
    assert!(
        IconHashes::from_bytes(&hashes.body)
            .unwrap()
            .0
            .contains_key("Tool.png")
    );
    let icon = get(&server, &url("icons", "Tool.png"), &[]).await;
    assert_eq!(icon.headers[header::CONTENT_TYPE], "image/png");
    let zip = get(&server, &url("client_resources", "site_default.zip"), &[]).await;
    assert_eq!(
        (
            zip.status,
            zip.headers[header::CONTENT_TYPE].to_str().unwrap()
        ),
        (StatusCode::OK, "application/zip")
    );

    // The next run revalidates what it stored: 304 and no body.
    let again = get(
        &server,
        &url("manifests", SERIAL),
        &[("if-none-match", &manifest_etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.headers[header::ETAG], manifest_etag.as_str());
    let again = get(
        &server,
        &url("catalogs", "production"),
        &[("if-modified-since", &catalog_modified)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let changed = get(
        &server,
        &url("manifests", SERIAL),
        &[("if-none-match", "\"stale\"")],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
}

#[tokio::test]
async fn head_ranges_past_the_end_and_other_methods() {
    let dir = tempfile::tempdir().unwrap();
    let server = RepoServer::new(Arc::new(build_repo(dir.path()).await));
    let pkg = url("pkgs", PKG).replacen("/repo", "", 1);
    let head = send(&server, Method::HEAD, &pkg, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(
        head.headers[header::CONTENT_LENGTH],
        PKG_LEN.to_string().as_str()
    );
    let past = get(&server, &pkg, &[("range", &format!("bytes={PKG_LEN}-"))]).await;
    assert_eq!(past.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers[header::CONTENT_RANGE],
        format!("bytes */{PKG_LEN}").as_str()
    );
    let closed = get(&server, &pkg, &[("range", "bytes=10-19")]).await;
    assert_eq!(closed.body, pkg_bytes()[10..20]);
    let post = send(&server, Method::POST, &pkg, &[]).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers[header::ALLOW], "GET, HEAD");
}

#[tokio::test]
async fn traversal_attempts_and_unserved_kinds_are_not_found() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let repo = build_repo(dir.path()).await;
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        dir.path().join("pkgs/leak.pkg"),
    )
    .unwrap();
    let server = RepoServer::new(Arc::new(repo));
    for path in [
        "/pkgs/../pkgsinfo/apps/Tool-1.0.plist",
        "/pkgs/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/pkgs/apps/..%2f..%2fmanifests/site_default",
        "/manifests/%2fetc%2fpasswd",
        "/manifests//etc/passwd",
        "/pkgs/apps%5c..%5c..%5csecret",
        "/pkgs/leak.pkg",
        "/pkgsinfo/apps/Tool-1.0.plist",
        "/pkgs/.hidden",
        "/etc/passwd",
        "/manifests",
        "/pkgs/%ff",
    ] {
        let got = get(&server, path, &[]).await;
        assert!(
            matches!(got.status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
            "{path}: {}",
            got.status
        );
        assert!(got.body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn without_the_right_credentials_the_answer_is_401_with_a_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let server = RepoServer::new(Arc::new(build_repo(dir.path()).await))
        .with_authorizer(Arc::new(BasicAuth::new("munki", "s3cret")));
    let path = "/manifests/site_default";
    let denied = get(&server, path, &[]).await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        denied.headers[header::WWW_AUTHENTICATE],
        "Basic realm=\"Munki\""
    );
    let wrong = Credentials::Basic {
        user: "munki".into(),
        password: "guess".into(),
    }
    .header_value()
    .unwrap();
    assert_eq!(
        get(&server, path, &[("authorization", &wrong)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let right = Credentials::Basic {
        user: "munki".into(),
        password: "s3cret".into(),
    }
    .header_value()
    .unwrap();
    assert_eq!(
        get(&server, path, &[("authorization", &right)])
            .await
            .status,
        StatusCode::OK
    );
    // A missing resource is only revealed to an authorised client.
    assert_eq!(
        get(&server, "/manifests/nope", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}
