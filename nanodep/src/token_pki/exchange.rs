//! The two steps of the token exchange over storage, with the staging and
//! current key pairs. Ported from Go `http/api` `GetCertTokenPKI` and
//! `DecryptTokenPKIHandler`.

use std::time::SystemTime;

use super::{KeyPair, OAuth1Tokens, decrypt_token, self_signed_key_pair};
use crate::error::{Error, StoreError};
use crate::store::Store;

/// Step one: makes a new key pair for `name` and stores it as **staging**
/// (the current pair, which may still sign for an older token, stays).
/// Returns the pair; its certificate goes to Apple Business Manager.
pub async fn stage_key_pair(
    store: &dyn Store,
    name: &str,
    common_name: &str,
    days: u32,
    now: SystemTime,
) -> Result<KeyPair, Error> {
    let pair = self_signed_key_pair(common_name, days, now)?;
    store.store_token_pki(name, &pair).await?;
    Ok(pair)
}

/// Step two: decrypts Apple's token file with the **staging** pair of
/// `name`, then promotes staging to current and stores the tokens.
///
/// Unless `force`, tokens whose consumer key differs from the stored ones
/// are refused with [`Error::MismatchedConsumerKey`] (probably another
/// server's token). Unlike Go nanodep, which upstages before that check,
/// nothing is changed when any check fails.
pub async fn finalize_token(
    store: &dyn Store,
    name: &str,
    p7m: &[u8],
    force: bool,
    now: SystemTime,
) -> Result<OAuth1Tokens, Error> {
    let staging = store.retrieve_staging_token_pki(name).await?;
    let tokens = decrypt_token(p7m, &staging, now)?;
    if !force {
        match store.retrieve_auth_tokens(name).await {
            Ok(old) if old.consumer_key != tokens.consumer_key => {
                return Err(Error::MismatchedConsumerKey {
                    name: name.to_owned(),
                });
            }
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    store.upstage_token_pki(name).await?;
    store.store_auth_tokens(name, &tokens).await?;
    Ok(tokens)
}
