//! Everything in files of one directory, in the layout of Go nanodep's
//! `file` storage backend:
//!
//! | file | content |
//! |---|---|
//! | `<name>.tokens.json` | the OAuth tokens JSON |
//! | `<name>.config.json` | the config JSON |
//! | `<name>.profile.txt` | the assigner profile UUID and a newline; the file's mtime is the modification time |
//! | `<name>.cursor.txt` | the cursor and a newline; mtime as above |
//! | `<name>.tokenpki.staging.{cert,key}.txt` | the staging key pair (PEM) |
//! | `<name>.tokenpki.{cert,key}.txt` | the current key pair (PEM) |
//! | `<name>.assignments.json` | per-device assignment results (nanodep-rs only) |
//!
//! Every file is replaced atomically (a temporary file in the same
//! directory, then a rename), so readers take no lock; writers within the
//! process are serialised. As upstream, upstaging writes two files, so a
//! crash in between leaves a current certificate and key that do not
//! match; [`KeyPair::load`] detects that.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    AssignerProfileStore, AssignmentStore, AuthTokensStore, Config, ConfigStore, CursorStore,
    DeviceAssignment, Stamped, StoreError, TokenPkiStore,
};
use crate::token_pki::{KeyPair, OAuth1Tokens};

/// Why a [`FileStore`] operation failed (inside [`StoreError::Backend`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// The DEP name cannot be a file name prefix.
    #[error("invalid DEP name {0:?} for a file store")]
    InvalidName(String),
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: "read", "write", "rename to", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A JSON file does not hold what this store wrote.
    #[error("malformed {}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        #[source]
        source: serde_json::Error,
    },
}

impl From<FileStoreError> for StoreError {
    fn from(e: FileStoreError) -> Self {
        Self::Backend(Box::new(e))
    }
}

/// A [`Store`](super::Store) in a directory.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    writes: Mutex<()>,
    temp_counter: AtomicU64,
}

