//! CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the event-stream checksums.
//!
//! In WebAssembly this is our own slice-by-16 whose tables are built on first use:
//! `crc32fast` ships the same 16 KiB of tables as static data, ~15 KB of incompressible
//! download in every page. Natively `crc32fast` stays (it has a SIMD path).

use std::sync::OnceLock;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn hash(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn hash(bytes: &[u8]) -> u32 {
    sliced(bytes)
}

type Tables = [[u32; 256]; 16];

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Box<Tables>> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Box::new([[0u32; 256]; 16]);
        // Opaque to the optimiser: at opt-level 3 LLVM would otherwise compute the first
        // table at compile time and ship it as 1 KiB of incompressible data — the very
        // download this file exists to avoid.
        let poly = std::hint::black_box(0xEDB8_8320u32);
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 == 1 { poly ^ (c >> 1) } else { c >> 1 };
            }
            t[0][i as usize] = c;
        }
        for k in 1..16 {
            for i in 0..256 {
                let prev = t[k - 1][i];
                t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            }
        }
        t
    })
}

/// Slice-by-16: sixteen table lookups per 16 bytes instead of one per byte.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn sliced(bytes: &[u8]) -> u32 {
    let t = tables();
    let mut crc = !0u32;
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        crc = t[0x0][c[15] as usize]
            ^ t[0x1][c[14] as usize]
            ^ t[0x2][c[13] as usize]
            ^ t[0x3][c[12] as usize]
            ^ t[0x4][c[11] as usize]
            ^ t[0x5][c[10] as usize]
            ^ t[0x6][c[9] as usize]
            ^ t[0x7][c[8] as usize]
            ^ t[0x8][c[7] as usize]
            ^ t[0x9][c[6] as usize]
            ^ t[0xa][c[5] as usize]
            ^ t[0xb][c[4] as usize]
            ^ t[0xc][(c[3] ^ (crc >> 24) as u8) as usize]
            ^ t[0xd][(c[2] ^ (crc >> 16) as u8) as usize]
            ^ t[0xe][(c[1] ^ (crc >> 8) as u8) as usize]
            ^ t[0xf][(c[0] ^ crc as u8) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc as u8) ^ b) as usize];
    }
    !crc
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(sliced(b""), 0);
        assert_eq!(sliced(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            sliced(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    /// Every length from 0 to 300 (each remainder, several 16-byte blocks) against
    /// crc32fast, the implementation used natively.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn matches_crc32fast_at_every_length() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for len in 0..=data.len() {
            for start in [0, 1, 7] {
                let s = &data[start.min(len)..len];
                assert_eq!(sliced(s), crc32fast::hash(s), "len {len} start {start}");
            }
        }
    }
}
