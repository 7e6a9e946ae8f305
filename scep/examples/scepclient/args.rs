//! Command-line flags of `scepclient`, micromdm's flags spelled as long
//! options (`--server-url`); micromdm's single-dash spelling
//! (`-server-url`) and `--flag=value` are accepted too.

use std::path::{Path, PathBuf};

pub(crate) const USAGE: &str = "usage: scepclient --server-url URL --private-key PATH [options]
  --server-url URL         SCEP server URL, e.g. http://127.0.0.1:2016/scep (required)
  --private-key PATH       RSA key (PKCS#1 or PKCS#8 PEM); created when missing (required)
  --key-size BITS          size of a created key: 2048, 3072, 4096 or 8192 (default 2048)
  --certificate PATH       where to write the issued certificate (default <dir of key>/client.pem);
                           when it exists already, it signs a RenewalReq
  --challenge SECRET       challenge password for the CSR
  --cn NAME                common name (default scepclient)
  --organization NAME      organization (default scep-client)
  --ou NAME                organizational unit (default MDM)
  --country CODE           country, upper-cased (default US)
  --locality NAME          locality
  --province NAME          state or province
  --dns-names A,B          DNS names for the subjectAltName
  --ca-fingerprint HEX     SHA-256 of the CA certificate to encrypt to (spaces and colons allowed)
  --cacert-message TEXT    message sent with GetCACert (the CA identifier)
  --debug                  print the CA certificates and capabilities
  --version                print the version";

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    /// Enroll with these settings.
    Enroll(Box<Args>),
    /// Print the usage.
    Help,
    /// Print the version.
    Version,
}

/// The settings of one enrollment.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) server_url: http::Uri,
    pub(crate) private_key: PathBuf,
    pub(crate) key_size: usize,
    pub(crate) certificate: PathBuf,
    pub(crate) challenge: Option<String>,
    pub(crate) cn: String,
    pub(crate) organization: String,
    pub(crate) ou: String,
    pub(crate) country: String,
    pub(crate) locality: String,
    pub(crate) province: String,
    pub(crate) dns_names: Vec<String>,
    pub(crate) ca_fingerprint: Option<Vec<u8>>,
    pub(crate) cacert_message: Option<String>,
    pub(crate) debug: bool,
}

/// Flags as given, before defaults and checks.
#[derive(Default)]
struct Raw {
    server_url: Option<String>,
    private_key: Option<String>,
    key_size: Option<String>,
    certificate: Option<String>,
    challenge: Option<String>,
    cn: Option<String>,
    organization: Option<String>,
    ou: Option<String>,
    country: Option<String>,
    locality: Option<String>,
    province: Option<String>,
    dns_names: Option<String>,
    ca_fingerprint: Option<String>,
    cacert_message: Option<String>,
    debug: bool,
}

/// Parses the arguments (without the program name). `Err` is a usage
/// error, to be printed with the usage text.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut raw = Raw::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let arg = normalise(&arg).ok_or_else(|| format!("unexpected argument {arg}"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        match name.as_str() {
            "help" | "h" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            "debug" if inline.is_none() => raw.debug = true,
            _ => {
                let slot =
                    value_slot(&mut raw, &name).ok_or_else(|| format!("unknown flag --{name}"))?;
                let value = match inline {
                    Some(value) => value,
                    None => it.next().ok_or_else(|| format!("--{name} needs a value"))?,
                };
                *slot = Some(value);
            }
        }
    }
    Ok(Command::Enroll(Box::new(check(raw)?)))
}

/// `--flag` or `-flag` → `flag`; anything else is not a flag.
fn normalise(arg: &str) -> Option<String> {
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    (!name.is_empty() && !name.starts_with('-')).then(|| name.to_owned())
}

fn value_slot<'a>(raw: &'a mut Raw, name: &str) -> Option<&'a mut Option<String>> {
    Some(match name {
        "server-url" => &mut raw.server_url,
        "private-key" => &mut raw.private_key,
        "key-size" | "keySize" => &mut raw.key_size,
        "certificate" => &mut raw.certificate,
        "challenge" => &mut raw.challenge,
        "cn" => &mut raw.cn,
        "organization" => &mut raw.organization,
        "ou" => &mut raw.ou,
        "country" => &mut raw.country,
        "locality" => &mut raw.locality,
        "province" => &mut raw.province,
        "dns-names" | "dnsnames" => &mut raw.dns_names,
        "ca-fingerprint" => &mut raw.ca_fingerprint,
        "cacert-message" => &mut raw.cacert_message,
        _ => return None,
    })
}

