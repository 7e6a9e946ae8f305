//! Writing an [`EnrollmentProfile`] as a plist and reading one back.

use plist::{Dictionary, Value};

use super::{
    CONFIGURATION_PAYLOAD_TYPE, EnrollmentProfile, MDM_PAYLOAD_TYPE, MdmPayload, ProfileError,
    SCEP_PAYLOAD_TYPE, ScepPayload,
};

/// The profile as an XML plist.
pub(super) fn to_xml(profile: &EnrollmentProfile) -> Result<Vec<u8>, ProfileError> {
    let mut content = vec![Value::Dictionary(scep_dictionary(&profile.scep))];
    if let Some(mdm) = &profile.mdm {
        content.push(Value::Dictionary(mdm_dictionary(mdm)));
    }
    let mut outer = Dictionary::new();
    outer.insert("PayloadContent".into(), Value::Array(content));
    insert_common(
        &mut outer,
        CONFIGURATION_PAYLOAD_TYPE,
        &profile.identifier,
        &profile.uuid,
        profile.display_name.as_deref(),
    );
    insert_opt(
        &mut outer,
        "PayloadOrganization",
        profile.organization.as_deref(),
    );
    let mut xml = Vec::new();
    Value::Dictionary(outer)
        .to_writer_xml(&mut xml)
        .map_err(ProfileError::Plist)?;
    Ok(xml)
}

fn insert_common(
    dict: &mut Dictionary,
    payload_type: &str,
    identifier: &str,
    uuid: &str,
    display_name: Option<&str>,
) {
    dict.insert("PayloadType".into(), payload_type.into());
    dict.insert("PayloadVersion".into(), Value::Integer(1.into()));
    dict.insert("PayloadIdentifier".into(), identifier.into());
    dict.insert("PayloadUUID".into(), uuid.into());
    insert_opt(dict, "PayloadDisplayName", display_name);
}

fn insert_opt(dict: &mut Dictionary, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        dict.insert(key.into(), value.into());
    }
}

fn insert_int(dict: &mut Dictionary, key: &str, value: Option<u32>) {
    if let Some(value) = value {
        dict.insert(key.into(), Value::Integer(u64::from(value).into()));
    }
}

fn scep_dictionary(scep: &ScepPayload) -> Dictionary {
    let mut content = Dictionary::new();
    content.insert("URL".into(), scep.url.as_str().into());
    insert_opt(&mut content, "Name", scep.name.as_deref());
    insert_opt(&mut content, "Challenge", scep.challenge.as_deref());
    insert_int(&mut content, "Keysize", Some(scep.keysize));
    content.insert("Key Type".into(), scep.key_type.as_str().into());
    insert_int(&mut content, "Key Usage", Some(scep.key_usage));
    if !scep.subject.is_empty() {
        content.insert("Subject".into(), subject_value(&scep.subject));
    }
    insert_int(&mut content, "Retries", scep.retries);
    insert_int(&mut content, "RetryDelay", scep.retry_delay);
    let mut dict = Dictionary::new();
    dict.insert("PayloadContent".into(), Value::Dictionary(content));
    insert_common(
        &mut dict,
        SCEP_PAYLOAD_TYPE,
        &scep.identifier,
        &scep.uuid,
        scep.display_name.as_deref(),
    );
    dict
}

fn subject_value(subject: &[Vec<(String, String)>]) -> Value {
    let rdn = |pairs: &Vec<(String, String)>| {
        let pairs = pairs
            .iter()
            .map(|(name, value)| Value::Array(vec![name.as_str().into(), value.as_str().into()]));
        Value::Array(pairs.collect())
    };
    Value::Array(subject.iter().map(rdn).collect())
}

fn mdm_dictionary(mdm: &MdmPayload) -> Dictionary {
    let mut dict = Dictionary::new();
    insert_common(
        &mut dict,
        MDM_PAYLOAD_TYPE,
        &mdm.identifier,
        &mdm.uuid,
        mdm.display_name.as_deref(),
    );
    dict.insert("ServerURL".into(), mdm.server_url.as_str().into());
    insert_opt(&mut dict, "CheckInURL", mdm.check_in_url.as_deref());
    dict.insert("Topic".into(), mdm.topic.as_str().into());
    dict.insert(
        "IdentityCertificateUUID".into(),
        mdm.identity_certificate_uuid.as_str().into(),
    );
    insert_int(&mut dict, "AccessRights", Some(mdm.access_rights));
    dict.insert("SignMessage".into(), mdm.sign_message.into());
    dict.insert(
        "CheckOutWhenRemoved".into(),
        mdm.check_out_when_removed.into(),
    );
    if !mdm.server_capabilities.is_empty() {
        let capabilities = mdm.server_capabilities.iter().map(|c| c.as_str().into());
        dict.insert(
            "ServerCapabilities".into(),
            Value::Array(capabilities.collect()),
        );
    }
    dict
}

