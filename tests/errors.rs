//! HTTP error responses: code and message extraction, named kinds, retryability, the
//! HTTP-200 error body, and the server time inside clock-skew messages.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use bedrock_wasm::bedrock::{ServiceError, ServiceErrorKind};

const CORAL: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

fn parse(status: u16, header: Option<&str>, body: &str) -> ServiceError {
    ServiceError::from_response(status, header, Some("req-1"), body.as_bytes())
}

#[test]
fn code_comes_from_the_error_type_header_cut_at_colon_comma_and_hash() {
    let header = format!("ThrottlingException{CORAL}");
    let e = parse(
        429,
        Some(&header),
        r#"{"message":"Too many requests, please wait before trying again."}"#,
    );
    assert_eq!(e.code, "ThrottlingException");
    assert_eq!(e.kind(), ServiceErrorKind::ThrottlingException);
    assert_eq!(
        e.message,
        "Too many requests, please wait before trying again."
    );
    assert_eq!(e.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        parse(400, Some("com.amazon.coral#ValidationException,x"), "{}").code,
        "ValidationException"
    );
    assert_eq!(
        parse(400, Some("aws.protocoltests#ConflictException:extra"), "{}").code,
        "ConflictException"
    );
}

#[test]
fn code_falls_back_to_the_body_and_message_to_capitalised_message() {
    let e = parse(
        403,
        None,
        r#"{"__type":"com.amazon.coral.service#ExpiredTokenException","Message":"The security token included in the request is expired"}"#,
    );
    assert_eq!(e.kind(), ServiceErrorKind::ExpiredTokenException);
    assert_eq!(
        e.message,
        "The security token included in the request is expired"
    );
    let e = parse(
        403,
        Some(""),
        r#"{"code":"AccessDeniedException","message":"no"}"#,
    );
    assert_eq!(e.kind(), ServiceErrorKind::AccessDeniedException);
    // A body that is not JSON is shown as it is, so nothing is lost.
    let e = parse(502, None, "<html>Bad Gateway</html>");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("", "<html>Bad Gateway</html>")
    );
    assert!(e.is_retryable(), "5xx without a code is transient");
    assert_eq!(e.fault(), "server");
}

#[test]
fn every_named_error_knows_whether_it_is_retryable() {
    let cases = [
        ("ValidationException", 400, false),
        ("ServiceQuotaExceededException", 400, false),
        ("ConflictException", 400, false),
        ("AccessDeniedException", 403, false),
        ("ResourceNotFoundException", 404, false),
        ("ModelTimeoutException", 408, false),
        ("ModelErrorException", 424, false),
        ("ModelStreamErrorException", 424, false),
        ("ThrottlingException", 429, true),
        ("ModelNotReadyException", 429, true),
        ("InternalServerException", 500, true),
        ("ServiceUnavailableException", 503, true),
        ("UnrecognizedClientException", 403, false),
        ("ExpiredTokenException", 403, false),
        ("InvalidSignatureException", 403, false),
    ];
    for (code, status, retryable) in cases {
        let e = parse(
            status,
            Some(&format!("{code}{CORAL}")),
            r#"{"message":"m"}"#,
        );
        assert_ne!(e.kind(), ServiceErrorKind::Other, "{code} is named");
        assert_eq!(e.is_retryable(), retryable, "{code}");
        assert_eq!(e.fault(), if status >= 500 { "server" } else { "client" });
    }
    assert!(parse(429, Some("ThrottlingException"), "{}").is_throttling());
    assert!(!parse(429, Some("ModelNotReadyException"), "{}").is_throttling());
    assert_eq!(
        parse(418, Some("TeapotException"), "{}").kind(),
        ServiceErrorKind::Other
    );
}

#[test]
fn model_errors_carry_their_extra_fields() {
    let e = parse(
        424,
        Some("ModelErrorException"),
        r#"{"message":"Received client error (400) from model","originalStatusCode":400,"resourceName":"arn:aws:sagemaker:x"}"#,
    );
    assert_eq!(e.original_status_code, Some(400));
    assert_eq!(e.resource_name.as_deref(), Some("arn:aws:sagemaker:x"));
}

