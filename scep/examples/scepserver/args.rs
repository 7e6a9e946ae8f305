//! Command-line flags of `scepserver`: micromdm's flags spelled as long
//! options (`--crtvalid`), with micromdm's single-dash spelling
//! (`-crtvalid`), `--flag=value` and micromdm's environment variables as
//! defaults.

use std::path::PathBuf;

use scep::ca::CaOptions;

pub(crate) const USAGE: &str = "usage: scepserver [options]          serve SCEP at /scep from a file depot
       scepserver ca --init [options]  create a CA in a file depot (scepserver ca --help)
  --listen ADDR            address to listen on, e.g. 127.0.0.1:2016 (:PORT = every interface);
                           overrides --port (default 0.0.0.0:2016) [SCEP_HTTP_ADDR]
  --http-addr ADDR         the same as --listen (micromdm's spelling)
  --port PORT              port to listen on, on every interface (0.0.0.0:PORT) [SCEP_HTTP_LISTEN_PORT]
  --depot DIR              the CA's file depot, micromdm's layout (default depot) [SCEP_FILE_DEPOT]
  --capass PASS            password of depot/ca.key (default empty) [SCEP_CA_PASS]
  --crtvalid DAYS          validity of issued certificates (default 365) [SCEP_CERT_VALID]
  --allowrenew DAYS        renewal allowed from DAYS before expiry, 0 = always (default 14) [SCEP_CERT_RENEW]
  --challenge SECRET       challenge password every enrollment must carry [SCEP_CHALLENGE_PASSWORD]
  --csrverifierexec PATH   program that gets each CSR (DER) on stdin; exit 0 accepts [SCEP_CSR_VERIFIER_EXEC]
  --debug                  log more detail [SCEP_LOG_DEBUG=true]
  --log-json               log JSON objects instead of key=value lines [SCEP_LOG_JSON=true]
  --version                print the version";

pub(crate) const CA_USAGE: &str = "usage: scepserver ca --init [options]
  --init                       create a new CA (required)
  --depot DIR                  where to write it (default depot)
  --key-size BITS              RSA key size: 2048, 3072, 4096 or 8192 (default 4096)
  --years N                    validity of the CA certificate (default 10)
  --organization NAME          O (default scep-ca)
  --organizational-unit NAME   OU (default \"SCEP CA\")
  --country CODE               C (default US)
  --common-name NAME           CN (default \"MICROMDM SCEP CA\"; empty leaves it out)
  --key-password PASS          password that encrypts ca.key (default empty)";

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    /// Serve SCEP.
    Serve(Box<ServeArgs>),
    /// `ca --init`.
    CaInit(Box<CaArgs>),
    /// Print this usage text.
    Help(&'static str),
    /// Print the version.
    Version,
}

/// A usage error: the message and the usage text to print with it.
#[derive(Debug)]
pub(crate) struct UsageError {
    pub(crate) message: String,
    pub(crate) usage: &'static str,
}

/// The port listened on, on every interface, without `--listen` or
/// `--port`.
pub(crate) const DEFAULT_PORT: u16 = 2016;

/// Where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listen {
    /// micromdm's `-port`, and the default: every interface.
    Port(u16),
    /// `--listen` (micromdm's `-http-addr`): exactly this address (`:PORT`
    /// means every interface).
    Addr(String),
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Port(port) => write!(f, "0.0.0.0:{port}"),
            Self::Addr(addr) => f.write_str(addr),
        }
    }
}

/// Settings of the server.
#[derive(Debug, Clone)]
pub(crate) struct ServeArgs {
    pub(crate) listen: Listen,
    pub(crate) depot: PathBuf,
    pub(crate) ca_pass: String,
    pub(crate) crt_valid: u32,
    pub(crate) allow_renew: u32,
    pub(crate) challenge: Option<String>,
    pub(crate) csr_verifier: Option<PathBuf>,
    pub(crate) debug: bool,
    pub(crate) log_json: bool,
}

/// Settings of `ca --init`.
#[derive(Debug, Clone)]
pub(crate) struct CaArgs {
    pub(crate) depot: PathBuf,
    pub(crate) options: CaOptions,
    pub(crate) key_password: String,
}

/// Parses the arguments (without the program name); `env` reads an
/// environment variable.
pub(crate) fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, UsageError> {
    let mut args = args.into_iter().peekable();
    if args.peek().map(String::as_str) == Some("ca") {
        args.next();
        return parse_ca(args).map_err(|message| UsageError {
            message,
            usage: CA_USAGE,
        });
    }
    parse_serve(args, env).map_err(|message| UsageError {
        message,
        usage: USAGE,
    })
}

