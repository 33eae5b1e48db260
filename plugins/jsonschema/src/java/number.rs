//! Number text as Java writes it: `Double.toString` (JDK 19 and later: the shortest decimal that
//! reads back as the same double) and `BigDecimal.toString` (plain or scientific, trailing zeros
//! kept), the two forms Jackson gives a `DoubleNode` and a `DecimalNode`.

/// `Double.toString(x)` for a finite `x`: `1.5`, `100.0`, `0.001`, `1.0E7`, `1.0E-4`, `4.9E-324`.
pub fn double_to_string(x: f64) -> String {
    debug_assert!(x.is_finite());
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let (negative, digits, exponent) = shortest(x);
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        // Plain: at least one digit on each side of the point.
        let point = exponent + 1;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(&digits);
        } else {
            let point = point as usize;
            if digits.len() > point {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            } else {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', point - digits.len()));
                out.push_str(".0");
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(&exponent.to_string());
    }
    out
}

/// The decimal Java picks for `x`: the shortest that reads back as `x` and, of two such equally
/// close to `x`, the one with an even last digit; a one-digit decimal gives way to the two-digit
/// one closest to `x` (`4.9E-324`, not `5.0E-324`). Returns the sign, the significant digits and
/// the exponent of the first digit.
fn shortest(x: f64) -> (bool, String, i32) {
    let shortest = split(&format!("{x:e}"));
    if shortest.1.len() == 1 {
        let two_digits = format!("{x:.1e}");
        return match two_digits.parse::<f64>() {
            Ok(read) if read == x => split(&two_digits),
            _ => shortest,
        };
    }
    even_on_tie(x, shortest)
}

/// Rust's shortest decimal, but on a tie (`x` exactly halfway between two shortest decimals,
/// possible from 16 digits on) the one with an even last digit.
fn even_on_tie(x: f64, shortest: (bool, String, i32)) -> (bool, String, i32) {
    let (negative, digits, exponent) = &shortest;
    let odd = digits.ends_with(['1', '3', '5', '7', '9']);
    if digits.len() < 16 || !odd {
        return shortest;
    }
    // A double's exact decimal value has at most 767 significant digits.
    let (_, exact_digits, exact_exponent) = split(&format!("{:.800e}", x.abs()));
    let (head, tail) = exact_digits.split_at(digits.len().min(exact_digits.len()));
    if exact_exponent != *exponent || tail != "5" {
        return shortest;
    }
    // `x` is halfway between `head` and `head` + 1 in the last place: take the even one.
    let even = if head.ends_with(['0', '2', '4', '6', '8']) {
        head.to_owned()
    } else {
        let last = head.as_bytes()[head.len() - 1];
        if last == b'9' {
            return shortest;
        }
        format!("{}{}", &head[..head.len() - 1], char::from(last + 1))
    };
    let text = format!(
        "{}{}.{}e{exponent}",
        if *negative { "-" } else { "" },
        &even[..1],
        &even[1..]
    );
    match text.parse::<f64>() {
        Ok(read) if read == x => split(&text),
        _ => shortest,
    }
}

/// Sign, significant digits (no trailing zeros) and exponent of `{:e}`-style text.
fn split(text: &str) -> (bool, String, i32) {
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (
        negative,
        digits.to_owned(),
        exponent.parse().expect("an integer exponent"),
    )
}

/// `new BigDecimal(text).toString()` for a JSON number (or `Double.toString`) text: the same
/// digits and scale, written plain when the scale is not negative and the adjusted exponent is
/// at least -6, in scientific notation (`1.0E+10`, `1.5E-7`) otherwise.
pub fn big_decimal_to_string(text: &str) -> String {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = [integer, fraction].concat();
    let unscaled = all.trim_start_matches('0');
    let unscaled = if unscaled.is_empty() { "0" } else { unscaled };
    let scale = fraction.len() as i64 - exponent;
    let adjusted = -scale + (unscaled.len() as i64 - 1);

    let mut out = String::with_capacity(unscaled.len() + 8);
    if negative && unscaled != "0" {
        out.push('-');
    }
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            out.push_str(unscaled);
        } else if unscaled.len() > scale {
            let point = unscaled.len() - scale;
            out.push_str(&unscaled[..point]);
            out.push('.');
            out.push_str(&unscaled[point..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - unscaled.len()));
            out.push_str(unscaled);
        }
    } else {
        out.push_str(&unscaled[..1]);
        if unscaled.len() > 1 {
            out.push('.');
            out.push_str(&unscaled[1..]);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        out.push_str(&adjusted.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs printed by `Double.toString` on Temurin 25 (JDK 19+ algorithm).
    #[test]
    fn doubles_print_as_java_does() {
        let java = [
            (0.1, "0.1"),
            (1.5, "1.5"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (1e-3, "0.001"),
            (9.999999e-4, "9.999999E-4"),
            (12345678.9, "1.23456789E7"),
            (1e23, "1.0E23"),
            (2e23, "2.0E23"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (1e-7, "1.0E-7"),
            (123.456, "123.456"),
            (std::f64::consts::E, "2.718281828459045"),
            (1e21, "1.0E21"),
            (0.3333333333333333, "0.3333333333333333"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (9999999.0, "9999999.0"),
            (1234567.0, "1234567.0"),
            (-6.286268740299207e18, "-6.286268740299207E18"),
            // Halfway between two shortest decimals: the even one.
            (1.2136282844510492e15, "1.2136282844510492E15"),
            (9.736486971432812e12, "9.736486971432812E12"),
        ];
        for (x, expected) in java {
            assert_eq!(double_to_string(x), expected, "{x:e}");
        }
    }

    /// Pairs printed by `new BigDecimal(text).toString()` on Temurin 25.
    #[test]
    fn big_decimals_print_as_java_does() {
        let java = [
            ("1.5", "1.5"),
            ("100.0", "100.0"),
            ("1.0E7", "1.0E+7"),
            ("1.0E10", "1.0E+10"),
            ("1.23456789E7", "12345678.9"),
            ("1.2345678E7", "12345678"),
            ("1.0E-4", "0.00010"),
            ("9.999999E-4", "0.0009999999"),
            ("1.0E-7", "1.0E-7"),
            ("1.234E-5", "0.00001234"),
            ("-0.0", "0.0"),
            ("0", "0"),
            ("1e2", "1E+2"),
            ("1.50", "1.50"),
            ("-12.5e-1", "-1.25"),
            ("0e3", "0E+3"),
            ("4.9E-324", "4.9E-324"),
            (
                "123456789012345678901234567890.5",
                "123456789012345678901234567890.5",
            ),
        ];
        for (text, expected) in java {
            assert_eq!(big_decimal_to_string(text), expected, "{text}");
        }
    }
}
