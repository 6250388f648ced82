//! Prices and costs as decimal text without `f64`'s `Display`: core's float formatting (its
//! shortest and exact digit generators, bignum fallback included) weighs ~6 KB gzip in the
//! first load, where only a catalog price and the meter's cost were formatted with it.

/// `x` with exactly four decimals, as `format!("{x:.4}")` writes it: the exact binary value
/// rounded half to even. For the non-negative finite costs the meter shows (anything else is
/// written as 0).
pub fn four_places(x: f64) -> String {
    let units: u128 = if x.is_finite() && x > 0.0 {
        // x = m · 2^e exactly; ten-thousandths = m · 10⁴ / 2^-e, rounded half to even.
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = u128::from(bits & ((1 << 52) - 1));
        let (m, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), exp - 1075)
        };
        let scaled = m * 10_000;
        if e >= 0 {
            // Above 2^53 (no fraction): far beyond any cost; saturates rather than overflows.
            scaled.checked_shl(e as u32).unwrap_or(u128::MAX)
        } else if -e >= 120 {
            // Below 2^-67: rounds to 0.
            0
        } else {
            let shift = (-e) as u32;
            let (q, r) = (scaled >> shift, scaled & ((1 << shift) - 1));
            let half = 1 << (shift - 1);
            q + u128::from(r > half || (r == half && q % 2 == 1))
        }
    } else {
        0
    };
    // u64's formatting is in the page already (u128's is not); no cost comes near its limit.
    let units = u64::try_from(units).unwrap_or(u64::MAX);
    format!("{}.{:04}", units / 10_000, units % 10_000)
}

/// `x` (a catalog price: a few decimals at most) as `x.to_string()` writes it: the fewest
/// decimals that give `x` back, no exponent. Prices with more than six decimals are written
/// with six (none in the catalog; a unit test checks them all).
pub fn short(x: f64) -> String {
    let mut places = 0;
    let mut scale = 1.0;
    while places < 6 && (x * scale).round() / scale != x {
        places += 1;
        scale *= 10.0;
    }
    let units = (x.abs() * scale).round() as u64;
    let pow = 10u64.pow(places);
    let sign = if x < 0.0 { "-" } else { "" };
    if places == 0 {
        format!("{sign}{units}")
    } else {
        format!(
            "{sign}{}.{:0width$}",
            units / pow,
            units % pow,
            width = places as usize
        )
    }
}

/// A whole number `x` (e.g. rounded minutes) as `x.to_string()` writes it: no exponent, `-0`
/// for negative zero, `NaN`, `inf`, `-inf`; at 2^53 and above (where not every integer is an
/// `f64`), the shortest digits that read back as `x`, then zeros.
pub fn whole(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    let x = x.abs().trunc();
    if x < 9_007_199_254_740_992.0 {
        return format!("{sign}{}", x as u64);
    }
    // x = m · 2^e with e > 11: shifted into 32-bit limbs (least significant first), then
    // written nine decimal digits at a time.
    let bits = x.to_bits();
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    let e = ((bits >> 52) & 0x7ff) as usize - 1075;
    let mut limbs = vec![0u32; e / 32];
    let shifted = u128::from(m) << (e % 32);
    limbs.extend([
        shifted as u32,
        (shifted >> 32) as u32,
        (shifted >> 64) as u32,
    ]);
    let mut groups = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for l in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*l);
            *l = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
    }
    let mut exact = String::new();
    for (i, g) in groups.iter().rev().enumerate() {
        exact += &if i == 0 {
            format!("{g}")
        } else {
            format!("{g:09}")
        };
    }
    format!("{sign}{}", shortest(x, &exact))
}

/// The fewest leading digits of `exact` (x's digits), rounded down or up and padded with
/// zeros, that parse back as `x` (core's parser rounds correctly); of two, the nearer.
fn shortest(x: f64, exact: &str) -> String {
    let len = exact.len();
    for p in 1..len {
        let (head, rest) = exact.split_at(p);
        let zeros = "0".repeat(len - p);
        let down = [head, &zeros].concat();
        let up = [increment(head).as_str(), &zeros].concat();
        let reads = |s: &str| s.parse::<f64>() == Ok(x);
        match (reads(&down), reads(&up)) {
            (true, true) => {
                let half = ["5", &zeros[1..]].concat();
                return match rest.cmp(half.as_str()) {
                    std::cmp::Ordering::Less => down,
                    std::cmp::Ordering::Greater => up,
                    // A tie: the even last digit.
                    std::cmp::Ordering::Equal if head.ends_with(['0', '2', '4', '6', '8']) => down,
                    std::cmp::Ordering::Equal => up,
                };
            }
            (true, false) => return down,
            (false, true) => return up,
            (false, false) => {}
        }
    }
    exact.to_owned()
}

/// A decimal digit string plus one.
fn increment(digits: &str) -> String {
    let mut out: Vec<u8> = digits.bytes().collect();
    for d in out.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8(out).unwrap_or_default();
        }
    }
    out.insert(0, b'1');
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_places_is_core_formatting() {
        let mut values = vec![
            0.0,
            1.0,
            0.00005,
            0.00015,
            0.00025,
            0.03125,
            0.09375,
            0.5,
            2.5,
            0.12345,
            0.99995,
            1234.56785,
            1e-9,
            1e-300,
            5e-324,
            0.000049999,
        ];
        // Costs as the meter computes them: tokens · price / 1e6.
        for price in crate::catalog::MODELS.iter().filter_map(|m| m.price) {
            for tokens in [
                1u64, 7, 13, 99, 100, 333, 1000, 4096, 12345, 200_000, 999_999,
            ] {
                values.push(tokens as f64 * price.0 / 1e6);
                values.push((tokens as f64 * price.0 + tokens as f64 * price.1) / 1e6);
            }
        }
        // Exact ties at the fifth decimal (dyadic), both ways.
        for k in 0..2000u32 {
            values.push(f64::from(2 * k + 1) / 32.0);
            values.push(f64::from(k) * 0.00005);
        }
        for x in values {
            assert_eq!(four_places(x), format!("{x:.4}"), "{x:e}");
        }
    }

    #[test]
    fn short_is_display_for_every_catalog_price() {
        for (i, o) in crate::catalog::MODELS.iter().filter_map(|m| m.price) {
            assert_eq!(short(i), i.to_string());
            assert_eq!(short(o), o.to_string());
        }
        for x in [0.0, 3.0, 0.25, 0.035, 1.25, 15.0, 0.000123, 120.5] {
            assert_eq!(short(x), x.to_string());
        }
    }

    #[test]
    fn whole_is_display() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            59.0,
            -3.0,
            1e15,
            9_007_199_254_740_993.0,
            1.8446744073709552e19,
            -1.8446744073709552e19,
            1e20,
            123_456_789e30,
            2f64.powi(100),
            f64::MAX,
            -f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for k in 0..1100 {
            values.push(2f64.powi(k).round());
            values.push((2f64.powi(k) * 1.5).round());
            values.push((1.7f64 * 10f64.powi(k % 308)).round());
            values.push((f64::from(k) * 1.234_567_891_234_5e290).round());
            values.push(9_007_199_254_740_992.0 + f64::from(k) * 2.0);
            values.push(1e23 + f64::from(k) * 8_388_608.0);
        }
        // Pseudo-random bit patterns: every exponent, every kind of mantissa.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state).round());
        }
        for x in values {
            assert_eq!(whole(x), x.to_string(), "{x:e}");
        }
    }
}
