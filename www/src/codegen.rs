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

/// A file the body preview shows as a placeholder (`<cat.png: 12 bytes, sent as base64>`):
/// its placeholder, JSON-quoted as it appears in the rendered code, the file name, and
/// whether it is sent as text.
struct FileRead {
    quoted: String,
    file: String,
    text: bool,
}

/// The files in `body`, each once, in order.
fn file_reads(body: &Value) -> Vec<FileRead> {
    fn walk(v: &Value, out: &mut Vec<FileRead>) {
        match v {
            Value::String(s) => {
                let Some(inner) = s.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
                    return;
                };
                let (rest, text) = if let Some(r) = inner.strip_suffix(" bytes, sent as text") {
                    (r, true)
                } else if let Some(r) = inner.strip_suffix(" bytes, sent as base64") {
                    (r, false)
                } else {
                    return;
                };
                let Some((file, size)) = rest.rsplit_once(": ") else {
                    return;
                };
                let quoted = q(s);
                if size.parse::<u64>().is_ok() && !out.iter().any(|f| f.quoted == quoted) {
                    out.push(FileRead {
                        quoted,
                        file: file.to_owned(),
                        text,
                    });
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, &mut out);
    out
}

/// `code` with each file's placeholder replaced by `read(file)`.
fn with_reads(mut code: String, reads: &[FileRead], read: impl Fn(&FileRead) -> String) -> String {
    for f in reads {
        code = code.replace(&f.quoted, &read(f));
    }
    code
}

pub fn python(r: &Request) -> String {
    let reads = file_reads(r.body);
    let mut s = String::from("import json\n\nimport boto3\n\n");
    if !reads.is_empty() && !r.converse {
        s = format!("import base64\n{s}");
    }
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
    // boto3 takes Converse's bytes raw; a native body is JSON, so base64 or text there.
    with_reads(s, &reads, |f| match (r.converse, f.text) {
        (true, _) => format!("open({}, \"rb\").read()", q(&f.file)),
        (false, false) => format!(
            "base64.b64encode(open({}, \"rb\").read()).decode()",
            q(&f.file)
        ),
        (false, true) => format!("open({}, encoding=\"utf-8\").read()", q(&f.file)),
    })
}

pub fn javascript(r: &Request) -> String {
    let reads = file_reads(r.body);
    let mut s = String::new();
    if !reads.is_empty() {
        s += "import { readFileSync } from \"node:fs\";\n";
    }
    s += "import init, { BedrockRuntime } from \"bedrock-wasm\";\n\nawait init();\n";
    s += &format!(
        "const client = new BedrockRuntime({{\n  region: {},\n",
        q(r.region)
    );
    if !r.endpoint.is_empty() {
        s += &format!("  endpoint: {},\n", q(r.endpoint));
    }
    s += "  credentials: { accessKeyId, secretAccessKey, sessionToken },\n});\n";
    let pretty = crate::json::pretty(r.body);
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
    // Converse takes bytes (a Buffer is a Uint8Array); a native body is JSON.
    with_reads(s, &reads, |f| match (r.converse, f.text) {
        (true, _) => format!("readFileSync({})", q(&f.file)),
        (false, false) => format!("readFileSync({}).toString(\"base64\")", q(&f.file)),
        (false, true) => format!("readFileSync({}, \"utf8\")", q(&f.file)),
    })
}

/// Single-quoted for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn cli(r: &Request) -> String {
    let reads = file_reads(r.body);
    // Each file is read by the shell inside the single-quoted JSON: the placeholder becomes a
    // marker before quoting, and the marker a command substitution after.
    let marker = |i: usize| format!("\"@@bedrock-wasm-file-{i}@@\"");
    let mut quoted_body = crate::json::text(r.body);
    for (i, f) in reads.iter().enumerate() {
        quoted_body = quoted_body.replace(&f.quoted, &marker(i));
    }
    let body: Value = crate::json::parse(&quoted_body).unwrap_or(Value::Null);
    let body = if reads.is_empty() { r.body } else { &body };
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
        if let Value::Object(o) = body {
            for (k, v) in o {
                let flag: String = k
                    .chars()
                    .flat_map(|c| {
                        let lower = c.to_ascii_lowercase();
                        let dash = c.is_ascii_uppercase().then_some('-');
                        dash.into_iter().chain(std::iter::once(lower))
                    })
                    .collect();
                args.push(format!("  --{flag} {}", sh(&crate::json::text(v))));
            }
        }
        s += &args.join(" \\\n");
        s += "\n";
    } else {
        s += &format!(
            "  --content-type application/json \\\n  --cli-binary-format raw-in-base64-out \\\n  --body {} \\\n  answer.json\n",
            sh(&crate::json::text(body))
        );
    }
    // The CLI reads JSON blobs as base64 in both APIs.
    for (i, f) in reads.iter().enumerate() {
        let read = if f.text {
            format!("'\"$(jq -Rs . {})\"'", sh(&f.file))
        } else {
            format!("\"'\"$(base64 -w0 {})\"'\"", sh(&f.file))
        };
        s = s.replace(&marker(i), &read);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_read_from_files_in_every_language() {
        let body = serde_json::json!({"messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": "<cat.png: 2 bytes, sent as base64>"}}},
            {"text": "What is it?"},
        ]}]});
        let r = Request {
            region: "us-east-1",
            endpoint: "",
            model_id: "amazon.nova-lite-v1:0",
            family: ModelFamily::Nova,
            converse: true,
            body: &body,
            api_key: false,
        };
        assert!(python(&r).contains("\"bytes\": open(\"cat.png\", \"rb\").read(),"));
        let js = javascript(&r);
        assert!(js.starts_with("import { readFileSync } from \"node:fs\";"));
        assert!(js.contains("\"bytes\": readFileSync(\"cat.png\")"));
        let line = cli(&r);
        assert!(
            line.contains(r#""bytes":"'"$(base64 -w0 'cat.png')"'"}"#),
            "{line}"
        );
        let native = serde_json::json!({"messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "<n.txt: 2 bytes, sent as text>"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "<cat.png: 2 bytes, sent as base64>"}},
        ]}]});
        let r = Request {
            converse: false,
            family: ModelFamily::ClaudeMessages,
            body: &native,
            ..r
        };
        let py = python(&r);
        assert!(py.starts_with("import base64\n"));
        assert!(py.contains("base64.b64encode(open(\"cat.png\", \"rb\").read()).decode()"));
        assert!(py.contains("open(\"n.txt\", encoding=\"utf-8\").read()"));
        assert!(javascript(&r).contains("readFileSync(\"n.txt\", \"utf8\")"));
        let line = cli(&r);
        assert!(line.contains(r#""data":'"$(jq -Rs . 'n.txt')"'"#), "{line}");
    }

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