/// One flag: its name (dashes stripped) and inline `=value`.
struct Flag {
    name: String,
    inline: Option<String>,
}

impl Flag {
    /// `--flag[=v]` or `-flag[=v]`; anything else is not a flag.
    fn read(arg: &str) -> Result<Self, String> {
        let name = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|n| !n.is_empty() && !n.starts_with('-'))
            .ok_or_else(|| format!("unexpected argument {arg}"))?;
        Ok(match name.split_once('=') {
            Some((name, value)) => Self {
                name: name.to_owned(),
                inline: Some(value.to_owned()),
            },
            None => Self {
                name: name.to_owned(),
                inline: None,
            },
        })
    }

    fn value(&self, rest: &mut impl Iterator<Item = String>) -> Result<String, String> {
        match &self.inline {
            Some(value) => Ok(value.clone()),
            None => rest
                .next()
                .ok_or_else(|| format!("--{} needs a value", self.name)),
        }
    }

    /// A boolean flag: bare, or `=true`/`=false` as Go's flag package.
    fn boolean(&self) -> Result<bool, String> {
        match self.inline.as_deref() {
            None | Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(format!("--{}={other}: expected true or false", self.name)),
        }
    }
}

/// Serve flags as given, before defaults and checks.
#[derive(Default)]
struct Raw {
    port: Option<String>,
    listen: Option<String>,
    /// The spelling that set `listen` (`--listen` or `--http-addr`), for
    /// error messages.
    listen_flag: Option<String>,
    depot: Option<String>,
    ca_pass: Option<String>,
    crt_valid: Option<String>,
    allow_renew: Option<String>,
    challenge: Option<String>,
    csr_verifier: Option<String>,
    debug: Option<bool>,
    log_json: Option<bool>,
}

impl Raw {
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "port" => &mut self.port,
            "listen" | "http-addr" => &mut self.listen,
            "depot" => &mut self.depot,
            "capass" => &mut self.ca_pass,
            "crtvalid" => &mut self.crt_valid,
            "allowrenew" => &mut self.allow_renew,
            "challenge" => &mut self.challenge,
            "csrverifierexec" => &mut self.csr_verifier,
            _ => return None,
        })
    }

    /// Fills what the command line left unset from micromdm's environment
    /// variables (an empty variable counts as unset, as upstream). Where to
    /// listen is one setting: `--listen` or `--port` on the command line
    /// replaces both `SCEP_HTTP_ADDR` and `SCEP_HTTP_LISTEN_PORT`.
    fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Self {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        if self.listen.is_none() && self.port.is_none() {
            self.listen = env("SCEP_HTTP_ADDR");
            self.port = env("SCEP_HTTP_LISTEN_PORT");
        }
        let defaults = [
            ("SCEP_FILE_DEPOT", &mut self.depot),
            ("SCEP_CA_PASS", &mut self.ca_pass),
            ("SCEP_CERT_VALID", &mut self.crt_valid),
            ("SCEP_CERT_RENEW", &mut self.allow_renew),
            ("SCEP_CHALLENGE_PASSWORD", &mut self.challenge),
            ("SCEP_CSR_VERIFIER_EXEC", &mut self.csr_verifier),
        ];
        for (name, slot) in defaults {
            if slot.is_none() {
                *slot = env(name);
            }
        }
        for (name, slot) in [
            ("SCEP_LOG_DEBUG", &mut self.debug),
            ("SCEP_LOG_JSON", &mut self.log_json),
        ] {
            if slot.is_none() {
                *slot = Some(env(name).as_deref() == Some("true"));
            }
        }
        self
    }
}

fn parse_serve(
    args: impl Iterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let mut raw = Raw::default();
    let mut args = args;
    while let Some(arg) = args.next() {
        let flag = Flag::read(&arg)?;
        match flag.name.as_str() {
            "help" | "h" => return Ok(Command::Help(USAGE)),
            "version" => return Ok(Command::Version),
            "debug" => raw.debug = Some(flag.boolean()?),
            "log-json" => raw.log_json = Some(flag.boolean()?),
            name => {
                let slot = raw
                    .slot(name)
                    .ok_or_else(|| format!("unknown flag --{name}"))?;
                *slot = Some(flag.value(&mut args)?);
                if matches!(name, "listen" | "http-addr") {
                    raw.listen_flag = Some(format!("--{name}"));
                }
            }
        }
    }
    Ok(Command::Serve(Box::new(check_serve(raw.with_env(env))?)))
}

