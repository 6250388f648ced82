//! Replaying a recorded `.eventstream` capture (`--replay`, the `replay=NAME` fault) instead of
//! the planned stream.

use std::path::{Path, PathBuf};

use super::routes::Operation;
use super::{ApiError, Shared};
use crate::fault::Faults;
use crate::plan::{Frame, Planned};

/// Refuses a `replay=` fault on an operation that does not stream.
pub(super) fn refuse(faults: &Faults, op: Operation) -> Result<(), ApiError> {
    match &faults.replay {
        Some(name) => Err(ApiError::validation(format!(
            "Cannot replay {name:?} on {}: replay applies to streaming operations only.",
            op.name()
        ))),
        None => Ok(()),
    }
}

/// The frames a streaming operation sends: a capture's (the `replay=` fault's, else
/// `--replay`'s), one per token delay, or else `planned`.
pub(super) fn or_planned(
    s: &Shared,
    id: &str,
    faults: &Faults,
    planned: Vec<Planned>,
) -> Result<Vec<Planned>, ApiError> {
    let path = match (&faults.replay, &s.config.replay) {
        (Some(name), _) => resolve_replay(s.config.replay_dir.as_deref(), name)?,
        (None, Some(path)) => path.clone(),
        (None, None) => return Ok(planned),
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        ApiError::new(
            500,
            "InternalServerException",
            format!(
                "The emulator cannot read the replay file {}: {e}",
                path.display()
            ),
        )
    })?;
    let note = format!("replay {}", path.display());
    s.log.update(id, |r| r.note_applied(note));
    Ok(capture_frames(&bytes)
        .into_iter()
        .map(|frame| Planned {
            tokens: 1,
            frame: Frame::Raw(frame),
        })
        .collect())
}

/// Resolves a replay capture name in the replay directory.
fn resolve_replay(dir: Option<&Path>, name: &str) -> Result<PathBuf, ApiError> {
    let dir = dir.ok_or_else(|| {
        ApiError::validation(format!(
            "Cannot replay {name:?}: the emulator has no replay directory (start it with --replay-dir DIR)."
        ))
    })?;
    [dir.join(name), dir.join(format!("{name}.eventstream"))]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Cannot replay {name:?}: no such file in {}.",
                dir.display()
            ))
        })
}

/// Splits a capture into its frames by their `total_length`; bytes that do not form a whole
/// frame are kept as one last piece, so a damaged capture replays as it is.
fn capture_frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = bytes.len() - at;
        let len = bytes
            .get(at..at.saturating_add(4))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .and_then(|b| usize::try_from(u32::from_be_bytes(b)).ok())
            .filter(|len| *len >= 16 && *len <= rest)
            .unwrap_or(rest);
        frames.push(bytes[at..at + len].to_vec());
        at += len;
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame;

    #[test]
    fn captures_split_into_frames() {
        let a = frame::encode(&[(":x", "1")], b"a").unwrap();
        let b = frame::encode(&[], b"bb").unwrap();
        let mut bytes = [a.clone(), b.clone()].concat();
        assert_eq!(capture_frames(&bytes), [a.clone(), b.clone()]);
        bytes.extend_from_slice(&[0, 0, 0, 99, 1]);
        assert_eq!(capture_frames(&bytes), [a, b, vec![0, 0, 0, 99, 1]]);
        assert!(capture_frames(&[]).is_empty());
    }
}