impl FileStore {
    /// Opens the store in `dir`, creating the directory if needed.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| FileStoreError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            writes: Mutex::new(()),
            temp_counter: AtomicU64::new(0),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str, suffix: &str) -> Result<PathBuf, FileStoreError> {
        let valid = !name.is_empty()
            && name.len() <= 200
            && !name.starts_with('.')
            && !name.contains(['/', '\\', '\0']);
        if !valid {
            return Err(FileStoreError::InvalidName(name.to_owned()));
        }
        Ok(self.dir.join(format!("{name}.{suffix}")))
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(
        &self,
        path: &Path,
        bytes: &[u8],
        modified: Option<SystemTime>,
    ) -> Result<(), FileStoreError> {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".tmp-{}-{n}", std::process::id()));
        let io = |action, path: &Path| {
            let path = path.to_owned();
            move |source| FileStoreError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = std::fs::File::create(&temp).map_err(io("create", &temp))?;
        file.write_all(bytes).map_err(io("write", &temp))?;
        if let Some(at) = modified {
            file.set_modified(at)
                .map_err(io("set the time of", &temp))?;
        }
        file.sync_all().map_err(io("sync", &temp))?;
        drop(file);
        std::fs::rename(&temp, path).map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            FileStoreError::Io {
                action: "rename to",
                path: path.to_owned(),
                source,
            }
        })
    }

    fn remove(&self, path: &Path) -> Result<(), FileStoreError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(FileStoreError::Io {
                action: "remove",
                path: path.to_owned(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    fn write_json(&self, path: &Path, value: &impl Serialize) -> Result<(), FileStoreError> {
        let json = serde_json::to_vec_pretty(value).map_err(|source| FileStoreError::Json {
            path: path.to_owned(),
            source,
        })?;
        self.write(path, &json, None)
    }

    fn write_stamped(
        &self,
        path: &Path,
        value: &str,
        at: SystemTime,
    ) -> Result<(), FileStoreError> {
        let _guard = self.lock();
        if value.is_empty() {
            return self.remove(path);
        }
        self.write(path, format!("{value}\n").as_bytes(), Some(at))
    }

    fn read_pair(&self, name: &str, infix: &str) -> Result<KeyPair, StoreError> {
        let cert = self.path(name, &format!("tokenpki.{infix}cert.txt"))?;
        let key = self.path(name, &format!("tokenpki.{infix}key.txt"))?;
        match (read_text(&cert)?, read_text(&key)?) {
            (Some(certificate_pem), Some(key_pem)) => Ok(KeyPair {
                certificate_pem,
                key_pem,
            }),
            _ => Err(StoreError::NotFound),
        }
    }
}

fn read(path: &Path) -> Result<Option<(Vec<u8>, SystemTime)>, FileStoreError> {
    let io = |action| {
        move |source| FileStoreError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let meta = std::fs::metadata(path).map_err(io("stat"))?;
            Ok(Some((bytes, meta.modified().map_err(io("stat"))?)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read")(e)),
    }
}

fn read_text(path: &Path) -> Result<Option<String>, FileStoreError> {
    Ok(read(path)?.map(|(bytes, _)| String::from_utf8_lossy(&bytes).into_owned()))
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, FileStoreError> {
    let Some((bytes, _)) = read(path)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| FileStoreError::Json {
            path: path.to_owned(),
            source,
        })
}

fn read_stamped(path: &Path) -> Result<Option<Stamped>, FileStoreError> {
    Ok(read(path)?.and_then(|(bytes, modified)| {
        let value = String::from_utf8_lossy(&bytes).trim().to_owned();
        (!value.is_empty()).then_some(Stamped { value, modified })
    }))
}

#[async_trait]
impl AuthTokensStore for FileStore {
    async fn retrieve_auth_tokens(&self, name: &str) -> Result<OAuth1Tokens, StoreError> {
        read_json(&self.path(name, "tokens.json")?)?.ok_or(StoreError::NotFound)
    }

    async fn store_auth_tokens(&self, name: &str, tokens: &OAuth1Tokens) -> Result<(), StoreError> {
        let path = self.path(name, "tokens.json")?;
        let _guard = self.lock();
        Ok(self.write_json(&path, tokens)?)
    }
}

#[async_trait]
impl ConfigStore for FileStore {
    async fn retrieve_config(&self, name: &str) -> Result<Option<Config>, StoreError> {
        Ok(read_json(&self.path(name, "config.json")?)?)
    }

    async fn store_config(&self, name: &str, config: &Config) -> Result<(), StoreError> {
        let path = self.path(name, "config.json")?;
        let _guard = self.lock();
        Ok(self.write_json(&path, config)?)
    }
}

#[async_trait]
impl AssignerProfileStore for FileStore {
    async fn retrieve_assigner_profile(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(read_stamped(&self.path(name, "profile.txt")?)?)
    }

    async fn store_assigner_profile(
        &self,
        name: &str,
        profile_uuid: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        Ok(self.write_stamped(&self.path(name, "profile.txt")?, profile_uuid, at)?)
    }
}

#[async_trait]
impl CursorStore for FileStore {
    async fn retrieve_cursor(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(read_stamped(&self.path(name, "cursor.txt")?)?)
    }

    async fn store_cursor(
        &self,
        name: &str,
        cursor: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        Ok(self.write_stamped(&self.path(name, "cursor.txt")?, cursor, at)?)
    }
}

#[async_trait]
impl TokenPkiStore for FileStore {
    async fn store_token_pki(&self, name: &str, pair: &KeyPair) -> Result<(), StoreError> {
        let cert = self.path(name, "tokenpki.staging.cert.txt")?;
        let key = self.path(name, "tokenpki.staging.key.txt")?;
        let _guard = self.lock();
        // Key first: a crash in between leaves a mismatch KeyPair::load sees.
        self.write(&key, pair.key_pem.as_bytes(), None)?;
        Ok(self.write(&cert, pair.certificate_pem.as_bytes(), None)?)
    }

    async fn retrieve_staging_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        self.read_pair(name, "staging.")
    }

    async fn retrieve_current_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        self.read_pair(name, "")
    }

    async fn upstage_token_pki(&self, name: &str) -> Result<(), StoreError> {
        let _guard = self.lock();
        let staging = self.read_pair(name, "staging.")?;
        self.write(
            &self.path(name, "tokenpki.key.txt")?,
            staging.key_pem.as_bytes(),
            None,
        )?;
        let cert = self.path(name, "tokenpki.cert.txt")?;
        Ok(self.write(&cert, staging.certificate_pem.as_bytes(), None)?)
    }
}

type Assignments = std::collections::BTreeMap<String, DeviceAssignment>;

#[async_trait]
impl AssignmentStore for FileStore {
    async fn store_assignments(
        &self,
        name: &str,
        results: &[DeviceAssignment],
    ) -> Result<(), StoreError> {
        let path = self.path(name, "assignments.json")?;
        let _guard = self.lock();
        let mut all: Assignments = read_json(&path)?.unwrap_or_default();
        for result in results {
            all.insert(result.serial_number.clone(), result.clone());
        }
        Ok(self.write_json(&path, &all)?)
    }

    async fn retrieve_assignment(
        &self,
        name: &str,
        serial_number: &str,
    ) -> Result<Option<DeviceAssignment>, StoreError> {
        let all: Option<Assignments> = read_json(&self.path(name, "assignments.json")?)?;
        Ok(all.and_then(|mut all| all.remove(serial_number)))
    }

    async fn assignments_due(
        &self,
        name: &str,
        now: SystemTime,
    ) -> Result<Vec<DeviceAssignment>, StoreError> {
        let all: Assignments =
            read_json(&self.path(name, "assignments.json")?)?.unwrap_or_default();
        Ok(super::due(all.values(), now))
    }
}