fn check_serve(raw: Raw) -> Result<ServeArgs, String> {
    // --listen wins over --port (which must still be a port); the default
    // is every interface, port 2016.
    let port = number("--port", raw.port.as_deref(), DEFAULT_PORT)?;
    let listen = match raw.listen {
        Some(addr) => {
            let flag = raw.listen_flag.as_deref().unwrap_or("--listen");
            Listen::Addr(listen_addr(flag, &addr)?)
        }
        None => Listen::Port(port),
    };
    Ok(ServeArgs {
        listen,
        depot: PathBuf::from(raw.depot.unwrap_or_else(|| "depot".into())),
        ca_pass: raw.ca_pass.unwrap_or_default(),
        crt_valid: number("--crtvalid", raw.crt_valid.as_deref(), 365)?,
        allow_renew: number("--allowrenew", raw.allow_renew.as_deref(), 14)?,
        challenge: raw.challenge.filter(|c| !c.is_empty()),
        csr_verifier: raw
            .csr_verifier
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        debug: raw.debug.unwrap_or(false),
        log_json: raw.log_json.unwrap_or(false),
    })
}

/// `HOST:PORT` (a name, an IPv4 address or a bracketed IPv6 address), or
/// `:PORT` for every interface.
fn listen_addr(flag: &str, addr: &str) -> Result<String, String> {
    let bad = || format!("{flag} {addr}: expected HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT}");
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() {
        return Ok(format!("0.0.0.0:{port}"));
    }
    Ok(addr.to_owned())
}

fn number<T>(flag: &str, value: Option<&str>, default: T) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::num::ParseIntError>,
{
    match value {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|e| format!("{flag} {text}: not a valid number ({e})")),
    }
}

/// `ca` flags as given.
#[derive(Default)]
struct RawCa {
    init: bool,
    depot: Option<String>,
    key_size: Option<String>,
    years: Option<String>,
    organization: Option<String>,
    organizational_unit: Option<String>,
    country: Option<String>,
    common_name: Option<String>,
    key_password: Option<String>,
}

impl RawCa {
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "depot" => &mut self.depot,
            "key-size" | "keySize" => &mut self.key_size,
            "years" => &mut self.years,
            "organization" => &mut self.organization,
            "organizational-unit" | "organizational_unit" => &mut self.organizational_unit,
            "country" => &mut self.country,
            "common-name" | "common_name" => &mut self.common_name,
            "key-password" => &mut self.key_password,
            _ => return None,
        })
    }
}

fn parse_ca(args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut raw = RawCa::default();
    let mut args = args;
    while let Some(arg) = args.next() {
        let flag = Flag::read(&arg)?;
        match flag.name.as_str() {
            "help" | "h" => return Ok(Command::Help(CA_USAGE)),
            "init" => raw.init = flag.boolean()?,
            name => {
                let slot = raw
                    .slot(name)
                    .ok_or_else(|| format!("unknown flag --{name}"))?;
                *slot = Some(flag.value(&mut args)?);
            }
        }
    }
    if !raw.init {
        return Err("nothing to do: pass --init to create a CA".into());
    }
    Ok(Command::CaInit(Box::new(check_ca(raw)?)))
}

fn check_ca(raw: RawCa) -> Result<CaArgs, String> {
    let defaults = CaOptions::default();
    let key_bits = match raw.key_size.as_deref() {
        None => defaults.key_bits,
        Some(bits @ ("2048" | "3072" | "4096" | "8192")) => bits.parse().unwrap_or(4096),
        Some(other) => return Err(format!("--key-size {other}: use 2048, 3072, 4096 or 8192")),
    };
    let years = number("--years", raw.years.as_deref(), defaults.years)?;
    if years == 0 {
        return Err("--years 0: the CA must be valid for at least a year".into());
    }
    let options = CaOptions {
        key_bits,
        years,
        country: raw.country.unwrap_or(defaults.country),
        organization: raw.organization.unwrap_or(defaults.organization),
        organizational_unit: raw
            .organizational_unit
            .unwrap_or(defaults.organizational_unit),
        common_name: raw.common_name.unwrap_or(defaults.common_name),
    };
    Ok(CaArgs {
        depot: PathBuf::from(raw.depot.unwrap_or_else(|| "depot".into())),
        options,
        key_password: raw.key_password.unwrap_or_default(),
    })
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
