//! "View code": the current request as boto3 Python, as JavaScript using this package, and as
//! an AWS CLI command. Credentials never appear in the code.

use bedrock_wasm::bedrock::{ModelFamily, PathStep};
use serde_json::Value;

/// What the code shows.
pub struct Request<'a> {
    pub region: &'a str,
    /// A custom endpoint URL (empty for AWS).
    pub endpoint: &'a str,
    pub model_id: &'a str,
    pub family: ModelFamily,
    pub converse: bool,
    /// The InvokeModel body, or the Converse body (`messages`, `system`, `inferenceConfig`…).
    pub body: &'a Value,
    pub api_key: bool,
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A JSON value as a Python literal (`true` → `True`, …), indented by `indent` levels.
fn py(v: &Value, indent: usize) -> String {
    let pad = "    ".repeat(indent + 1);
    let end = "    ".repeat(indent);
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => q(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| format!("{pad}{},\n", py(x, indent + 1)))
                .collect();
            format!("[\n{}{end}]", items.concat())
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Object(o) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, x)| format!("{pad}{}: {},\n", q(k), py(x, indent + 1)))
                .collect();
            format!("{{\n{}{end}}}", items.concat())
        }
    }
}

/// Where the family's stream chunks hold their text; ids the catalog cannot place are read
/// as Claude Messages, as their body is built.
fn text_path(family: ModelFamily) -> &'static [PathStep] {
    family
        .stream_text_path()
        .or(ModelFamily::ClaudeMessages.stream_text_path())
        .unwrap_or_default()
}

/// The Python expression that reads a stream chunk's text: an optional key reads as
/// `.get(key, default)`, `""` at the end of the path and `{}` before it.
fn py_chunk_text(family: ModelFamily) -> String {
    let path = text_path(family);
    let mut s = String::from("chunk");
    for (i, step) in path.iter().enumerate() {
        match *step {
            PathStep::Key(k) => s += &format!("[{}]", q(k)),
            PathStep::OptionalKey(k) => {
                let default = if i + 1 == path.len() { "\"\"" } else { "{}" };
                s += &format!(".get({}, {default})", q(k));
            }
            PathStep::Index(n) => s += &format!("[{n}]"),
        }
    }
    s
}

/// The JS expression that reads a stream chunk's text: an optional key reads as `?.key`
/// (plain `.key` on the chunk itself, which is always an object).
fn js_chunk_text(family: ModelFamily) -> String {
    let mut s = String::from("json");
    for (i, step) in text_path(family).iter().enumerate() {
        match *step {
            PathStep::Key(k) => s += &format!(".{k}"),
            PathStep::OptionalKey(k) if i > 0 => s += &format!("?.{k}"),
            PathStep::OptionalKey(k) => s += &format!(".{k}"),
            PathStep::Index(n) => s += &format!("[{n}]"),
        }
    }
    s
}

pub fn python(r: &Request) -> String {
    let mut s = String::from("import json\n\nimport boto3\n\n");
    if r.api_key {
        s += "# With a Bedrock API key: export AWS_BEARER_TOKEN_BEDROCK=<your key>\n";
    }
    s += &format!(
        "client = boto3.client(\"bedrock-runtime\", region_name={}",
        q(r.region)
    );
    if !r.endpoint.is_empty() {
        s += &format!(", endpoint_url={}", q(r.endpoint));
    }
    s += ")\n\n";
    if r.converse {
        s += &format!("request = {}\n", py(r.body, 0));
        s += &format!(
            "response = client.converse_stream(modelId={}, **request)\nfor event in response[\"stream\"]:\n    if \"contentBlockDelta\" in event:\n        print(event[\"contentBlockDelta\"][\"delta\"].get(\"text\", \"\"), end=\"\", flush=True)\n    elif \"metadata\" in event:\n        print(\"\\n\", event[\"metadata\"][\"usage\"])\n",
            q(r.model_id)
        );
    } else {
        s += &format!("body = json.dumps({})\n", py(r.body, 0));
        s += &format!(
            "response = client.invoke_model_with_response_stream(modelId={}, body=body)\nfor event in response[\"body\"]:\n    chunk = json.loads(event[\"chunk\"][\"bytes\"])\n    print({}, end=\"\", flush=True)\n",
            q(r.model_id),
            py_chunk_text(r.family)
        );
    }
    s
}

