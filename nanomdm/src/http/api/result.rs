//! nanomdm's `APIResult` JSON and its status rules.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Response, StatusCode, header};
use serde::Serialize;

/// The outcome for one enrollment ID. Port of Go `api.EnrolledAPIResult`.
#[derive(Debug, Default, Serialize)]
pub(super) struct EnrolledResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) push_result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) push_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) command_error: Option<String>,
}

impl EnrolledResult {
    fn failed(&self) -> bool {
        self.push_error.is_some() || self.command_error.is_some()
    }
}

/// Port of Go `api.APIResult`.
#[derive(Debug, Default, Serialize)]
pub(super) struct ApiResult {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) status: BTreeMap<String, EnrolledResult>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) no_push: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) push_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) command_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) command_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) request_type: Option<String>,
}

impl ApiResult {
    /// nanomdm's rule: 500 for a global error or when every one of the
    /// `ids` IDs failed, 207 when some did, 200 otherwise.
    fn status_code(&self, ids: usize) -> StatusCode {
        let failed = self.status.values().filter(|r| r.failed()).count();
        if self.push_error.is_some() || self.command_error.is_some() || (ids > 0 && failed >= ids) {
            StatusCode::INTERNAL_SERVER_ERROR
        } else if failed > 0 {
            StatusCode::MULTI_STATUS
        } else {
            StatusCode::OK
        }
    }
}

/// The JSON response for `result` of a call naming `ids` IDs.
pub(super) fn json_response(result: &ApiResult, ids: usize) -> Response<Bytes> {
    json(result.status_code(ids), result)
}

/// `value` as nanomdm writes JSON: tab-indented, with a final newline.
pub(super) fn json(status: StatusCode, value: &impl Serialize) -> Response<Bytes> {
    let mut body = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut body, formatter);
    if value.serialize(&mut serializer).is_err() {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the result",
        );
    }
    body.push(b'\n');
    respond(status, "application/json", Bytes::from(body))
}

/// A plain-text response with a one-line reason.
pub(super) fn text(status: StatusCode, reason: &str) -> Response<Bytes> {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{reason}\n")),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_outcomes(outcomes: &[bool]) -> ApiResult {
        let mut result = ApiResult::default();
        for (i, ok) in outcomes.iter().enumerate() {
            let entry = result.status.entry(format!("id{i}")).or_default();
            if *ok {
                entry.push_result = Some("apns-id".to_owned());
            } else {
                entry.push_error = Some("push data missing for id".to_owned());
            }
        }
        result
    }

    #[test]
    fn all_ids_succeeding_is_200_some_failing_207_all_failing_500() {
        assert_eq!(with_outcomes(&[true, true]).status_code(2), StatusCode::OK);
        assert_eq!(
            with_outcomes(&[true, false]).status_code(2),
            StatusCode::MULTI_STATUS
        );
        assert_eq!(
            with_outcomes(&[false, false]).status_code(2),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn a_global_error_is_500_and_empty_fields_are_omitted() {
        let result = ApiResult {
            command_error: Some("decoding command: missing CommandUUID".to_owned()),
            ..ApiResult::default()
        };
        let response = json_response(&result, 1);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.body().as_ref(),
            b"{\n\t\"command_error\": \"decoding command: missing CommandUUID\"\n}\n"
        );
    }
}
