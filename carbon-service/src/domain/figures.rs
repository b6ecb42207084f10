//! How computed figures are shown: to 12 significant digits, on output
//! only. Sums and products stay f64 inside (kWh to mmBtu is no finite
//! decimal either, so decimals would not make every figure exact); 12
//! digits drop the binary noise (`1857.1000000000001` kg for 350 therms of
//! natural gas) and stay far below any factor's own precision.

/// `x` to 12 significant digits; zero without a sign (an empty f64 sum is
/// -0.0, which JSON would carry and a page would show as "-0").
pub fn shown(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    if !x.is_finite() {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Each given value of `x` to 12 significant digits.
pub fn shown_opt(x: Option<f64>) -> Option<f64> {
    x.map(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_noise_goes_and_the_figure_a_person_computes_stays() {
        // 350 therms of natural gas: 35 mmBtu × 53.06 kg CO₂ (Hub Table 1).
        assert_eq!(35.0 * 53.06, 1857.1000000000001);
        assert_eq!(shown(35.0 * 53.06), 1857.1);
        assert_eq!(shown(12.5 * 349.95694608), 4374.461826);
        assert_eq!(shown(0.1 + 0.2), 0.3);
        assert_eq!(shown(1.234_567_890_123_4e-7), 1.234_567_890_12e-7);
        assert_eq!(shown(0.0), 0.0);
    }

    #[test]
    fn an_empty_sum_shows_as_zero_without_a_sign() {
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(
            empty.is_sign_negative(),
            "the premise: Rust's empty f64 sum is -0.0"
        );
        assert!(shown(empty).is_sign_positive());
    }
}