/// Reads a profile plist (XML or binary).
pub(super) fn parse(plist: &[u8]) -> Result<EnrollmentProfile, ProfileError> {
    let value = Value::from_reader(std::io::Cursor::new(plist)).map_err(ProfileError::Plist)?;
    let outer = value.as_dictionary().ok_or(ProfileError::Invalid {
        field: "profile",
        reason: "not a dictionary",
    })?;
    if string(outer, "PayloadType")? != CONFIGURATION_PAYLOAD_TYPE {
        return Err(ProfileError::Invalid {
            field: "PayloadType",
            reason: "not Configuration",
        });
    }
    let payloads = outer
        .get("PayloadContent")
        .and_then(Value::as_array)
        .ok_or(ProfileError::Missing("PayloadContent"))?;
    let mut scep = None;
    let mut mdm = None;
    for payload in payloads.iter().filter_map(Value::as_dictionary) {
        match payload.get("PayloadType").and_then(Value::as_string) {
            Some(SCEP_PAYLOAD_TYPE) if scep.is_none() => scep = Some(parse_scep(payload)?),
            Some(MDM_PAYLOAD_TYPE) if mdm.is_none() => mdm = Some(parse_mdm(payload)?),
            _ => {}
        }
    }
    Ok(EnrollmentProfile {
        identifier: string(outer, "PayloadIdentifier")?,
        uuid: string(outer, "PayloadUUID")?,
        display_name: opt_string(outer, "PayloadDisplayName")?,
        organization: opt_string(outer, "PayloadOrganization")?,
        scep: scep.ok_or(ProfileError::Missing("com.apple.security.scep payload"))?,
        mdm,
    })
}

fn parse_scep(payload: &Dictionary) -> Result<ScepPayload, ProfileError> {
    let content = payload
        .get("PayloadContent")
        .and_then(Value::as_dictionary)
        .ok_or(ProfileError::Missing("SCEP PayloadContent"))?;
    // Apple documents "Key Type"; some tools (micromdm's test profile)
    // write "KeyType".
    let key_type = match opt_string(content, "Key Type")? {
        Some(key_type) => Some(key_type),
        None => opt_string(content, "KeyType")?,
    };
    Ok(ScepPayload {
        identifier: string(payload, "PayloadIdentifier")?,
        uuid: string(payload, "PayloadUUID")?,
        display_name: opt_string(payload, "PayloadDisplayName")?,
        url: string(content, "URL")?,
        name: opt_string(content, "Name")?,
        challenge: opt_string(content, "Challenge")?,
        keysize: opt_int(content, "Keysize")?.unwrap_or(1024),
        key_type: key_type.unwrap_or_else(|| "RSA".to_owned()),
        key_usage: opt_int(content, "Key Usage")?.unwrap_or(0),
        subject: parse_subject(content.get("Subject"))?,
        retries: opt_int(content, "Retries")?,
        retry_delay: opt_int(content, "RetryDelay")?,
    })
}

fn parse_subject(value: Option<&Value>) -> Result<Vec<Vec<(String, String)>>, ProfileError> {
    const INVALID: ProfileError = ProfileError::Invalid {
        field: "Subject",
        reason: "not an array of arrays of [name, value] pairs",
    };
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let rdns = value.as_array().ok_or(INVALID)?;
    rdns.iter()
        .map(|rdn| {
            let pairs = rdn.as_array().ok_or(INVALID)?;
            pairs
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), Value::String(value)]) => {
                        Ok((name.clone(), value.clone()))
                    }
                    _ => Err(INVALID),
                })
                .collect()
        })
        .collect()
}

fn parse_mdm(payload: &Dictionary) -> Result<MdmPayload, ProfileError> {
    let capabilities = match payload.get("ServerCapabilities") {
        None => Vec::new(),
        Some(value) => value
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|item| item.as_string().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or(ProfileError::Invalid {
                field: "ServerCapabilities",
                reason: "not an array of strings",
            })?,
    };
    Ok(MdmPayload {
        identifier: string(payload, "PayloadIdentifier")?,
        uuid: string(payload, "PayloadUUID")?,
        display_name: opt_string(payload, "PayloadDisplayName")?,
        server_url: string(payload, "ServerURL")?,
        check_in_url: opt_string(payload, "CheckInURL")?,
        topic: string(payload, "Topic")?,
        identity_certificate_uuid: string(payload, "IdentityCertificateUUID")?,
        access_rights: opt_int(payload, "AccessRights")?.unwrap_or(0),
        sign_message: opt_bool(payload, "SignMessage")?.unwrap_or(false),
        check_out_when_removed: opt_bool(payload, "CheckOutWhenRemoved")?.unwrap_or(false),
        server_capabilities: capabilities,
    })
}

fn string(dict: &Dictionary, key: &'static str) -> Result<String, ProfileError> {
    opt_string(dict, key)?.ok_or(ProfileError::Missing(key))
}

fn opt_string(dict: &Dictionary, key: &'static str) -> Result<Option<String>, ProfileError> {
    match dict.get(key) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(ProfileError::Invalid {
            field: key,
            reason: "not a string",
        }),
    }
}

fn opt_int(dict: &Dictionary, key: &'static str) -> Result<Option<u32>, ProfileError> {
    let invalid = ProfileError::Invalid {
        field: key,
        reason: "not an unsigned 32-bit integer",
    };
    match dict.get(key) {
        None => Ok(None),
        Some(Value::Integer(value)) => value
            .as_unsigned()
            .and_then(|v| u32::try_from(v).ok())
            .map(Some)
            .ok_or(invalid),
        Some(_) => Err(invalid),
    }
}

fn opt_bool(dict: &Dictionary, key: &'static str) -> Result<Option<bool>, ProfileError> {
    match dict.get(key) {
        None => Ok(None),
        Some(Value::Boolean(value)) => Ok(Some(*value)),
        Some(_) => Err(ProfileError::Invalid {
            field: key,
            reason: "not a boolean",
        }),
    }
}
