"""The project's seed boto3 walkthrough, run unchanged against the Bedrock emulator.

`tests/boto3.rs` starts an emulator and runs this script with:
  EMULATOR_URL    the emulator's base URL
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN   the emulator's credentials
  EXPECTED        JSON with the answers the emulator must give (computed by the Rust test from
                  bedrock_emulator::claude_text_answer / answer_for)

It uses nothing but stock boto3: `boto3.client("bedrock-runtime", endpoint_url=...)`, botocore's
own SigV4 signer and event-stream parser. Any assertion failure exits non-zero with a message.
Prints one JSON line of facts for the Rust test to check against the emulator's log.
"""

import json
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

URL = os.environ["EMULATOR_URL"]
EXPECTED = json.loads(os.environ["EXPECTED"])


def client(region="us-east-1", **config):
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=URL,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=os.environ["AWS_SESSION_TOKEN"],
        config=Config(connect_timeout=5, read_timeout=20, **config),
    )


def check(condition, what):
    if not condition:
        sys.exit(f"boto3_seed.py: {what}")


facts = {"boto3": boto3.__version__, "botocore": botocore.__version__}
bedrock = client()

# The seed: invoke_model on anthropic.claude-v2.
body = json.dumps({"prompt": "\n\nHuman:What is your name?\n\nAssistant:", "max_tokens_to_sample": 200})
response = bedrock.invoke_model(modelId="anthropic.claude-v2", body=body)
result = json.loads(response["body"].read())
check(
    result == {"completion": " My name is Claude.", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    f"invoke_model answered {result!r}",
)
check(response["contentType"] == "application/json", f"contentType {response['contentType']!r}")
headers = response["ResponseMetadata"]["HTTPHeaders"]
check(headers.get("x-amzn-bedrock-output-token-count") == "4", f"headers {headers!r}")

# The seed: invoke_model_with_response_stream, chunk by chunk.
body = json.dumps({"prompt": EXPECTED["stream_prompt"], "max_tokens_to_sample": 200})
response = bedrock.invoke_model_with_response_stream(modelId="anthropic.claude-v2", body=body)
text, chunks, last = "", 0, None
for event in response["body"]:
    chunk = json.loads(event["chunk"]["bytes"])
    text += chunk["completion"]
    chunks += 1
    last = chunk
check(text == EXPECTED["stream_text"], f"streamed text differs: {text!r}")
check(last["stop_reason"] == EXPECTED["stream_stop_reason"], f"last chunk {last!r}")
metrics = last["amazon-bedrock-invocationMetrics"]
check(metrics["outputTokenCount"] == chunks, f"metrics {metrics!r} after {chunks} chunks")
facts["stream_chunks"] = chunks

# Converse and ConverseStream on a Messages model, through an inference profile id.
messages = [{"role": "user", "content": [{"text": EXPECTED["converse_prompt"]}]}]
model = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
response = bedrock.converse(modelId=model, messages=messages, inferenceConfig={"maxTokens": 50})
check(response["output"]["message"]["content"][0]["text"] == EXPECTED["converse_text"], f"converse {response!r}")
check(response["stopReason"] == "max_tokens", f"stopReason {response['stopReason']!r}")
check(response["usage"]["outputTokens"] == 50 and "latencyMs" in response["metrics"], f"{response!r}")
response = bedrock.converse_stream(modelId=model, messages=messages, inferenceConfig={"maxTokens": 50})
events, text = [], ""
for event in response["stream"]:
    (name, payload), = event.items()
    events.append(name)
    if name == "contentBlockDelta":
        text += payload["delta"]["text"]
check(text == EXPECTED["converse_text"], f"converse_stream text {text!r}")
check(events[0] == "messageStart" and events[-3:] == ["contentBlockStop", "messageStop", "metadata"], f"{events!r}")

# A model id ARN (botocore escapes the "/" as %2F).
arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"
result = json.loads(bedrock.invoke_model(modelId=arn, body=json.dumps(
    {"prompt": "\n\nHuman:What is your name?\n\nAssistant:", "max_tokens_to_sample": 200}))["body"].read())
check(result["completion"] == " My name is Claude.", f"ARN invoke {result!r}")

# Faults through the model-id prefix, with no change to the client.
# 1. Throttled once: botocore's own retry handler retries and succeeds.
response = bedrock.invoke_model(modelId="emulator-fault:throttle=1:anthropic.claude-v2", body=json.dumps(
    {"prompt": "\n\nHuman:What is your name?\n\nAssistant:", "max_tokens_to_sample": 200}))
facts["throttle_retries"] = response["ResponseMetadata"]["RetryAttempts"]
check(facts["throttle_retries"] == 1, f"RetryAttempts {facts['throttle_retries']}")
# 2. A modeled in-stream exception after 2 chunks surfaces as botocore's EventStreamError.
response = bedrock.invoke_model_with_response_stream(
    modelId="emulator-fault:exception=modelStreamErrorException@2:anthropic.claude-v2", body=body)
received = 0
try:
    for event in response["body"]:
        received += 1
    check(False, "the stream exception was not raised")
except EventStreamError as e:
    check(e.response["Error"]["Code"] == "modelStreamErrorException", f"{e.response!r}")
    check(received == 2, f"{received} chunks before the exception")
    facts["stream_error"] = e.response["Error"]["Code"]
# 3. A validation error, not retried.
try:
    bedrock.invoke_model(modelId="anthropic.claude-v2", body=json.dumps({"prompt": "hi", "max_tokens_to_sample": 5, "stream": True}))
    check(False, "no ValidationException")
except ClientError as e:
    check(e.response["Error"]["Code"] == "ValidationException", f"{e.response!r}")
    check("extraneous key [stream]" in e.response["Error"]["Message"], f"{e.response!r}")

# Signed for the wrong region: Bedrock's InvalidSignatureException.
try:
    client("eu-west-1").invoke_model(modelId="anthropic.claude-v2", body=body)
    check(False, "a eu-west-1 signature was accepted")
except ClientError as e:
    check(e.response["Error"]["Code"] == "InvalidSignatureException", f"{e.response!r}")
    facts["wrong_region"] = e.response["Error"]["Message"]

# A Bedrock API key instead of SigV4: with AWS_BEARER_TOKEN_BEDROCK set (botocore looks at
# each call), botocore sends `Authorization: Bearer <key>`. Newer botocore refuses bearer auth
# on a plain-http endpoint; then this part is reported as skipped.
os.environ["AWS_BEARER_TOKEN_BEDROCK"] = EXPECTED["api_key"]
try:
    keyed = boto3.session.Session().client("bedrock-runtime", region_name="us-east-1", endpoint_url=URL)
    result = json.loads(keyed.invoke_model(modelId="anthropic.claude-v2", body=json.dumps(
        {"prompt": "\n\nHuman:What is your name?\n\nAssistant:", "max_tokens_to_sample": 200}))["body"].read())
    check(result["completion"] == " My name is Claude.", f"API-key invoke {result!r}")
    facts["api_key"] = "used"
except botocore.exceptions.InvalidEndpointConfigurationError as e:
    facts["api_key"] = f"skipped: {e}"
finally:
    del os.environ["AWS_BEARER_TOKEN_BEDROCK"]

print(json.dumps(facts))
