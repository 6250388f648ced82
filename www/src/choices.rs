//! The page's fixed choices as types: how to sign in, which API, which language the code
//! view shows. Each keeps the `value` its `<select>` option (and `sessionStorage`) uses.

/// A closed set of options shown in a `<select>`.
pub trait Options: Copy + PartialEq + Send + Sync + 'static {
    /// Every option, in the order shown.
    const ALL: &'static [Self];
    /// Each option's `<option value>` and label, in the order of [`ALL`](Self::ALL).
    const OPTIONS: &'static [(&'static str, &'static str)];

    fn value(self) -> &'static str {
        Self::ALL
            .iter()
            .zip(Self::OPTIONS)
            .find(|(o, _)| **o == self)
            .map_or("", |(_, (v, _))| v)
    }

    fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .zip(Self::OPTIONS)
            .find(|(_, (v, _))| *v == value)
            .map(|(o, _)| *o)
    }
}

/// How requests are authorized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    #[default]
    SigV4,
    ApiKey,
    Cognito,
}

impl Options for AuthMode {
    const ALL: &'static [Self] = &[Self::SigV4, Self::ApiKey, Self::Cognito];
    const OPTIONS: &'static [(&'static str, &'static str)] = &[
        ("sigv4", "Access keys (SigV4)"),
        ("api-key", "Bedrock API key"),
        ("cognito", "Cognito identity pool"),
    ];
}

/// Which Bedrock API a request uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Api {
    /// InvokeModel / InvokeModelWithResponseStream with the model's native body.
    #[default]
    Invoke,
    /// Converse / ConverseStream.
    Converse,
}

impl Options for Api {
    const ALL: &'static [Self] = &[Self::Invoke, Self::Converse];
    const OPTIONS: &'static [(&'static str, &'static str)] = &[
        ("invoke", "InvokeModel (native body)"),
        ("converse", "Converse"),
    ];
}

/// The language of "View code".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Python,
    JavaScript,
    Cli,
}

impl Options for Lang {
    const ALL: &'static [Self] = &[Self::Python, Self::JavaScript, Self::Cli];
    const OPTIONS: &'static [(&'static str, &'static str)] = &[
        ("python", "Python (boto3)"),
        ("js", "JavaScript (bedrock-wasm)"),
        ("cli", "AWS CLI"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Options + std::fmt::Debug>() {
        assert_eq!(T::ALL.len(), T::OPTIONS.len());
        for &o in T::ALL {
            assert_eq!(T::parse(o.value()), Some(o));
        }
        assert_eq!(T::parse("nope"), None);
    }

    #[test]
    fn every_option_parses_back_from_its_value() {
        round_trips::<AuthMode>();
        round_trips::<Api>();
        round_trips::<Lang>();
        // The values sessionStorage and the `<select>`s have always used.
        assert_eq!(AuthMode::ApiKey.value(), "api-key");
        assert_eq!(AuthMode::parse("cognito"), Some(AuthMode::Cognito));
        assert_eq!(Api::Converse.value(), "converse");
        assert_eq!(Lang::parse("js"), Some(Lang::JavaScript));
    }
}
