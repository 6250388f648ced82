//! Temporary credentials from a Cognito identity pool, over unsigned requests. The request
//! and response shapes are pure (`bedrock::cognito`); this file only sends them.

use web_sys::{AbortController, AbortSignal};

use super::body::{read_capped, MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BODY_BYTES};
use super::fetch::{fetch, js_error};
use crate::bedrock::cognito::{self, CognitoConfig, TemporaryCredentials};
use crate::bedrock::{Error, HttpRequest};
use crate::sign::EndpointPolicy;

/// Temporary credentials from a Cognito identity pool: unsigned `GetId` (unless the identity
/// id is known) then `GetCredentialsForIdentity`, or in the classic flow `GetOpenIdToken` and
/// STS `AssumeRoleWithWebIdentity`.
pub async fn cognito_credentials(
    config: &CognitoConfig,
    signal: Option<&AbortSignal>,
) -> Result<TemporaryCredentials, Error> {
    let identity_id = match &config.identity_id {
        Some(id) => id.clone(),
        None => {
            let (status, body) = send_unsigned(&config.get_id()?, signal).await?;
            cognito::parse_get_id(status, &body)?
        }
    };
    if config.classic_flow {
        let (status, body) =
            send_unsigned(&config.get_open_id_token(&identity_id)?, signal).await?;
        let token = cognito::parse_open_id_token(status, &body)?;
        let (status, body) =
            send_unsigned(&config.assume_role_with_web_identity(&token)?, signal).await?;
        cognito::parse_assume_role_with_web_identity(status, &body, &identity_id)
    } else {
        let request = config.get_credentials_for_identity(&identity_id)?;
        let (status, body) = send_unsigned(&request, signal).await?;
        cognito::parse_credentials_for_identity(status, &body, &identity_id)
    }
}

/// Cognito and STS bodies that send nothing for this long fail (they answer in well under a
/// second).
const UNSIGNED_IDLE_MS: u32 = 60_000;

/// One unsigned request: its status and whole body.
async fn send_unsigned(
    request: &HttpRequest,
    signal: Option<&AbortSignal>,
) -> Result<(u16, Vec<u8>), Error> {
    let controller = AbortController::new().map_err(js_error)?;
    crate::sign::check_endpoint(&request.url, EndpointPolicy::SecureOrLoopback)?;
    let response = fetch(request, signal, &controller, 0).await?;
    let cap = if response.status() < 300 {
        MAX_RESPONSE_BODY_BYTES
    } else {
        MAX_ERROR_BODY_BYTES
    };
    let body = read_capped(&response, cap, UNSIGNED_IDLE_MS).await?.bytes;
    Ok((response.status(), body))
}