pub fn javascript(r: &Request) -> String {
    let mut s =
        String::from("import init, { BedrockRuntime } from \"bedrock-wasm\";\n\nawait init();\n");
    s += &format!(
        "const client = new BedrockRuntime({{\n  region: {},\n",
        q(r.region)
    );
    if !r.endpoint.is_empty() {
        s += &format!("  endpoint: {},\n", q(r.endpoint));
    }
    s += "  credentials: { accessKeyId, secretAccessKey, sessionToken },\n});\n";
    let pretty = serde_json::to_string_pretty(r.body).unwrap_or_default();
    if r.converse {
        s += &format!(
            "// Converse, in the AWS SDK's shape (bedrock-wasm versions with Converse).\nconst {{ stream }} = await client.converseStream({{\n  modelId: {},\n  ...{},\n}});\nfor await (const event of stream) {{\n  if (event.contentBlockDelta) console.log(event.contentBlockDelta.delta.text);\n}}\n",
            q(r.model_id),
            pretty.replace('\n', "\n  ")
        );
    } else {
        s += &format!(
            "const {{ body }} = await client.invokeModelWithResponseStream({{\n  modelId: {},\n  body: JSON.stringify({}),\n}});\nfor await (const {{ chunk }} of body) {{\n  const json = JSON.parse(new TextDecoder().decode(chunk.bytes));\n  console.log({});\n}}\n",
            q(r.model_id),
            pretty.replace('\n', "\n  "),
            js_chunk_text(r.family)
        );
    }
    s
}

/// Single-quoted for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn cli(r: &Request) -> String {
    let mut s = String::from("# The AWS CLI has no streaming form of these calls.\n");
    let op = if r.converse {
        "converse"
    } else {
        "invoke-model"
    };
    s += &format!(
        "aws bedrock-runtime {op} \\\n  --region {} \\\n",
        sh(r.region)
    );
    if !r.endpoint.is_empty() {
        s += &format!("  --endpoint-url {} \\\n", sh(r.endpoint));
    }
    s += &format!("  --model-id {} \\\n", sh(r.model_id));
    if r.converse {
        let mut args = Vec::new();
        if let Value::Object(o) = r.body {
            for (k, v) in o {
                let flag: String = k
                    .chars()
                    .flat_map(|c| {
                        let lower = c.to_ascii_lowercase();
                        let dash = c.is_ascii_uppercase().then_some('-');
                        dash.into_iter().chain(std::iter::once(lower))
                    })
                    .collect();
                args.push(format!("  --{flag} {}", sh(&v.to_string())));
            }
        }
        s += &args.join(" \\\n");
        s += "\n";
    } else {
        s += &format!(
            "  --content-type application/json \\\n  --cli-binary-format raw-in-base64-out \\\n  --body {} \\\n  answer.json\n",
            sh(&r.body.to_string())
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expressions the code view showed before the paths moved into the library.
    #[test]
    fn chunk_text_expressions_per_family() {
        use ModelFamily::*;
        let cases = [
            (
                ClaudeText,
                "chunk.get(\"completion\", \"\")",
                "json.completion",
            ),
            (
                TitanText,
                "chunk.get(\"outputText\", \"\")",
                "json.outputText",
            ),
            (
                Nova,
                "chunk.get(\"contentBlockDelta\", {}).get(\"delta\", {}).get(\"text\", \"\")",
                "json.contentBlockDelta?.delta?.text",
            ),
            (Llama, "chunk.get(\"generation\", \"\")", "json.generation"),
            (
                Mistral,
                "chunk[\"outputs\"][0][\"text\"]",
                "json.outputs[0].text",
            ),
            (
                MistralChat,
                "chunk[\"choices\"][0][\"message\"][\"content\"]",
                "json.choices[0].message.content",
            ),
            (
                Jamba,
                "chunk[\"choices\"][0][\"delta\"].get(\"content\", \"\")",
                "json.choices[0].delta?.content",
            ),
            (CohereCommand, "chunk.get(\"text\", \"\")", "json.text"),
            (CohereCommandR, "chunk.get(\"text\", \"\")", "json.text"),
            (
                ClaudeMessages,
                "chunk.get(\"delta\", {}).get(\"text\", \"\")",
                "json.delta?.text",
            ),
            (
                Unknown,
                "chunk.get(\"delta\", {}).get(\"text\", \"\")",
                "json.delta?.text",
            ),
        ];
        for (family, python, js) in cases {
            assert_eq!(py_chunk_text(family), python, "{family}");
            assert_eq!(js_chunk_text(family), js, "{family}");
        }
    }
}