fn check(raw: Raw) -> Result<Args, String> {
    let server_url = server_url(raw.server_url.as_deref())?;
    let private_key = PathBuf::from(
        raw.private_key
            .filter(|p| !p.is_empty())
            .ok_or("--private-key is required")?,
    );
    let key_size = match raw.key_size.as_deref() {
        None => 2048,
        Some(bits @ ("2048" | "3072" | "4096" | "8192")) => bits.parse().unwrap_or(2048),
        Some(other) => return Err(format!("--key-size {other}: use 2048, 3072, 4096 or 8192")),
    };
    let certificate = match raw.certificate.filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => key_dir(&private_key).join("client.pem"),
    };
    let ca_fingerprint = raw
        .ca_fingerprint
        .filter(|f| !f.is_empty())
        .map(|f| fingerprint(&f))
        .transpose()?;
    Ok(Args {
        server_url,
        private_key,
        key_size,
        certificate,
        challenge: raw.challenge.filter(|c| !c.is_empty()),
        cn: raw.cn.unwrap_or_else(|| "scepclient".into()),
        organization: raw.organization.unwrap_or_else(|| "scep-client".into()),
        ou: raw.ou.unwrap_or_else(|| "MDM".into()),
        country: raw.country.unwrap_or_else(|| "US".into()).to_uppercase(),
        locality: raw.locality.unwrap_or_default(),
        province: raw.province.unwrap_or_default(),
        dns_names: raw.dns_names.map(|d| split_list(&d)).unwrap_or_default(),
        ca_fingerprint,
        cacert_message: raw.cacert_message.filter(|m| !m.is_empty()),
        debug: raw.debug,
    })
}

fn server_url(value: Option<&str>) -> Result<http::Uri, String> {
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or("--server-url is required")?;
    let url: http::Uri = value
        .parse()
        .map_err(|e| format!("--server-url {value}: {e}"))?;
    match url.scheme_str() {
        Some("http") if url.host().is_some() => Ok(url),
        Some("https") => Err(format!(
            "--server-url {value}: https is not supported by this example (no TLS)"
        )),
        _ => Err(format!(
            "--server-url {value}: expected http://HOST[:PORT]/PATH"
        )),
    }
}

/// The directory of the key file (`.` for a bare file name), where
/// micromdm's client puts `client.pem`.
fn key_dir(key: &Path) -> PathBuf {
    match key.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A SHA-256 fingerprint in hex, with spaces and colons allowed.
pub(crate) fn fingerprint(text: &str) -> Result<Vec<u8>, String> {
    let hex: String = text.chars().filter(|c| !matches!(c, ' ' | ':')).collect();
    let invalid = || format!("--ca-fingerprint {text}: expected 64 hex digits (SHA-256)");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(invalid());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| invalid()))
        .collect()
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enroll(args: &[&str]) -> Result<Args, String> {
        match parse(args.iter().map(|a| (*a).to_owned()))? {
            Command::Enroll(args) => Ok(*args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_follow_micromdm() {
        let args = enroll(&[
            "--server-url",
            "http://h/scep",
            "--private-key",
            "d/key.pem",
        ]);
        let args = args.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.certificate, PathBuf::from("d/client.pem"));
        assert_eq!(
            (args.cn.as_str(), args.organization.as_str()),
            ("scepclient", "scep-client")
        );
        assert_eq!((args.ou.as_str(), args.country.as_str()), ("MDM", "US"));
        assert_eq!(args.key_size, 2048);
        assert!(args.challenge.is_none() && args.ca_fingerprint.is_none() && !args.debug);
    }

    #[test]
    fn single_dash_and_inline_values_are_accepted() {
        let args = enroll(&[
            "-server-url=http://h/scep",
            "-private-key",
            "key.pem",
            "--country=fr",
            "--dns-names",
            "a.test, b.test",
            "-debug",
        ]);
        let args = args.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.certificate, PathBuf::from("./client.pem"));
        assert_eq!(args.country, "FR");
        assert_eq!(args.dns_names, ["a.test", "b.test"]);
        assert!(args.debug);
    }

    #[test]
    fn fingerprints_may_have_spaces_and_colons_but_must_be_sha256() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let spaced =
            "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24 27ae41e4 649b934c a495991b 7852b855";
        assert_eq!(fingerprint(hex), fingerprint(spaced));
        assert_eq!(fingerprint(&hex.to_uppercase()), fingerprint(hex));
        assert!(fingerprint(&hex[..40]).is_err());
        assert!(fingerprint(&hex.replace('e', "g")).is_err());
    }

    #[test]
    fn missing_or_bad_flags_are_usage_errors() {
        let missing = enroll(&["--server-url", "http://h/scep"]);
        assert_eq!(missing.unwrap_err(), "--private-key is required");
        let tls = enroll(&["--server-url", "https://h/scep", "--private-key", "k"]);
        assert!(tls.unwrap_err().contains("https is not supported"));
        let size = enroll(&[
            "--server-url",
            "http://h/",
            "--private-key",
            "k",
            "--key-size",
            "1024",
        ]);
        assert!(size.unwrap_err().contains("--key-size 1024"));
        let unknown = enroll(&["--server-url", "http://h/", "--bogus", "x"]);
        assert_eq!(unknown.unwrap_err(), "unknown flag --bogus");
        assert!(
            enroll(&["--server-url"])
                .unwrap_err()
                .contains("needs a value")
        );
    }
}