#[test]
fn http_200_with_output_type_is_an_unknown_operation_error() {
    let body = br#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#;
    let e = ServiceError::from_ok_body(body, Some("r")).expect("an error");
    assert_eq!(e.kind(), ServiceErrorKind::UnknownOperationException);
    assert_eq!(e.status, 200);
    assert!(e.to_string().contains("one escaped path segment"), "{e}");
    assert!(ServiceError::from_ok_body(br#"{"completion":" hi"}"#, None).is_none());
    assert!(ServiceError::from_ok_body(br#"{"Output":{"text":"a model answer"}}"#, None).is_none());
}

#[test]
fn clock_skew_messages_are_retryable_and_give_the_server_time() {
    let expired = parse(
        403,
        Some("InvalidSignatureException"),
        r#"{"message":"Signature expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5 min.)"}"#,
    );
    assert!(expired.is_clock_skew() && expired.is_retryable());
    // 2015-04-11T06:46:35Z
    assert_eq!(expired.server_time_ms(), Some(1_428_734_795_000.0));
    assert!(expired.to_string().contains("clock"), "{expired}");
    let future = parse(
        403,
        Some("InvalidSignatureException"),
        r#"{"message":"Signature not yet current: 20150411T070107Z is still later than 20150411T065635Z (20150411T065135Z + 5 min.)"}"#,
    );
    assert_eq!(future.server_time_ms(), Some(1_428_735_095_000.0));
    let mismatch = parse(
        403,
        Some("InvalidSignatureException"),
        r#"{"message":"The request signature we calculated does not match the signature you provided."}"#,
    );
    assert!(!mismatch.is_retryable() && mismatch.server_time_ms().is_none());
    assert!(
        mismatch.to_string().contains("secret access key"),
        "{mismatch}"
    );
}

#[test]
fn a_pre_stream_error_from_a_real_recording_parses() {
    // openinference's recorded HTTP 400 before a stream (BEDROCK.md §2, bedrock-samples).
    let e = parse(
        400,
        Some("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        r#"{"message":"The provided model identifier is invalid."}"#,
    );
    assert_eq!(e.kind(), ServiceErrorKind::ValidationException);
    assert!(e.to_string().contains("Check the model id"), "{e}");
}

#[test]
fn every_error_has_a_kind_a_stable_name_and_its_typed_cause() {
    use bedrock_wasm::bedrock::{Error, ErrorKind, StreamException};
    use std::error::Error as _;
    let throttled = Error::from(parse(429, Some("ThrottlingException"), "{}"));
    assert!(throttled.is_throttling() && throttled.is_retryable());
    assert_eq!(throttled.name(), "ThrottlingException");
    assert!(
        throttled.source().is_some(),
        "the ServiceError is the source"
    );
    let unnamed = Error::from(parse(502, None, ""));
    assert_eq!(unnamed.name(), "Unknown", "the AWS SDK's name for it");
    assert_eq!(unnamed.service().unwrap().message, "UnknownError");
    assert_eq!(unnamed.service().unwrap().fault(), "server");
    let skew = Error::from(parse(
        403,
        Some("InvalidSignatureException"),
        r#"{"message":"Signature expired: 20150411T064107Z is now earlier than 20150411T064135Z (20150411T064635Z - 5 min.)"}"#,
    ));
    assert!(skew.is_clock_skew());
    let exception = Error::from(StreamException {
        name: "ModelStreamErrorException".into(),
        message: "boom".into(),
        original_status_code: Some(500),
        original_message: None,
    });
    assert_eq!(exception.name(), "ModelStreamErrorException");
    assert!(exception.stream_exception().is_some() && exception.source().is_some());
    for (e, name) in [
        (Error::aborted(), "AbortError"),
        (Error::idle_timeout(5), "StreamIdleTimeoutError"),
        (Error::request_timeout(5), "TimeoutError"),
        (Error::redirect(302, None), "RedirectError"),
        (Error::network("reset"), "NetworkError"),
        (Error::response_shape("no body"), "InvalidResponseError"),
        (Error::input("no model id"), "ValidationError"),
    ] {
        assert_eq!(e.name(), name, "{e:?}");
        assert!(e.source().is_none(), "{e:?}");
    }
    assert!(Error::aborted().is_aborted());
    assert!(Error::idle_timeout(5).is_timeout() && Error::request_timeout(5).is_timeout());
    assert!(Error::network("reset").is_retryable());
    assert!(!Error::input("x").is_retryable());
    assert!(matches!(Error::input("x").kind(), ErrorKind::Input(_)));
}

#[test]
fn modeled_errors_take_their_fault_from_the_service_model_others_from_the_status() {
    assert_eq!(
        parse(500, Some("InternalServerException"), "{}").fault(),
        "server"
    );
    assert_eq!(
        parse(503, Some("ServiceUnavailableException"), "{}").fault(),
        "server"
    );
    // The model says ThrottlingException is the client's, whatever the status.
    assert_eq!(
        parse(500, Some("ThrottlingException"), "{}").fault(),
        "client"
    );
    assert_eq!(parse(504, Some("GatewayTimeout"), "{}").fault(), "server");
    assert_eq!(parse(418, Some("Teapot"), "{}").fault(), "client");
}
